"""The administrator's pages: staff accounts, the SMS log and the audit log (each filtered, paged, exported)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.staff import bp
from portal.blueprints.staff.forms import StaffAccountForm
from portal.domain import audit as audit_words
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.domain.texts import SMS_STATUS_LABELS, TEXT_TEMPLATES
from portal.integrations.spreadsheets import xlsx_stream
from portal.services import audit_log, sms_log, staff
from portal.web import date_arg, field_error, flash_error, page_arg, render, roles_required

PER_PAGE = 50


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


def _sms_filters() -> sms_log.SmsFilters:
    args = request.args
    return sms_log.SmsFilters(mobile=args.get("mobile", "")[:40], status=args.get("status", "")[:16],
                              kind=args.get("kind", "")[:40], since=date_arg("since"), until=date_arg("until"))


@bp.get("/texts")
@roles_required(Role.ADMIN)
def texts():
    """The SMS log: every text the portal queued or sent, with the provider's delivery status."""
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
