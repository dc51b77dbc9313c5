"""Running behind a reverse proxy (nginx, ``deploy/nginx.conf.example``): the client's real
address from ``X-Forwarded-For`` and static files under URLs that change with their content.

- ``PROXY_FIX_X_FOR`` (``PORTAL_PROXY_FIX_X_FOR``): how many proxies in front of the app to
  believe. 0 (the default, no proxy): the headers are ignored, so nobody can pose as another
  address by sending ``X-Forwarded-For`` — rate limits and lock-outs count the socket's address.
  1 behind one nginx: the address nginx saw, and its scheme and host.
- Every ``url_for('static', …)`` carries ``?v=`` and the first 12 hex digits of the file's
  SHA-256: a new release gives new URLs, so the proxy (and the browser) may keep a static file a
  year (``Cache-Control: public, max-age=31536000, immutable``), and never serve an old one.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

STATIC_MAX_AGE = 365 * 24 * 3600


@lru_cache(maxsize=512)
def _digest(path: str, mtime_ns: int) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def static_version(app: Flask, filename: str) -> str | None:
    """The content hash of a static file (re-read when the file changes), None if there is none."""
    path = os.path.join(app.static_folder or "", filename)
    try:
        return _digest(path, os.stat(path).st_mtime_ns)
    except OSError:
        return None


def init_app(app: Flask) -> None:
    hops = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.url_defaults
    def _versioned_static(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = static_version(app, values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def _cache_versioned_static(response):
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = STATIC_MAX_AGE
            response.cache_control.immutable = True
        return response
