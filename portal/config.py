"""Settings: defaults here, then ``instance/config.py``, then ``PORTAL_*`` environment variables.

Secrets are never defaulted: the session key and the personal-data key are generated into
``instance/`` on first start (or taken from the environment), so a checkout holds none.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from portal.domain.i18n import N_

DEFAULTS: dict[str, object] = {
    "SQLALCHEMY_DATABASE_URI": None,  # None: SQLite at instance/portal.db
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SECRET_KEY": None,
    "DATA_KEY": None,  # base64 of 32 bytes; encrypts ID numbers and mobiles
    "REDIS_URL": None,  # rate limits, task queue and shared caches when set
    # Proxies in front of the app whose X-Forwarded-For/-Proto/-Host to believe (nginx: 1); 0: none.
    "PROXY_FIX_X_FOR": 0,
    "SMS_BACKEND": "outbox",  # outbox | http
    "SMS_HTTP_URL": None,  # e.g. https://sms.example/send?to={mobile}&text={text}
    "SMS_HTTP_METHOD": "GET",
    "SMS_ECHO": False,  # print delivered texts, codes included, to the console: `make run` only
    # Texts a visitor can make the portal send (codes), per recipient mobile: beyond these the
    # request is refused with a message (a stranger gets the same answer as a member).
    "SMS_RECIPIENT_PER_HOUR": 5,
    "SMS_RECIPIENT_PER_DAY": 10,
    # The HTTP gateway's delivery reports (POST /texts/delivery-reports): HMAC with this shared
    # secret; unset, the endpoint does not exist. Set it with PORTAL_SMS_REPORT_SECRET.
    "SMS_REPORT_SECRET": None,
    "SMS_REPORTS_RATE_LIMIT": "120 per minute",
    "LOGIN_CODES_PER_DAY": 10,  # sign-in codes per ID number
    "SMS_SIGNATURE": "【职工互助保障】",
    # The help page (/help), linked from every page header: the union's service hotline and its hours.
    "HELP_HOTLINE": "12351",
    "HELP_HOTLINE_HOURS": N_("周一至周五 8:30—17:30（法定节假日除外）"),
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "LANGUAGES": ["zh_CN", "en"],
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,  # set PORTAL_SESSION_COOKIE_SECURE=1 behind HTTPS
    "REMEMBER_COOKIE_HTTPONLY": True,
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    "MAX_CONTENT_LENGTH": 110 * 1024 * 1024,  # large rosters; per-file limits are checked by services
    "UPLOAD_MAX_BYTES": 10 * 1024 * 1024,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_HEADERS_ENABLED": True,
    # werkzeug's scrypt (N=32768, about 0.2 s a hash: memory-hard); the test suite sets a cheaper
    # cost of the same algorithm, since it signs staff in hundreds of times.
    "PASSWORD_HASH_METHOD": "scrypt",
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_MINUTES": 15,
    "OTP_TTL_SECONDS": 300,
    "OTP_MAX_ATTEMPTS": 5,
    "TOTP_MAX_FAILURES": 5,  # wrong two-factor codes in a row before a pause
    "TOTP_LOCK_MINUTES": 15,
    "TOTP_ISSUER": "职工互助保障",
    "HUEY_IMMEDIATE": False,
    # None: instance/uploads. Several app servers: one shared directory (NFS, a mounted volume).
    "UPLOAD_FOLDER": None,
    "PAGE_SIZE": 50,
    "SEARCH_TOKEN_SECONDS": 8 * 3600,
    # Retention, in days (``flask purge``, nightly): codes, their seeds and what waited for them;
    # an unconfirmed or failed roster's file (an imported one goes at once); a kiosk submission
    # refused and never dealt with (its details; the reason stays); kiosk attachments (copied into
    # their claim when applied).
    "RETENTION_CODES_DAYS": 2,
    "RETENTION_ROSTER_FILE_DAYS": 30,
    "RETENTION_KIOSK_REJECTED_DAYS": 90,
    "RETENTION_KIOSK_ATTACHMENT_DAYS": 30,  # a search's sealed words (``?s=``) open for this long, one user only
    # SQL parameters (ID numbers, health data) are kept out of logs and error messages; turn on for
    # development only.
    "LOG_SQL_PARAMETERS": False,
    # The federation dashboard's enrolment figures come from a summary refreshed by the task queue a
    # minute after changes and every five minutes; older than this (seconds), a request refreshes it.
    "DASHBOARD_SUMMARY_MAX_AGE": 15 * 60,
    "PAYOUT_BATCH_MAX_CLAIMS": 5000,  # claims per payout batch (one bank file); a backlog makes several
    # Kiosk sync (SYNC.md); the limits are announced to kiosks by POST /api/sync/v1/session.
    "SYNC_MAX_ENVELOPES": 100,  # per push
    "SYNC_MAX_BODY_BYTES": 2 * 1024 * 1024,  # a push or other JSON request
    "SYNC_MAX_BLOB_BYTES": 10 * 1024 * 1024,  # one attachment
    "SYNC_CHANGES_MAX_LIMIT": 500,  # changes per pull
    "SYNC_FEED_RETENTION_DAYS": 30,  # older changes are pruned; an older cursor gets 410
    "SYNC_ENROLMENT_TOKEN_HOURS": 24,
    "SYNC_KEY_OVERLAP_HOURS": 168,  # an old key stays valid this long after a new one is added
    "SYNC_PUSH_RATE_LIMIT": "600/minute",  # per kiosk, every signed request
    "SYNC_LOOKUP_RATE_LIMIT": "10/minute;60/hour",  # per kiosk, live look-ups and code checks
    "SYNC_NONCE_STORE": "auto",  # auto (Redis when REDIS_URL is set) | database | redis
}

# Environment names that differ from the config key they set.
ENV_ALIASES = {
    "PORTAL_DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
}


def _coerce(raw: str, default: object) -> object:
    """Give an environment string the type of the default it replaces."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def apply_environment(config: dict, environ: dict[str, str] | None = None) -> None:
    """Overlay ``PORTAL_*`` variables onto ``config``."""
    environ = os.environ if environ is None else environ
    for name, raw in environ.items():
        if not name.startswith("PORTAL_") or name.startswith("PORTAL_TEST_"):
            continue
        key = ENV_ALIASES.get(name, name.removeprefix("PORTAL_"))
        config[key] = _coerce(raw, DEFAULTS.get(key, config.get(key)))


