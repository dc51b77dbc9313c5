"""互助保障服务平台: the central portal, built by ``create_app``."""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.routing import IntegerConverter

from portal import config as settings


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` up to the largest id a database INTEGER holds: a longer number in a URL is
    "not found", not an overflow (SQLite) or out-of-range error (PostgreSQL) and a 500."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2_147_483_647)
        super().__init__(url_map, *args, **kwargs)


class Portal(Flask):
    """Flask, remembering which views and hooks are plain functions.

    Flask asks ``inspect.iscoroutinefunction`` of every view, before- and after-request hook and
    context processor on every request (some twenty a page); the answer never changes for one
    function. An ``async def`` one is still wrapped each time, as Flask does.
    """

    PLAIN_CALLABLES_MAX = 1024  # a bound on what is remembered, should callables be made per request

    def ensure_sync(self, func):
        plain = self.__dict__.setdefault("_plain_callables", set())
        try:
            if func in plain:
                return func
        except TypeError:  # unhashable: asked each time
            return super().ensure_sync(func)
        result = super().ensure_sync(func)
        if result is func and len(plain) < self.PLAIN_CALLABLES_MAX:
            plain.add(func)
        return result


def create_app(config: dict | None = None) -> Flask:
    """Build the portal: defaults, then ``instance/config.py``, then ``PORTAL_*``, then ``config``."""
    app = Portal(
        __name__,
        instance_path=os.environ.get("PORTAL_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    app.config.from_mapping(settings.DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    settings.apply_environment(app.config)
    if config:
        app.config.update(config)
    settings.finalise(app.config, app.instance_path)

    _init_extensions(app)
    app.url_map.converters["int"] = BoundedIntConverter
    _register_blueprints(app)

    from portal import access_policy, cli, errors, proxy, security, tasks, templating
    from portal.services import unit_of_work
    from portal.services.dashboards import summary
    from portal.services.sync import watch

    unit_of_work.init_app(app)
    summary.init_app(app)
    watch.init_app(app)
    tasks.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    app.before_request(access_policy.enforce)  # the declared policy gates every endpoint
    proxy.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from portal import models  # noqa: F401 - every model registered before Migrate looks
    from portal.extensions import babel, csrf, db, limiter, login_manager, migrate, select_locale
    from portal.integrations.sms import gateway_from_config
    from portal.pii import PersonalDataVault

    app.extensions["pii_vault"] = PersonalDataVault(app.config["DATA_KEY"])
    app.extensions["sms_gateway"] = gateway_from_config(app.config)
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                     render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)

    from flask_babel import gettext

    from portal.blueprints.auth import load_user
    from portal.domain.i18n import N_

    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.member_login"
    login_manager.login_message = N_("请先登录。")
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"


def _register_blueprints(app: Flask) -> None:
    from portal.blueprints import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
