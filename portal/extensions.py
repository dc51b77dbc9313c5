"""Extensions, created unbound here and bound to an app in ``create_app``."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale
from flask import session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


class PortalLimiter(Limiter):
    """Flask-Limiter, without its before-request pass on the requests it has nothing to decide for.

    A ``@limiter.limit`` on a view is checked by the decorator's own wrapper when the view runs; the
    before-request pass only applies the limits that reach every endpoint (application, default and
    meta limits, a blueprint's limits, limits hinted to an endpoint, the in-memory fallback's when
    the storage is down). The portal declares none of those, yet resolving that nothing applies cost
    every page 70-130 µs. So the pass is skipped while none exists, and runs exactly as before as
    soon as one does (a ``RATELIMIT_DEFAULT`` set in the environment, say).
    """

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and callable_name is None and not self._limits_every_request_may_meet():
            return None
        return super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def _limits_every_request_may_meet(self) -> bool:
        from flask import request

        manager = self.limit_manager
        return bool(manager._application_limits or manager._default_limits or manager._blueprint_limits
                    or self._meta_limits or self._storage_dead
                    or manager.has_hints(request.endpoint or ""))


limiter = PortalLimiter(key_func=get_remote_address, default_limits=[])


def select_locale() -> Locale:
    """Chinese unless the visitor chose English with the switch.

    Not the browser's Accept-Language: kiosks and many phones ship with an English default,
    and the people this portal serves read Chinese first. Given as a parsed ``Locale`` (one per
    language, kept): Flask-Babel would otherwise parse the name again on every request.
    """
    from flask import current_app

    chosen = session.get("lang")
    return _parsed_locale(chosen if chosen in current_app.config["LANGUAGES"]
                          else current_app.config["BABEL_DEFAULT_LOCALE"])


@lru_cache(maxsize=16)
def _parsed_locale(name: str) -> Locale:
    return Locale.parse(name)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Foreign keys on, WAL for concurrent readers: SQLite's defaults suit neither."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
