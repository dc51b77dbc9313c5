"""Protections every response and request gets, whatever the view: security headers, no caching
of dynamic pages, and sessions the server can end.

Kept out of the views on purpose: a new route is protected the day it is added, and
``tests/web/test_security_headers.py`` walks every route to prove it.
"""

from __future__ import annotations

import math

from flask import Flask, current_app, request

from portal.domain.i18n import N_

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


NUL_REFUSED = N_("提交的内容含有无法识别的控制字符（如从其他软件复制带入的空字符），请删除后重新填写。")


NUMBER_TOO_LARGE = N_("这个数字超出了合理范围，请检查后重新填写。")
# The largest whole number a database INTEGER holds, and the largest amount (in yuan) any form
# needs: a larger one is a typing error or an attack, refused under its field, never a 500.
MAX_INTEGER = 2_147_483_647
MAX_DECIMAL = 10**10


def shared_limits_problem(config, workers: int) -> str | None:
    """Why ``workers`` processes cannot serve with these settings, or ``None``: rate limits kept in
    one process's memory are per worker, so several workers need Redis (``PORTAL_REDIS_URL``)."""
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if workers > 1 and config.get("RATELIMIT_ENABLED", True) and storage.startswith("memory"):
        return (f"{workers} workers with rate limits in memory would multiply every limit by {workers}: "
                "set PORTAL_REDIS_URL (shared limits) or run one worker.")
    return None


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul)
    app.after_request(security_headers)
    bound_form_numbers()


def bound_form_numbers() -> None:
    """Every WTForms number field of every form refuses values beyond what the database holds.

    Done once for the field classes rather than form by form, so a form added tomorrow is bounded
    too: a 20-digit ``plan_year`` or amount overflows an INTEGER or NUMERIC column (a 500 on
    PostgreSQL, a silent overflow on SQLite) if it gets that far.
    """
    from flask_babel import lazy_gettext
    from wtforms import fields

    for field_class, limit in ((fields.IntegerField, MAX_INTEGER), (fields.DecimalField, MAX_DECIMAL),
                               (fields.FloatField, MAX_DECIMAL)):
        if getattr(field_class.process_formdata, "bounded", False):
            continue
        original = field_class.process_formdata

        def process_formdata(self, valuelist, _original=original, _limit=limit):
            if valuelist and isinstance(valuelist[0], str) and len(valuelist[0].strip()) > 40:
                self.data = None
                raise ValueError(lazy_gettext(NUMBER_TOO_LARGE))
            _original(self, valuelist)
            if self.data is not None and not (_finite(self.data) and -_limit <= self.data <= _limit):
                self.data = None
                raise ValueError(lazy_gettext(NUMBER_TOO_LARGE))

        process_formdata.bounded = True
        field_class.process_formdata = process_formdata


def _finite(number) -> bool:
    """NaN and infinities are not numbers any form wants (``Decimal("NaN")`` parses)."""
    from decimal import Decimal

    if isinstance(number, Decimal):
        return number.is_finite()
    return math.isfinite(number)


def refuse_nul(_request=None):
    """A NUL byte anywhere in the address, the query or a form is refused with 400 and a message.

    No text field has a use for it, PostgreSQL refuses it in text (a 500 deep in a service), and
    it truncates strings in C libraries: one check here covers every form of every area. JSON
    bodies (the kiosk API) are checked by their own parser.
    """
    from portal.errors import bad_request

    values = [request.path, *request.args.keys(), *request.args.values()]
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        values += [*request.form.keys(), *request.form.values()]
        values += [upload.filename or "" for upload in request.files.values()]
    if any("\x00" in value for value in values):
        return bad_request(NUL_REFUSED)
    return None


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
