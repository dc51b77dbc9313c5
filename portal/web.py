"""Helpers every view uses: page-or-fragment rendering, access decorators, the button-only form."""

from __future__ import annotations

from datetime import date
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, flash, make_response, render_template, request
from flask_babel import gettext
from flask_login import current_user
from flask_wtf import FlaskForm

from portal.domain.errors import DomainError
from portal.domain.i18n import Msgid
from portal.domain.roles import Role
from portal.extensions import login_manager


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST."""


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def render(template: str, fragment: str | None = None, status: int = 200, **context):
    """Render the full page, or only ``fragment`` when htmx asked; the answer varies on HX-Request."""
    name = fragment if fragment and is_htmx() else template
    response = make_response(render_template(name, **context), status)
    response.vary.add("HX-Request")
    return response


def roles_required(*roles: Role):
    """Signed-in users holding one of ``roles``; others are sent to sign in or get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if Role(current_user.role) not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


member_required = roles_required(Role.MEMBER)


def staff_required(view):
    """Any signed-in staff account."""
    return roles_required(*(role for role in Role if role is not Role.MEMBER))(view)


# Far beyond any real list; a larger page number or id is typed, not clicked, and would overflow
# the database's integers (a 500) instead of showing an empty page or "not found".
MAX_PAGE = 100_000
MAX_ID = 2_147_483_647


def page_arg() -> int:
    """The ``page`` query argument as a page number from 1 to ``MAX_PAGE``."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def safe_next(target: str | None) -> str | None:
    r"""``target`` when it is a path on this site, else ``None``: a ``next`` or ``back`` field never
    sends anyone to another site.

    Browsers read ``//host`` and ``/\host`` as another host, and drop tabs and newlines inside an
    address (``/\t/host`` becomes ``//host``), so a backslash or a control character anywhere is
    refused, as is anything with a scheme or a host.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def translate(msgid: str, params: dict | None = None) -> str:
    """A marked message in the reader's language; marked parameters (labels) are translated too,
    dates follow the page's language."""
    from portal.templating import local_date

    values = {}
    for name, value in (params or {}).items():
        if isinstance(value, Msgid):
            value = gettext(value)
        elif isinstance(value, date):
            value = local_date(value)
        values[name] = value
    return gettext(msgid, **values) if values else gettext(msgid)


def error_text(error: DomainError) -> str:
    """What a refusal says, in the reader's language."""
    return translate(error.msgid, error.params)


def flash_error(error: DomainError) -> None:
    flash(error_text(error), "error")


def field_error(form, error: DomainError, default_field: str | None = None, *, also_flash: bool = False) -> None:
    """Put a refusal under the field it concerns (or ``default_field``), so the person sees it next
    to what they typed; with no such field on the form, at the top of the page."""
    field = getattr(form, error.field or "", None) or (getattr(form, default_field, None) if default_field else None)
    if field is not None and isinstance(getattr(field, "errors", None), (list, tuple)):
        field.errors = [*field.errors, error_text(error)]
        if also_flash:
            flash_error(error)
    else:
        flash_error(error)


def form_errors(form) -> list[str]:
    """The messages of a WTForms form, field by field, for a summary at the top of the form."""
    return [message for messages in form.errors.values() for message in messages]
