"""Jinja filters and globals: money in 元, dates and times the Chinese way, masked data."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, session, url_for
from flask_babel import format_date, get_locale, get_translations, gettext
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup, escape

from portal import charts
from portal.domain.enrollment import COVER_STATUS_LABELS, COVER_STATUS_TONES, STORED_ISSUES, CoverStatus
from portal.domain.enrollment import cover_status as rules_cover_status
from portal.domain.i18n import chinese_date
from portal.domain.identity import mask_id_number, mask_mobile, mask_name
from portal.domain.money import format_amount, format_yuan
from portal.domain.roles import ROLE_LABELS, Role


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return value.astimezone(zone).strftime(fmt)


def local_date(value: date | None) -> str:
    """A day in the page's language: ``2026年7月15日``, or ``15 Jul 2026`` on English pages."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    locale = get_locale()
    if locale is None or locale.language == "zh":
        return chinese_date(value)
    return format_date(value, format="medium")


def local_moment(value: datetime | None) -> str:
    """A moment as the day in the page's language and the time in China: ``2026年7月15日 09:30``."""
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    moment = value.astimezone(zone)
    return f"{local_date(moment.date())} {moment:%H:%M}"


def month_label(value: date, short: bool = False) -> str:
    """A month in the page's language: ``2026年7月`` / ``Jul 2026``; ``short``: ``7月`` / ``Jul``."""
    locale = get_locale()
    if locale is None or locale.language == "zh":
        return f"{value.month}月" if short else f"{value.year}年{value.month}月"
    return format_date(value, format="MMM" if short else "MMM yyyy")


def compact_yuan(fen: int | float | None) -> str:
    """An axis label for money: ``12.5万元`` / ``¥125k``; the tables beside charts give exact amounts."""
    if fen is None:
        return ""
    amount = Decimal(int(round(fen))) / 100
    locale = get_locale()
    if locale is None or locale.language == "zh":
        if amount >= 10000:
            return f"{(amount / 10000).normalize():f}万元"
        return f"{amount.normalize():f}元"
    for limit, suffix in ((Decimal(1_000_000), "M"), (Decimal(1000), "k")):
        if amount >= limit:
            return f"¥{(amount / limit).quantize(Decimal('0.01')).normalize():f}{suffix}"
    return f"¥{amount.normalize():f}"


def zip_rows(first_column, rows, *keys, money: bool = False) -> list[list[str]]:
    """The rows of a chart's table: ``first_column``'s values, then each row's ``keys`` as numbers
    (``1,234``), or as money in the page's language when ``money``."""
    return [[str(first), *((yuan(int(row[key])) if money else f"{row[key]:,}") for key in keys)]
            for first, row in zip(first_column, rows, strict=True)]


def yuan(value: int | Decimal | None) -> str:
    """Integer fen (or a Decimal of yuan) as ``1,234.56元``, or ``¥1,234.56`` on English pages."""
    if value is None:
        return ""
    locale = get_locale()
    return format_yuan(value) if locale is None or locale.language == "zh" else f"¥{format_amount(value)}"


@pass_context
def _yuan_filter(context, value: int | Decimal | None) -> str:
    """``yuan`` as a filter: the page's language is read once per render (``page_is_zh``, set by
    ``page_translations``), not looked up again for every amount of a long table."""
    if value is None:
        return ""
    is_zh = context.get("page_is_zh")
    if is_zh is None:  # a macro imported without the page's context
        return yuan(value)
    return format_yuan(value) if is_zh else f"¥{format_amount(value)}"


# The finished text of each ``_('…')`` without variables, per catalogue (Flask-Babel keeps one
# catalogue object per language for the life of the process): the layout and navigation alone call
# ``_()`` some thirty times a page, each a catalogue lookup, a ``Markup`` and a ``%``, always giving
# the same text. Weak keys: a catalogue dropped (tests build many apps) takes its texts with it.
_CONSTANT_TEXTS: WeakKeyDictionary = WeakKeyDictionary()


def _constant_texts(translations) -> dict:
    try:
        return _CONSTANT_TEXTS.setdefault(translations, {})
    except TypeError:  # a catalogue that cannot be weakly referenced: no memory kept
        return {}


