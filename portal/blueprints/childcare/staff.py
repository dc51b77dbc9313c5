"""Organisers' and unions' pages under /childcare/manage: classes, the roster, the draw, notices,
attendance and pick-up, the overview and its export."""

from __future__ import annotations

from datetime import date

import click
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.blueprints.childcare import bp
from portal.blueprints.childcare.forms import CancelForm, ClassForm, NoticeForm
from portal.domain.childcare import PriorityCategory
from portal.domain.errors import DomainError, InvalidInput, PermissionDenied
from portal.domain.i18n import N_
from portal.domain.money import yuan_to_fen
from portal.domain.roles import Role
from portal.integrations.spreadsheets import xlsx_download, xlsx_stream
from portal.services.childcare import allocation, attendance, classes, notices, queries, registrations, reports
from portal.services.childcare import exports as childcare_exports
from portal.services.childcare.permissions import STAFF_VIEWERS
from portal.web import EmptyForm, error_text, field_error, flash_error, form_errors, is_htmx, render, roles_required

organiser_required = roles_required(Role.CHILDCARE_ORGANISER)
viewer_required = roles_required(*STAFF_VIEWERS)


def _to_class(class_id: int, anchor: str = ""):
    return redirect(url_for("childcare.manage_show_class", class_id=class_id) + anchor)


@bp.get("/manage/")
@viewer_required
def manage_index():
    """Classes in the actor's organisation, seats, registrations by priority category, attendance."""
    return render("childcare/manage/index.html", overview=queries.overview(current_user),
                  categories=list(PriorityCategory), today=clock.today())


@bp.get("/manage/export.xlsx")
@viewer_required
def manage_export():
    """The overview as an Excel file (counts only, no child's personal data)."""
    return xlsx_download(f"暑托班统计-{clock.today():%Y%m%d}.xlsx", reports.export_overview(current_user))


@bp.get("/manage/<int:class_id>/registrations.xlsx")
@viewer_required
def manage_export_registrations(class_id: int):
    """The class's registrations as on its page; names and mobiles in full for its organiser only."""
    export = childcare_exports.export_registrations(current_user, class_id)
    return xlsx_stream(export.filename, export.stream)


@bp.get("/manage/<int:class_id>/attendance.xlsx")
@viewer_required
def manage_export_attendance(class_id: int):
    """One day's attendance sheet (``day``, today by default) as Excel."""
    try:
        day = _day()
    except InvalidInput as error:
        flash_error(error)
        return _to_class(class_id)
    export = childcare_exports.export_attendance(current_user, class_id, day)
    return xlsx_stream(export.filename, export.stream)


# --- classes ------------------------------------------------------------------------------


def _class_input(form: ClassForm) -> classes.ClassInput:
    return classes.ClassInput(
        name=form.name.data, site_name=form.site_name.data, address=form.address.data,
        starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        weekdays=[int(d) for d in form.weekdays.data or []],
        daily_start=form.daily_start.data, daily_end=form.daily_end.data, seats=form.seats.data,
        registration_opens_on=form.registration_opens_on.data,
        registration_closes_on=form.registration_closes_on.data,
        safety_rules=form.safety_rules.data, min_age=form.min_age.data, max_age=form.max_age.data,
        fee_fen=yuan_to_fen(form.fee.data or "0"), meals=form.meals.data or "", programme=form.programme.data or "",
        staff_and_volunteers=form.staff_and_volunteers.data or "", contact_phone=form.contact_phone.data,
        union_code=form.union_code.data or None,
    )


def _save_class(form: ClassForm, save):
    """Validate, call ``save(input)``, and put a refusal next to its field (a bad fee under the fee)."""
    if not form.validate_on_submit():
        return None
    try:
        return save(_class_input(form))
    except DomainError as error:
        field_error(form, error, "fee" if error.code.startswith("amount") else None)
        return None


@bp.route("/manage/new", methods=["GET", "POST"])
@organiser_required
def manage_new_class():
    """The organiser drafts a class; it is listed once published."""
    form = ClassForm()
    cls = _save_class(form, lambda data: classes.create_class(current_user, data))
    if cls is not None:
        flash(_("班级已保存为草稿。核对无误后请点“发布”。"), "success")
        return _to_class(cls.id)
    return render("childcare/manage/class_form.html", form=form, cls=None)


