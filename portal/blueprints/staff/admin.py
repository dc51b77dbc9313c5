"""The administrator's pages: staff accounts, the SMS outbox and the audit log."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.staff import bp
from portal.blueprints.staff.forms import StaffAccountForm
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.services import staff
from portal.web import field_error, page_arg, render, roles_required


@bp.route("/accounts", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def accounts():
    """Staff accounts, and a form to create one."""
    form = StaffAccountForm()
    if form.validate_on_submit():
        try:
            user = staff.create_staff(
                current_user, username=form.username.data, display_name=form.display_name.data,
                role=form.role.data, password=form.password.data, union_code=form.union_code.data or None,
            )
        except DomainError as error:
            field_error(form, error, "username")
        else:
            flash(_("已创建账号 %(username)s。", username=user.username), "success")
            return redirect(url_for("staff.accounts"))
    return render("staff/accounts.html", form=form, users=staff.list_staff(current_user))


@bp.get("/texts")
@roles_required(Role.ADMIN)
def texts():
    """The SMS outbox: every text the portal queued or sent."""
    page = page_arg()
    messages, total = staff.list_texts(current_user, page=page)
    return render("staff/texts.html", messages=messages, total=total, page=page, per_page=50)


@bp.get("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    """The audit log, newest first, filterable by action."""
    page = page_arg()
    action = request.args.get("action") or None
    events, total = staff.list_audit(current_user, page=page, action=action)
    return render("staff/audit.html", events=events, total=total, page=page, per_page=50, action=action or "")