def page_translations() -> dict:
    """``_``/``gettext``/``ngettext`` for one render, bound to the request's translations once.

    Flask-Babel's callables look the translations up again on every call (the app context, the
    domain, the locale: about 15 µs each); a review queue page calls ``_()`` over 200 times. These
    behave as Jinja's "newstyle" gettext does (the text is marked safe when autoescaping and always
    %-formatted with the keyword arguments), so templates are written the same way.
    """
    translations = get_translations()
    locale = get_locale()
    text, plural = translations.ugettext, translations.ungettext
    constant = _constant_texts(translations)

    @pass_context
    def fast_gettext(context, message: str, /, **variables):
        autoescape = context.eval_ctx.autoescape
        if not variables:
            known = constant.get((message, autoescape))
            if known is not None:
                return known
        value = text(message)
        if autoescape:
            value = Markup(value)  # noqa: S704 - our own catalogue's text, as Jinja's newstyle gettext marks it
        value = value % variables
        if not variables:
            constant[(message, autoescape)] = value
        return value

    @pass_context
    def fast_ngettext(context, singular: str, plural_form: str, num: int, /, **variables):
        variables.setdefault("num", num)
        value = plural(singular, plural_form, num)
        if context.eval_ctx.autoescape:
            value = Markup(value)  # noqa: S704 - our own catalogue's text, as Jinja's newstyle gettext marks it
        return value % variables

    return {"_": fast_gettext, "gettext": fast_gettext, "ngettext": fast_ngettext,
            "page_is_zh": locale is None or locale.language == "zh"}


def yuan_amount(value: int | Decimal | None) -> str:
    """The figure alone, for places that name the unit themselves (元/天, 元/月)."""
    return "" if value is None else format_amount(value)


STORED_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
STORED_MONEY = re.compile(r"(-?\d[\d,]*\.\d{2})元")


def local_figures(text: str) -> str:
    """Dates and amounts written the Chinese way into a stored text (a timeline step, a rule's
    figures), the English way on an English page; as they are on a Chinese one."""
    locale = get_locale()
    if not text or locale is None or locale.language == "zh":
        return text
    text = STORED_DATE.sub(lambda m: format_date(date(int(m[1]), int(m[2]), int(m[3])), format="medium"), text)
    return STORED_MONEY.sub(lambda m: f"¥{m[1]}", text)


def local_params(params: dict | None) -> dict:
    """Stored message parameters with their dates and amounts in the page's language."""
    return {name: local_figures(value) if isinstance(value, str) else value for name, value in (params or {}).items()}


def translated(text: str | None) -> str:
    """A stored text in the reader's language when it is a known msgid, else as it was (its
    dates and amounts in the page's way).

    Unlike ``_()`` in a template, the result is neither marked safe nor %-formatted: stored texts
    may hold what someone typed.
    """
    return local_figures(gettext(text)) if text else ""


def form_problems(*forms) -> list[tuple[str, str, str]]:
    """(field id, label, message) for every error of ``forms`` (WTForms forms, ``None`` skipped), in
    the order the fields appear: what the error summary at the top of a page lists."""
    problems = []
    for form in forms:
        if form is None or not hasattr(form, "_fields"):
            continue
        for name, field in form._fields.items():
            if field.type in ("CSRFTokenField", "HiddenField"):
                continue
            for message in field.errors if isinstance(field.errors, (list, tuple)) else ():
                problems.append((field.id or name, str(field.label.text), str(message)))
    return problems


def cover_status(enrollment) -> CoverStatus:
    """One enrolment's status as every page shows it (see ``portal.domain.enrollment.cover_status``)."""
    if enrollment is None:
        return CoverStatus.NONE
    from portal import clock

    return rules_cover_status(enrollment.status, enrollment.starts_on, enrollment.ends_on, clock.today())


# A bound on each cache of addresses: ``script_root`` comes from the request (a proxy's prefix), so
# however many different ones arrive, the memory kept stays small.
CACHED_URLS_MAX = 256


