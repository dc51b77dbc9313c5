"""Anyone: sign-in and sign-out for staff (password) and members (ID number + text code)."""

from __future__ import annotations

import time

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from portal import clock
from portal.blueprints.auth import bp, load_user
from portal.blueprints.auth.forms import MemberCodeForm, MemberCodeRequestForm, StaffLoginForm, TwoFactorCodeForm
from portal.domain.errors import InvalidInput
from portal.domain.identity import mask_id_number, normalise, parse_id_number, parse_mobile
from portal.extensions import limiter
from portal.services import auth, two_factor
from portal.web import EmptyForm, error_text, field_error, flash_error, render, safe_next


def _fresh_session() -> None:
    """A new session at every sign-in and sign-out (no fixation), keeping only the language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _safe_next(default: str) -> str:
    # Only local paths: never bounce a freshly signed-in user to another site.
    return safe_next(request.args.get("next")) or default


@bp.route("/staff/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def staff_login() -> Response | str:
    """Staff sign-in by username and password."""
    form = StaffLoginForm()
    if form.validate_on_submit():
        try:
            user = auth.authenticate_staff(form.username.data, form.password.data, address=request.remote_addr or "")
        except InvalidInput as error:
            flash_error(error)
        else:
            target = _safe_next(url_for("staff.dashboard"))
            _fresh_session()
            if user.has_two_factor:
                # The password was right; the session holds who is half-way, not a signed-in user.
                session[PENDING_USER] = user.get_id()
                session[PENDING_SINCE] = int(time.time())
                session[PENDING_NEXT] = target
                return redirect(url_for("auth.staff_two_factor"))
            login_user(user)
            return redirect(target)
    return render("auth/staff_login.html", form=form)


PENDING_USER, PENDING_SINCE, PENDING_NEXT = "tfa_user", "tfa_since", "tfa_next"
PENDING_SECONDS = 300


def _pending_user_id() -> int | None:
    """The account whose password was just accepted, for five minutes, if nothing changed since."""
    pending = session.get(PENDING_USER) or ""
    if not pending.startswith("s:") or time.time() - session.get(PENDING_SINCE, 0) > PENDING_SECONDS:
        return None
    user = load_user(pending)
    return user.id if user is not None else None


@bp.route("/staff/two-factor", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def staff_two_factor() -> Response | str:
    """Step two of a staff sign-in with two-factor: the code of the authenticator app, or a recovery code."""
    user_id = _pending_user_id()
    if user_id is None:
        flash(_("请重新登录。"), "info")
        return redirect(url_for("auth.staff_login"))
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            user = two_factor.verify_sign_in(user_id, form.code.data)
        except InvalidInput as error:
            form.code.errors.append(error_text(error))
        else:
            target = safe_next(session.get(PENDING_NEXT)) or url_for("staff.dashboard")
            _fresh_session()
            login_user(user)
            return redirect(target)
    return render("auth/staff_two_factor.html", form=form)


@bp.route("/member/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def member_login() -> Response | str:
    """Step one of member sign-in: ID number and mobile, then a code by text."""
    form = MemberCodeRequestForm()
    if form.is_submitted() and all([form.validate(), _formats_ok(form)]):
        try:
            asked = auth.request_login_code(form.id_number.data, form.mobile.data)
        except InvalidInput as error:
            field_error(form, error, "id_number")
        else:
            session["login_id_hash"] = asked.id_hash
            session["login_masked_id"] = mask_id_number(normalise(form.id_number.data))
            session["login_next"] = _safe_next(url_for("members.home"))
            session["login_code_reused"] = asked.reused
            session["login_resend_at"] = time.time() + asked.wait_seconds
            return redirect(url_for("auth.member_code"))
    return render("auth/member_login.html", form=form)


def _formats_ok(form: MemberCodeRequestForm) -> bool:
    """Both numbers checked at once, so every mistake shows in one go, not one per try."""
    ok = True
    for name, check in (("id_number", lambda raw: parse_id_number(raw, today=clock.today())), ("mobile", parse_mobile)):
        if getattr(form, name).errors:
            ok = False
            continue
        try:
            check(getattr(form, name).data)
        except InvalidInput as error:
            error.field = error.field or name
            field_error(form, error, name)
            ok = False
    return ok


@bp.route("/member/code", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def member_code() -> Response | str:
    """Step two of member sign-in: the 6-digit code."""
    id_hash = session.get("login_id_hash")
    if not id_hash:
        return redirect(url_for("auth.member_login"))
    form = MemberCodeForm()
    if form.validate_on_submit():
        try:
            member = auth.verify_login_code(id_hash, form.code.data)
        except InvalidInput as error:
            form.code.errors.append(error_text(error))
        else:
            target = safe_next(session.get("login_next")) or url_for("members.home")
            _fresh_session()
            login_user(member)
            return redirect(target)
    wait = max(0, int(session.get("login_resend_at", 0) - time.time() + 0.999))
    return render("auth/member_code.html", form=form, masked_id=session.get("login_masked_id", ""),
                  reused=session.get("login_code_reused", False), wait=wait)


@bp.post("/logout")
def logout() -> Response:
    """Sign out (a POST with the CSRF token, so no other site can sign anyone out)."""
    form = EmptyForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        auth.end_sessions(current_user._get_current_object())
        logout_user()
        _fresh_session()
        flash(_("您已安全退出。"), "info")
    return redirect(url_for("main.home"))