@bp.route("/manage/<int:class_id>/edit", methods=["GET", "POST"])
@organiser_required
def manage_edit_class(class_id: int):
    """Change a draft class."""
    cls = queries.class_for_staff(current_user, class_id)
    form = ClassForm(obj=cls)
    if request.method == "GET":
        form.weekdays.data = list(cls.weekdays)
        form.fee.data = f"{cls.fee_fen / 100:g}"
        form.union_code.data = cls.union.code
    if _save_class(form, lambda data: classes.update_class(current_user, class_id, data)) is not None:
        flash(_("已保存。"), "success")
        return _to_class(class_id)
    return render("childcare/manage/class_form.html", form=form, cls=cls)


@bp.post("/manage/<int:class_id>/publish")
@organiser_required
def manage_publish(class_id: int):
    """List the class publicly."""
    if EmptyForm().validate_on_submit():
        try:
            classes.publish_class(current_user, class_id)
            flash(_("班级已发布，家长可以在报名期内报名。"), "success")
        except DomainError as error:
            flash_error(error)
    return _to_class(class_id)


@bp.get("/manage/<int:class_id>")
@viewer_required
def manage_show_class(class_id: int):
    """A class for its organiser and union: the roster (masked), the draw, notices."""
    cls = queries.class_for_staff(current_user, class_id)
    today = clock.today()
    return render("childcare/manage/class.html", cls=cls, today=today, phase=cls.phase(today),
                  roster=queries.class_roster(current_user, class_id),
                  notices=queries.class_notices(current_user, class_id),
                  notice_form=NoticeForm(), button=EmptyForm(), cancel_form=CancelForm(),
                  is_organiser=current_user.role == Role.CHILDCARE_ORGANISER)


@bp.route("/manage/<int:class_id>/allocate", methods=["GET", "POST"])
@organiser_required
def manage_allocate(class_id: int):
    """Run the draw now that the window has closed. A tap on 抽签 first shows what the draw will do
    (requests, seats, who by tier is sure of a seat, drawn by lot or wait-listed, and that every
    family is texted); only the confirmation draws, and a second submit of it draws nothing."""
    form = EmptyForm()
    if request.method == "GET":
        try:
            preview = allocation.ballot_preview(current_user, class_id)
        except DomainError as error:
            flash_error(error)
            return _to_class(class_id)
        return render("childcare/manage/allocate.html", preview=preview, form=form)
    if form.validate_on_submit():
        try:
            ballot = allocation.allocate_class(current_user, class_id, once=True)
            flash(_("名额已分配（随机种子 %(seed)s），结果已短信通知%(n)s个家庭。", seed=ballot.seed,
                    n=len(ballot.entries)), "success")
        except DomainError as error:
            flash_error(error)
    return _to_class(class_id)


@bp.post("/manage/<int:class_id>/notices")
@organiser_required
def manage_send_notice(class_id: int):
    """Text a notice to the parents of the class."""
    form = NoticeForm()
    if form.validate_on_submit():
        try:
            notice = notices.send_notice(current_user, class_id, form.body.data)
            flash(_("通知已发送给%(count)s位家长。", count=notice.recipients), "success")
        except DomainError as error:
            flash_error(error)
    else:
        for message in form_errors(form):
            flash(message, "error")
    return _to_class(class_id, "#notices")


# --- registrations ------------------------------------------------------------------------


@bp.get("/manage/registrations/<int:registration_id>/health")
@organiser_required
def manage_health_notes(registration_id: int):
    """A child's health notes and allergies (each view is written to the audit log)."""
    registration = registrations.view_health_notes(current_user, registration_id)
    return render("childcare/manage/health.html", child=registration.child, registration=registration)


@bp.route("/manage/registrations/<int:registration_id>/cancel", methods=["GET", "POST"])
@organiser_required
def manage_cancel(registration_id: int):
    """The organiser cancels a registration; the waitlist moves up. A tap on 取消 first shows whose
    seat it is and who moves up (and that both families are texted): one tap never does it."""
    form = CancelForm()
    class_id = request.form.get("class_id", type=int)
    if request.method == "GET":
        try:
            preview = queries.cancel_preview(current_user, registration_id)
        except DomainError as error:
            flash_error(error)
            return redirect(url_for("childcare.manage_index"))
        return render("childcare/manage/cancel.html", preview=preview, form=form)
    if form.validate_on_submit():
        try:
            promoted = registrations.cancel_registration(current_user, registration_id, reason=form.reason.data or "")
            flash(_("已取消。") + (_("已从候补递补%(count)s人。", count=len(promoted)) if promoted else ""), "success")
        except DomainError as error:
            flash_error(error)
    return _to_class(class_id) if class_id else redirect(url_for("childcare.manage_index"))


