"""The kiosk: a second Flask app for the touch screen at a service station, on its own SQLite,
serving people with no network and syncing with the central portal when it can (SYNC.md).

``kiosk.create_app()`` builds it; ``kiosk/wsgi.py`` serves it; ``flask --app kiosk.wsgi kiosk …``
enrols it and runs the sync loop. It reuses the portal's domain rules (ID numbers, mobiles, bank
cards, masking, document lists) but none of its database or services.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

from kiosk import config as settings
from kiosk.store import Store

csrf = CSRFProtect()


def create_app(config: dict | None = None) -> Flask:
    """Build the kiosk: defaults, ``instance/kiosk/config.py``, ``KIOSK_*``, then ``config``."""
    instance = (config or {}).get("INSTANCE_PATH") or settings.instance_path()
    app = Flask(__name__, instance_path=str(Path(instance).resolve()), instance_relative_config=True)
    app.config.from_mapping(settings.DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    settings.apply_environment(app.config)
    if config:
        app.config.update(config)
    settings.finalise(app.config, app.instance_path)
    app.extensions["kiosk_store"] = Store(app.instance_path)

    csrf.init_app(app)

    from kiosk import cli, templating
    from kiosk.blueprints import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    templating.init_app(app)
    cli.init_app(app)

    @app.after_request
    def nothing_kept(response):
        """No page is stored by the browser: Back after the idle reset shows nothing personal."""
        if request.endpoint != "static" and not (request.endpoint or "").endswith("vendor.static"):
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    return app


def store_of(app: Flask | None = None) -> Store:
    from flask import current_app

    return (app or current_app).extensions["kiosk_store"]


