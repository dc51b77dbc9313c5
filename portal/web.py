"""Helpers every view uses: page-or-fragment rendering, access decorators, the button-only form."""

from __future__ import annotations

from datetime import date
from functools import wraps
from urllib.parse import unquote, urlsplit

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf import FlaskForm

from portal.domain.bounds import MAX_ID, MAX_PAGE, record_id  # noqa: F401 - MAX_ID is imported from here
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


def int_arg(name: str, low: int = 0, high: int = MAX_ID) -> int | None:
    """A whole-number query argument from ``low`` to ``high``; ``None`` when absent or out of
    range (a filter that cannot match is no filter, never an overflow in the database)."""
    raw = request.args.get(name, "")
    value = int(raw) if raw.isascii() and raw.lstrip("-").isdecimal() and len(raw) <= 11 else None
    return value if value is not None and low <= value <= high else None


def date_arg(name: str) -> date | None:
    """A ``YYYY-MM-DD`` query argument as a date; ``None`` when absent or not a date."""
    raw = request.args.get(name, "")
    if len(raw) != 10 or not raw.isascii():
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def checked_id(text) -> int:
    """An id sent in a form field, or ``ValueError`` (which views answer with "please choose…")."""
    value = record_id(text)
    if value is None:
        raise ValueError("not a record id")
    return value


def page_arg() -> int:
    """The ``page`` query argument as a page number from 1 to ``MAX_PAGE``."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


SEARCH_TOKEN = "s"  # the query argument carrying typed search words, sealed


def _search_owner() -> str:
    # The session's user id carries its generation: signing out ends the searches too.
    return str(current_user.get_id() or "")


def search_term(limit: int = 60) -> str:
    """The words typed in a staff search box (a name, an ID number, a mobile, a claim number).

    They never travel in an address: the form POSTs them (``search_redirect``) and the page's
    address carries only ``s``, an opaque token sealed for this signed-in user, valid for
    ``SEARCH_TOKEN_SECONDS``. So access logs, browser history and ``Referer`` headers never hold an
    ID number, and a copied address opens nothing for someone else.
    """
    from portal.pii import vault

    token = request.args.get(SEARCH_TOKEN, "")
    if not token or len(token) > 1024:
        return ""
    term = vault().unseal(token, _search_owner(), current_app.config["SEARCH_TOKEN_SECONDS"])
    return (term or "").strip()[:limit]


def search_redirect(endpoint: str, filters: tuple[str, ...], limit: int = 60, **values):
    """Post/redirect/get for a search form: the typed words (``q``, from the form or from an old
    ``?q=`` address) become a sealed token; the other ``filters`` stay readable in the address."""
    from portal.pii import vault

    source = request.form if request.method == "POST" else request.args
    args = {name: source.get(name, "")[:100] for name in filters if source.get(name)}
    term = source.get("q", "").strip()[:limit]
    if term:
        args[SEARCH_TOKEN] = vault().seal(term, _search_owner())
    return redirect(url_for(endpoint, **values, **args), 303)


def needs_search_redirect() -> bool:
    """A POSTed search form, or an old address with ``?q=``: both are answered with a redirect."""
    return request.method == "POST" or "q" in request.args


def safe_next(target: str | None) -> str | None:
    r"""``target`` when it is a path on this site, else ``None``: a ``next`` or ``back`` field never
    sends anyone to another site.

    Browsers read ``//host`` and ``/\host`` as another host, and drop tabs and newlines inside an
    address (``/\t/host`` becomes ``//host``), so a backslash or a control character anywhere is
    refused, as is anything with a scheme or a host. Each check is made on the address as sent and
    again after percent-decoding (up to three rounds), because a proxy, a later redirect or a
    browser may decode ``/%09/host`` or ``/%2F%2Fhost`` on the way; an address that still carries
    an escape after three rounds is refused rather than trusted. Over-long addresses are refused too.
    """
    if not target or len(target) > 2048:
        return None
    candidate = target
    for _round in range(4):
        if not _plain_local_path(candidate):
            return None
        decoded = unquote(candidate)
        if decoded == candidate:
            return target
        candidate = decoded
    return None


def _plain_local_path(target: str) -> bool:
    if not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in target):
        return False
    parts = urlsplit(target)
    return not (parts.scheme or parts.netloc)


def redirect_back(default: str, target: str | None = None):
    """Redirect to ``target`` (a ``next``/``back`` field, or the page the request came from) when
    it is a path on this site, else to ``default``. A ``Referer`` is a full address: only one on
    this very host is followed, as its path."""
    if target is None and request.referrer:
        parts = urlsplit(request.referrer)
        if parts.netloc == request.host and parts.scheme in {"http", "https"}:
            target = parts.path + (f"?{parts.query}" if parts.query else "")
    return redirect(safe_next(target) or default)


def translate(msgid: str, params: dict | None = None) -> str:
    """A marked message in the reader's language; marked parameters (labels) are translated too,
    dates follow the page's language."""
    from portal.templating import local_date, local_figures

    values = {}
    for name, value in (params or {}).items():
        if isinstance(value, Msgid):
            value = gettext(value)
        elif isinstance(value, date):
            value = local_date(value)
        elif isinstance(value, str):
            value = local_figures(value)
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
    placed = False
    for name, msgid in error.problems:
        problem_field = getattr(form, name, None)
        if problem_field is not None and isinstance(getattr(problem_field, "errors", None), (list, tuple)):
            problem_field.errors = [*problem_field.errors, gettext(msgid)]
            placed = True
    if placed:
        if also_flash:
            flash(gettext("还不能提交：请补全下面标出的%(count)s项。", count=len(error.problems)), "error")
        return
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
