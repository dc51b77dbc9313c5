"""The administrator's pages: staff accounts (create, role and scope, disable, password and two-factor
resets), the SMS log and the audit log (each filtered, paged, exported)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.staff import bp
from portal.blueprints.staff.forms import StaffAccountForm, StaffRoleForm, union_choices
from portal.domain import audit as audit_words
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.domain.texts import SMS_STATUS_LABELS, TEXT_TEMPLATES
from portal.integrations.spreadsheets import xlsx_stream
from portal.services import audit_log, sms_log, staff, two_factor, unions
from portal.web import (
    EmptyForm,
    date_arg,
    field_error,
    flash_error,
    needs_search_redirect,
    page_arg,
    render,
    roles_required,
    search_redirect,
    search_term,
)

PER_PAGE = 50


@bp.route("/accounts", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def accounts():
    """Staff accounts, and a form to create one."""
    form = StaffAccountForm()
    form.union_code.choices = union_choices(unions.union_tree(current_user))
    if form.validate_on_submit():
        try:
            user = staff.create_staff(
                current_user, username=form.username.data, display_name=form.display_name.data,
                role=form.role.data, password=form.password.data, union_code=form.union_code.data or None,
            )
        except DomainError as error:
            field_error(form, error, "username")
        else:
            flash(_("已创建账号 %(username)s。首次登录时须设置自己的密码。", username=user.username), "success")
            return redirect(url_for("staff.account", user_id=user.id))
    return render("staff/accounts.html", form=form, users=staff.list_staff(current_user))


@bp.get("/accounts/<int:user_id>")
@roles_required(Role.ADMIN)
def account(user_id: int):
    """One account: its role and scope, and what an administrator can do to it."""
    user = staff.get_staff(current_user, user_id)
    return render("staff/account.html", user=user, **_account_forms(user))


def _account_forms(user, role_form: StaffRoleForm | None = None) -> dict:
    if role_form is None:
        role_form = StaffRoleForm(data={"role": user.role, "union_code": user.union.code if user.union else ""})
    role_form.union_code.choices = union_choices(unions.union_tree(current_user))
    return {"role_form": role_form, "action_form": EmptyForm()}


@bp.post("/accounts/<int:user_id>/role")
@roles_required(Role.ADMIN)
def change_role(user_id: int):
    user = staff.get_staff(current_user, user_id)
    form = StaffRoleForm()
    form.union_code.choices = union_choices(unions.union_tree(current_user))
    if form.validate_on_submit():
        try:
            staff.change_role(current_user, user.id, role=form.role.data, union_code=form.union_code.data or None)
        except DomainError as error:
            field_error(form, error, "role")
        else:
            flash(_("已更新 %(username)s 的角色和所属工会，其登录已全部退出。", username=user.username), "success")
            return redirect(url_for("staff.account", user_id=user.id))
    return render("staff/account.html", user=user, **_account_forms(user, form))


@bp.post("/accounts/<int:user_id>/active")
@roles_required(Role.ADMIN)
def set_active(user_id: int):
    """Disable (``active=0``) or enable (``active=1``) an account."""
    if EmptyForm().validate_on_submit():
        try:
            user = staff.set_active(current_user, user_id, request.form.get("active") == "1")
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("账号 %(username)s 已启用。", username=user.username) if user.is_active_account
                  else _("账号 %(username)s 已停用，其登录已全部退出。", username=user.username), "success")
    return redirect(url_for("staff.account", user_id=user_id))


@bp.post("/accounts/<int:user_id>/password")
@roles_required(Role.ADMIN)
def reset_password(user_id: int):
    """A temporary password, shown once on the answer page (never in a flash or a redirect)."""
    user = staff.get_staff(current_user, user_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("staff.account", user_id=user_id))
    try:
        user, temporary = staff.reset_password(current_user, user_id)
    except DomainError as error:
        flash_error(error)
        return redirect(url_for("staff.account", user_id=user_id))
    return render("staff/account.html", user=user, temporary_password=temporary, **_account_forms(user))


@bp.post("/accounts/<int:user_id>/two-factor")
@roles_required(Role.ADMIN)
def reset_two_factor(user_id: int):
    """Clear an account's two-factor (a lost phone): its holder enrols again at the next sign-in."""
    if EmptyForm().validate_on_submit():
        try:
            user = two_factor.reset(current_user, user_id)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已重置 %(username)s 的两步验证，其登录已全部退出；下次登录时须重新启用。",
                    username=user.username), "success")
    return redirect(url_for("staff.account", user_id=user_id))


SMS_FILTERS = ("status", "kind", "since", "until")


def _sms_filters() -> sms_log.SmsFilters:
    args = request.args
    return sms_log.SmsFilters(mobile=search_term(limit=40), status=args.get("status", "")[:16],
                              kind=args.get("kind", "")[:40], since=date_arg("since"), until=date_arg("until"))


@bp.route("/texts", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def texts():
    """The SMS log: every text the portal queued or sent, with the provider's delivery status. The
    mobile searched for is POSTed and carried sealed (``web.search_term``), never in an address."""
    if needs_search_redirect():
        return search_redirect("staff.texts", SMS_FILTERS, limit=40)
    filters, page = _sms_filters(), page_arg()
    try:
        messages, total = sms_log.list_texts(current_user, filters, page=page, per_page=PER_PAGE)
    except DomainError as error:
        flash_error(error)
        messages, total = [], 0
    return render("staff/texts.html", "staff/_texts_table.html", messages=messages, total=total, page=page,
                  per_page=PER_PAGE, filters=filters, statuses=SMS_STATUS_LABELS, kinds=TEXT_TEMPLATES)


@bp.get("/texts/export.xlsx")
@roles_required(Role.ADMIN)
def export_texts():
    """The filtered SMS log as Excel (mobiles masked); the export is audited."""
    return _download(lambda: sms_log.export_texts(current_user, _sms_filters()), "staff.texts")


def _audit_filters() -> audit_log.AuditFilters:
    args = request.args
    return audit_log.AuditFilters(
        actor=args.get("actor", "")[:60], action=args.get("action", "")[:60], entity=args.get("entity", "")[:40],
        entity_id=args.get("entity_id", "")[:64], ip=args.get("ip", "")[:64], since=date_arg("since"),
        until=date_arg("until"))


@bp.get("/audit", endpoint="audit_log")
@roles_required(Role.ADMIN)
def audit_log_page():
    """The audit log: who did what to which record, when and from where; filtered, paged, exported."""
    filters, page = _audit_filters(), page_arg()
    try:
        events, total = audit_log.list_audit(current_user, filters, page=page, per_page=PER_PAGE)
    except DomainError as error:
        flash_error(error)
        events, total = [], 0
    return render("staff/audit.html", "staff/_audit_table.html", events=events, total=total, page=page,
                  per_page=PER_PAGE, filters=filters, action_choices=audit_log.action_choices(),
                  entities=audit_words.ENTITY_LABELS, audit_words=audit_words)


@bp.get("/audit/export.xlsx")
@roles_required(Role.ADMIN)
def export_audit():
    """The filtered audit log as Excel; exporting it is itself audited."""
    return _download(lambda: audit_log.export_audit(current_user, _audit_filters()), "staff.audit_log")


def _download(make, back: str):
    try:
        result = make()
    except DomainError as error:
        flash_error(error)
        return redirect(url_for(back, **request.args.to_dict()))
    return xlsx_stream(result.filename, result.stream)
