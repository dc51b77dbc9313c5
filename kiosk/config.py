"""Kiosk settings: defaults here, then ``instance/kiosk/config.py``, then ``KIOSK_*`` variables.

What the kiosk learns when it enrols (its id, the central URL) and what sync keeps (cursor, last
sync) live in its database, not here: this file is for what an installer decides.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, object] = {
    "SECRET_KEY": None,  # generated into instance/kiosk/secret_key
    "KEY_FILE": None,  # None: instance/kiosk/kiosk_key.pem (Ed25519, 0600)
    "PUBLIC_PORTAL_URL": None,  # the portal's address for people's phones (receipt QR codes); default: the sync URL
    "STAFF_PIN_HASH": None,  # werkzeug hash of the station staff PIN (flask --app kiosk.wsgi kiosk pin-hash)
    "IDLE_WARNING_SECONDS": 60,
    "IDLE_RESET_SECONDS": 90,
    "STAFF_SESSION_SECONDS": 300,
    "SYNC_INTERVAL_SECONDS": 30,
    "BACKOFF_BASE_SECONDS": 2,
    "BACKOFF_CAP_SECONDS": 300,  # SYNC.md: full jitter, cap 5 minutes
    "STATUS_POLL_SECONDS": 10,
    "RECEIPT_POLL_SECONDS": 3,  # a receipt waiting for the central answer looks again this often
    "UPLOAD_MAX_BYTES": 10 * 1024 * 1024,
    "MAX_CONTENT_LENGTH": 45 * 1024 * 1024,  # a claim with a few phone photos
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Strict",
    "WTF_CSRF_TIME_LIMIT": None,  # a form may stay open as long as the person takes; idle reset clears it
}


def instance_path() -> str:
    return os.environ.get("KIOSK_INSTANCE_PATH") or str(ROOT / "instance" / "kiosk")


def _coerce(raw: str, default: object) -> object:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    return raw


def apply_environment(config: dict, environ=None) -> None:
    environ = os.environ if environ is None else environ
    for name, raw in environ.items():
        if name.startswith("KIOSK_") and name != "KIOSK_INSTANCE_PATH":
            key = name.removeprefix("KIOSK_")
            config[key] = _coerce(raw, config.get(key))


def finalise(config: dict, instance: str) -> None:
    folder = Path(instance)
    folder.mkdir(parents=True, exist_ok=True)
    if not config.get("SECRET_KEY"):
        path = folder / "secret_key"
        if not path.exists():
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        config["SECRET_KEY"] = path.read_text().strip()
    if not config.get("KEY_FILE"):
        config["KEY_FILE"] = str(folder / "kiosk_key.pem")
