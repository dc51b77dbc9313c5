"""Protections every response and request gets, whatever the view: security headers, no caching
of dynamic pages, and sessions the server can end.

Kept out of the views on purpose: a new route is protected the day it is added, and
``tests/web/test_security_headers.py`` walks every route to prove it.
"""

from __future__ import annotations

from flask import Flask, current_app, request

# No inline script, no eval, nothing from another site; the portal is never framed (clickjacking
# on the claim and payout buttons). htmx is configured by a <meta> in base.html not to eval
# (``allowEval: false``) and not to inject its own inline <style> (``includeIndicatorStyles``).
# Images may be ``data:``/``blob:`` (QR codes, previews of a photo about to be uploaded).
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    app.after_request(security_headers)


def security_headers(response):
    """Headers on every answer; the CSP and the frame refusal on every page.

    Dynamic answers are ``no-store``: most pages carry personal data (a member's cover, claims,
    health notes, the SMS outbox), and on a shared kiosk or family phone the browser's Back
    button or disk cache must not show them to the next person. Only static files may be cached.
    """
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint != "static" and "no-store" not in (headers.get("Cache-Control") or ""):
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
        response.headers["Pragma"] = "no-cache"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
