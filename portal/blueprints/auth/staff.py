"""Signed-in staff: their own account's security — a new password (forced after an administrator's
reset) and two-factor (required for administrators and reviewers, optional for others).

``guard_account_steps`` runs before every request: an account that must change its password, or
must enrol in two-factor and has not, opens nothing but the page that does it (and sign-out).
"""

from __future__ import annotations

import segno
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from portal.blueprints.auth import bp
from portal.blueprints.auth.forms import PasswordChangeForm, TwoFactorCodeForm
from portal.domain.errors import DomainError, InvalidInput
from portal.domain.two_factor import grouped
from portal.extensions import limiter
from portal.services import auth, two_factor
from portal.web import EmptyForm, error_text, field_error, flash_error, render, staff_required

# What an account that still has a step to take may open.
_ALWAYS_OPEN = {"static", "auth.logout", "main.set_language", "main.healthz"}


@bp.before_app_request
def guard_account_steps() -> Response | None:
    if not getattr(current_user, "is_authenticated", False) or getattr(current_user, "actor_type", "") != "staff":
        return None
    endpoint = request.endpoint or ""
    if endpoint in _ALWAYS_OPEN:
        return None
    if current_user.must_change_password:
        if endpoint != "auth.staff_password":
            return redirect(url_for("auth.staff_password"))
    elif current_user.needs_two_factor and not current_user.has_two_factor:
        if endpoint != "auth.staff_two_factor_setup":
            return redirect(url_for("auth.staff_two_factor_setup"))
    return None


@bp.get("/staff/account")
@staff_required
def staff_account() -> str:
    """The account's security: password, two-factor and its recovery codes."""
    left = two_factor.remaining_recovery_codes(current_user) if current_user.has_two_factor else 0
    return render("auth/staff_account.html", left=left, form=EmptyForm(), off_form=TwoFactorCodeForm())


@bp.route("/staff/password", methods=["GET", "POST"])
@staff_required
@limiter.limit("10 per minute", methods=["POST"])
def staff_password() -> Response | str:
    """Choose a new password (the only page open after an administrator's reset)."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            user = auth.change_own_password(current_user._get_current_object(), form.current.data,
                                            form.new.data, form.repeat.data)
        except InvalidInput as error:
            field_error(form, error, "new")
        else:
            login_user(user)  # every other session ended with the old password; this one goes on
            flash(_("密码已更新，其他设备上的登录已退出。"), "success")
            return redirect(url_for("staff.dashboard"))
    return render("auth/staff_password.html", form=form)


@bp.route("/staff/two-factor/setup", methods=["GET", "POST"])
@staff_required
@limiter.limit("10 per minute", methods=["POST"])
def staff_two_factor_setup() -> Response | str:
    """Enrol an authenticator app: a QR code (and the secret to type), then its first code."""
    if current_user.has_two_factor:
        return redirect(url_for("auth.staff_account"))
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(current_user._get_current_object(), form.code.data)
        except InvalidInput as error:
            form.code.errors.append(error_text(error))
        else:
            return render("auth/staff_recovery_codes.html", codes=codes, first=True)
    secret = two_factor.start_enrolment(current_user._get_current_object())
    qr = segno.make(two_factor.provisioning_uri(current_user, secret), error="m")
    # segno writes the SVG itself from the secret; nothing a visitor typed is in it.
    svg = Markup(qr.svg_inline(scale=5, border=2, title=_("两步验证二维码")))  # noqa: S704
    return render("auth/staff_two_factor_setup.html", form=form, qr=svg, secret=grouped(secret))


@bp.post("/staff/two-factor/recovery-codes")
@staff_required
def staff_recovery_codes() -> Response | str:
    """Ten new recovery codes (the old ones stop working), shown once."""
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.staff_account"))
    try:
        codes = two_factor.renew_recovery_codes(current_user._get_current_object())
    except DomainError as error:
        flash_error(error)
        return redirect(url_for("auth.staff_account"))
    return render("auth/staff_recovery_codes.html", codes=codes, first=False)


@bp.post("/staff/two-factor/off")
@staff_required
@limiter.limit("10 per minute")
def staff_two_factor_off() -> Response:
    """Turn two-factor off (roles that do not require it), with a current code."""
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            two_factor.turn_off(current_user._get_current_object(), form.code.data)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已关闭两步验证。"), "info")
    return redirect(url_for("auth.staff_account"))