def fixed_url(endpoint: str) -> str:
    """``url_for(endpoint)`` for an endpoint without arguments, built once per mount point.

    The layout and navigation link the same pages on every request (some fifteen ``url_for``
    calls, each a walk of the URL map and of every ``url_defaults`` hook, ~30 µs); the address
    of an endpoint without arguments depends only on where the app is mounted (``script_root``).
    """
    cache = current_app.extensions.setdefault("fixed_urls", {})
    key = (endpoint, request.script_root)
    found = cache.get(key)
    if found is None:
        found = url_for(endpoint)
        if len(cache) < CACHED_URLS_MAX:
            cache[key] = found
    return found


def static_url(filename: str) -> str:
    """``url_for('static', filename=…)`` with its content version, built once per version of the
    file: the version is still checked on every call (``proxy.static_version``), so an edited
    file gets its new address at once, as before."""
    from portal.proxy import static_version

    cache = current_app.extensions.setdefault("static_urls", {})
    key = (filename, request.script_root, static_version(current_app, filename))
    found = cache.get(key)
    if found is None:
        found = url_for("static", filename=filename)
        if len(cache) < CACHED_URLS_MAX:
            cache[key] = found
    return found


# Where the navigation's sign-out form takes the request's CSRF token: a character of Unicode's private
# use area, which no catalogue text or address holds and escaping leaves as it is.
NAVIGATION_CSRF_SLOT = "\ue000csrf-token\ue000"
_NAVIGATIONS: WeakKeyDictionary = WeakKeyDictionary()


@pass_context
def navigation(context) -> Markup:
    """``_nav.html`` for the reader's role and language, rendered once per catalogue, role and mount
    point, with the request's own CSRF token put in.

    The navigation is the same for everyone of one role reading one language (its links and texts,
    nothing about the person); rendering it again cost every page some fifty template calls. The
    catalogue is a weak key, as for ``_constant_texts``.
    """
    from flask_wtf.csrf import generate_csrf

    role = context.get("current_role")
    try:
        # Not kept while templates reload on change (development): an edited _nav.html shows at once.
        cache = {} if current_app.jinja_env.auto_reload else _NAVIGATIONS.setdefault(get_translations(), {})
    except TypeError:
        cache = {}
    key = (role, request.script_root)
    html = cache.get(key)
    if html is None:
        html = current_app.jinja_env.get_template("_nav.html").render(
            current_role=role, Role=Role, csrf_token=lambda: NAVIGATION_CSRF_SLOT, **page_translations())
        if len(cache) < CACHED_URLS_MAX:
            cache[key] = html
    if NAVIGATION_CSRF_SLOT in html:
        html = html.replace(NAVIGATION_CSRF_SLOT, str(escape(generate_csrf())))
    return Markup(html)  # noqa: S704 - our own template's output, escaped as it rendered


def init_app(app: Flask) -> None:
    from portal.domain import audit as audit_words

    app.jinja_env.globals.update(audit_words=audit_words, cover_status=cover_status, local_params=local_params,
                                 COVER_STATUS_LABELS=COVER_STATUS_LABELS,
                                 COVER_STATUS_TONES=COVER_STATUS_TONES)
    app.jinja_env.globals["form_problems"] = form_problems
    app.jinja_env.globals.update(fixed_url=fixed_url, static_url=static_url, navigation=navigation)
    app.jinja_env.globals["STORED_ISSUES"] = STORED_ISSUES  # a roster's page lists this many issues
    app.jinja_env.filters.update(
        local_time=local_time,
        cn_date=local_date,
        yuan=_yuan_filter,
        yuan_amount=yuan_amount,
        mask_id=mask_id_number,
        mask_mobile=mask_mobile,
        mask_name=mask_name,
        translated=translated,
        local_moment=local_moment,
        month_label=month_label,
        compact_yuan=compact_yuan,
        zip_rows=zip_rows,
    )
    app.jinja_env.globals.update(bar_chart=charts.bar_chart, line_chart=charts.line_chart, Series=charts.Series,
                                compact_yuan_text=compact_yuan)

    app.context_processor(page_translations)

    @app.context_processor
    def portal_globals():
        role = Role(current_user.role) if current_user.is_authenticated else None
        return {
            "current_role": role,
            "role_label": ROLE_LABELS.get(role, "") if role else "",
            "Role": Role,
            "current_lang": session.get("lang") or app.config["BABEL_DEFAULT_LOCALE"],
        }