@bp.post("/manage/registrations/<int:registration_id>/declared")
@organiser_required
def manage_review_declared(registration_id: int):
    """Confirm or refuse the priority a parent declared, before the draw."""
    if EmptyForm().validate_on_submit():
        accept = request.form.get("decision") == "confirm"
        try:
            registration = registrations.review_declared_category(current_user, registration_id, accept=accept)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已核实，按自报类别参加抽签。") if accept else _("已退回自报类别，按会员档案中的类别参加抽签。"),
                  "success")
            return _to_class(registration.class_id)
    return redirect(url_for("childcare.manage_index"))


# --- attendance and pick-up ---------------------------------------------------------------


def _day() -> date:
    raw = request.values.get("day")
    if not raw:
        return clock.today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(N_("日期格式不正确。")) from None


@bp.get("/manage/<int:class_id>/attendance")
@organiser_required
def manage_attendance(class_id: int):
    """The tablet page: one tap per child to check in, and who collected them."""
    cls = queries.class_for_staff(current_user, class_id)
    try:
        day = _day()
    except InvalidInput as error:
        flash_error(error)
        day = clock.today()
    rows = queries.attendance_sheet(current_user, class_id, day)
    return render("childcare/manage/attendance.html", cls=cls, day=day, rows=rows, today=clock.today(),
                  is_class_day=cls.schedule.is_class_day(day))


def _row_answer(class_id: int, registration_id: int, day: date, error: DomainError | None):
    """The child's card for htmx (with the refusal in it); a plain form post goes back to the page."""
    cls = queries.class_for_staff(current_user, class_id)
    row = next((r for r in queries.attendance_sheet(current_user, class_id, day)
                if r.registration.id == registration_id), None)
    if not is_htmx():
        if error is not None:
            flash_error(error)
        return redirect(url_for("childcare.manage_attendance", class_id=class_id, day=day.isoformat()))
    return render("childcare/manage/_attendance_row.html", row=row, cls=cls, day=day,
                  error=error_text(error) if error is not None else None)


def _tap(class_id: int, registration_id: int, action):
    """Run ``action(day)`` for one tap on the tablet and answer the child's card."""
    day = clock.today()
    try:
        day = _day()
        action(day)
    except PermissionDenied:
        raise
    except DomainError as error:
        return _row_answer(class_id, registration_id, day, error)
    return _row_answer(class_id, registration_id, day, None)


@bp.post("/manage/<int:class_id>/attendance/<int:registration_id>")
@organiser_required
def manage_mark(class_id: int, registration_id: int):
    """One tap: arrived or absent (answers the child's row for htmx)."""
    return _tap(class_id, registration_id, lambda day: attendance.mark_attendance(
        current_user, registration_id, day, request.form.get("status", "")))


@bp.post("/manage/<int:class_id>/pickup/<int:registration_id>")
@organiser_required
def manage_pickup(class_id: int, registration_id: int):
    """Record who collected the child, checked against the parent's list (answers the row for htmx)."""
    return _tap(class_id, registration_id, lambda day: attendance.record_pickup(
        current_user, registration_id, day, pickup_adult_id=request.form.get("pickup_adult_id", type=int),
        mobile=request.form.get("mobile") or None))


@bp.post("/manage/<int:class_id>/undo/<int:registration_id>")
@organiser_required
def manage_undo(class_id: int, registration_id: int):
    """Take back the child's last tap today (a mistaken 到, 缺勤 or pick-up); answers the row."""
    return _tap(class_id, registration_id, lambda day: attendance.undo_last_tap(current_user, registration_id, day))


@bp.cli.command("allocate-due")
def allocate_due_command():
    """Draw every class whose registration window has closed (run daily from cron or the queue)."""
    click.echo(f"allocated {allocation.allocate_due()} class(es)")