def _instance_secret(instance: Path, filename: str, make) -> str:
    """Read a generated secret from ``instance/``, creating it (mode 0600) on first use."""
    path = instance / filename
    if path.exists():
        return path.read_text().strip()
    value = make()
    # O_EXCL: two workers starting at once must not write two different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def finalise(config: dict, instance_path: str) -> None:
    """Fill the settings that depend on the instance folder."""
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'portal.db'}"
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _instance_secret(instance, "secret_key", lambda: secrets.token_hex(32))
    if not config.get("DATA_KEY"):
        config["DATA_KEY"] = _instance_secret(
            instance, "data_key", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        )
    # Rate limits shared by every worker whenever Redis is there (gunicorn.conf.py refuses
    # several workers with limits in memory).
    if not config.get("RATELIMIT_STORAGE_URI"):
        config["RATELIMIT_STORAGE_URI"] = config.get("REDIS_URL") or "memory://"
    if not config.get("UPLOAD_FOLDER"):
        config["UPLOAD_FOLDER"] = str(instance / "uploads")
    Path(config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        uri = "postgresql://" + uri.removeprefix("postgres://")
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    config["SQLALCHEMY_DATABASE_URI"] = uri
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options["hide_parameters"] = not config.get("LOG_SQL_PARAMETERS")
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if uri.startswith("sqlite"):
        # SQLite has no pool worth pinging; a busy timeout lets concurrent writers wait.
        options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.pop("pool_pre_ping", None)
        options.setdefault("connect_args", {"timeout": 30})
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
