"""The staff portal: a dashboard per role, and the administrator's accounts, texts and audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.staff.forms import StaffAccountForm, UnionForm
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.services import members as member_service
from portal.services import staff as staff_service
from portal.services import unions as union_service
from portal.web import EmptyForm, page_arg, render, roles_required, staff_required

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/")
@staff_required
def dashboard():
    """Where each role starts: the tasks of that role."""
    return render("staff/dashboard.html")


@bp.route("/accounts", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def accounts():
    """Staff accounts, and a form to create one."""
    form = StaffAccountForm()
    if form.validate_on_submit():
        try:
            user = staff_service.create_staff(
                current_user, username=form.username.data, display_name=form.display_name.data,
                role=form.role.data, password=form.password.data, union_code=form.union_code.data or None,
            )
        except DomainError as error:
            getattr(form, error.field or "username").errors.append(_(error.message))
        else:
            flash(_("已创建账号 %(username)s。", username=user.username), "success")
            return redirect(url_for("staff.accounts"))
    return render("staff/accounts.html", form=form, users=staff_service.list_staff(current_user))


@bp.route("/unions", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.UNION_OFFICER, Role.CHILDCARE_ORGANISER)
def unions():
    """The union tree (an officer sees its own subtree); administrators add unions."""
    form = UnionForm() if current_user.role == Role.ADMIN else None
    if form is not None and form.validate_on_submit():
        try:
            union = union_service.create_union(current_user, code=form.code.data, name=form.name.data,
                                               kind=form.kind.data, parent_code=form.parent_code.data)
        except DomainError as error:
            getattr(form, error.field or "code").errors.append(_(error.message))
        else:
            flash(_("已添加 %(name)s。", name=union.name), "success")
            return redirect(url_for("staff.unions"))
    return render("staff/unions.html", form=form, tree=union_service.union_tree(current_user))


@bp.post("/members/<int:member_id>/hardship")
@roles_required(Role.UNION_OFFICER, Role.ADMIN)
def hardship_family(member_id: int):
    """Mark or clear a hardship family; htmx swaps just the switch in the member list."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    member = member_service.set_hardship_family(current_user, member_id, request.form.get("flag") == "1")
    return render("staff/_hardship_toggle.html", m=member)


@bp.get("/texts")
@roles_required(Role.ADMIN)
def texts():
    """The SMS outbox: every text the portal queued or sent."""
    page = page_arg()
    messages, total = staff_service.list_texts(current_user, page=page)
    return render("staff/texts.html", messages=messages, total=total, page=page, per_page=50)


@bp.get("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    """The audit log, newest first, filterable by action."""
    page = page_arg()
    action = request.args.get("action") or None
    events, total = staff_service.list_audit(current_user, page=page, action=action)
    return render("staff/audit.html", events=events, total=total, page=page, per_page=50, action=action or "")
