"""Organisers' and unions' pages: classes, the roster, the draw, notices, attendance and pick-up."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.blueprints.childcare.forms import CancelForm, ClassForm, NoticeForm
from portal.domain.childcare import PriorityCategory
from portal.domain.errors import DomainError, InvalidInput
from portal.domain.i18n import N_
from portal.domain.money import yuan_to_fen
from portal.domain.roles import Role
from portal.integrations.spreadsheets import xlsx_download
from portal.services.childcare import allocation, classes, notices, permissions, queries, registrations, reports
from portal.services.childcare import attendance as day_marks
from portal.web import EmptyForm, render, roles_required

bp = Blueprint("childcare_manage", __name__, url_prefix="/childcare/manage")

organiser_required = roles_required(Role.CHILDCARE_ORGANISER)
viewer_required = roles_required(*permissions.STAFF_VIEWERS)


@bp.get("/")
@viewer_required
def index():
    """Classes in the actor's organisation, seats, registrations by priority category, attendance."""
    return render("childcare/manage/index.html", overview=queries.overview(current_user),
                  categories=list(PriorityCategory), today=clock.today())


@bp.get("/export.xlsx")
@viewer_required
def export():
    """The overview as an Excel file (counts only, no child's personal data)."""
    return xlsx_download(f"暑托班统计-{clock.today():%Y%m%d}.xlsx", reports.export_overview(current_user))


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
    """Validate, call ``save(input)``, and put a refusal next to its field."""
    if not form.validate_on_submit():
        return None
    try:
        return save(_class_input(form))
    except DomainError as error:
        field = getattr(form, error.field or "", None) or (form.fee if error.code.startswith("amount") else None)
        if field is not None:
            field.errors = [*field.errors, _(error.message)]
        else:
            flash(_(error.message), "error")
        return None


@bp.route("/new", methods=["GET", "POST"])
@organiser_required
def new_class():
    """The organiser drafts a class; it is listed once published."""
    form = ClassForm()
    cls = _save_class(form, lambda data: classes.create_class(current_user, data))
    if cls is not None:
        flash(_("班级已保存为草稿。核对无误后请点“发布”。"), "success")
        return redirect(url_for("childcare_manage.show_class", class_id=cls.id))
    return render("childcare/manage/class_form.html", form=form, cls=None)


@bp.route("/<int:class_id>/edit", methods=["GET", "POST"])
@organiser_required
def edit_class(class_id: int):
    """Change a draft class."""
    cls = queries.class_for_staff(current_user, class_id)
    form = ClassForm(obj=cls)
    if request.method == "GET":
        form.weekdays.data = list(cls.weekdays)
        form.fee.data = f"{cls.fee_fen / 100:g}"
        form.union_code.data = cls.union.code
    saved = _save_class(form, lambda data: classes.update_class(current_user, class_id, data))
    if saved is not None:
        flash(_("已保存。"), "success")
        return redirect(url_for("childcare_manage.show_class", class_id=class_id))
    return render("childcare/manage/class_form.html", form=form, cls=cls)


@bp.post("/<int:class_id>/publish")
@organiser_required
def publish(class_id: int):
    """List the class publicly."""
    if EmptyForm().validate_on_submit():
        try:
            classes.publish_class(current_user, class_id)
            flash(_("班级已发布，家长可以在报名期内报名。"), "success")
        except DomainError as error:
            flash(_(error.message), "error")
    return redirect(url_for("childcare_manage.show_class", class_id=class_id))


@bp.get("/<int:class_id>")
@viewer_required
def show_class(class_id: int):
    """A class for its organiser and union: the roster (masked), the draw, notices."""
    cls = queries.class_for_staff(current_user, class_id)
    today = clock.today()
    return render("childcare/manage/class.html", cls=cls, today=today, phase=cls.phase(today),
                  roster=queries.class_roster(current_user, class_id),
                  notices=queries.class_notices(current_user, class_id),
                  notice_form=NoticeForm(), button=EmptyForm(), cancel_form=CancelForm(),
                  is_organiser=current_user.role == Role.CHILDCARE_ORGANISER)


@bp.post("/<int:class_id>/allocate")
@organiser_required
def allocate(class_id: int):
    """Run the draw now that the window has closed."""
    if EmptyForm().validate_on_submit():
        try:
            ballot = allocation.allocate_class(current_user, class_id)
            flash(_("名额已分配（随机种子 %(seed)s），结果已短信通知家长。", seed=ballot.seed), "success")
        except DomainError as error:
            flash(_(error.message), "error")
    return redirect(url_for("childcare_manage.show_class", class_id=class_id))


@bp.post("/<int:class_id>/notices")
@organiser_required
def send_notice(class_id: int):
    """Text a notice to the parents of the class."""
    form = NoticeForm()
    if form.validate_on_submit():
        try:
            notice = notices.send_notice(current_user, class_id, form.body.data)
            flash(_("通知已发送给%(count)s位家长。", count=notice.recipients), "success")
        except DomainError as error:
            flash(_(error.message), "error")
    else:
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
    return redirect(url_for("childcare_manage.show_class", class_id=class_id) + "#notices")


@bp.get("/registrations/<int:registration_id>/health")
@organiser_required
def health_notes(registration_id: int):
    """A child's health notes and allergies (each view is written to the audit log)."""
    registration = registrations.view_health_notes(current_user, registration_id)
    return render("childcare/manage/health.html", child=registration.child, registration=registration)


@bp.post("/registrations/<int:registration_id>/cancel")
@organiser_required
def cancel(registration_id: int):
    """The organiser cancels a registration; the waitlist moves up."""
    form = CancelForm()
    class_id = request.form.get("class_id", type=int)
    if form.validate_on_submit():
        try:
            promoted = registrations.cancel_registration(current_user, registration_id, reason=form.reason.data or "")
            flash(_("已取消。") + (_("已从候补递补%(count)s人。", count=len(promoted)) if promoted else ""), "success")
        except DomainError as error:
            flash(_(error.message), "error")
    if class_id:
        return redirect(url_for("childcare_manage.show_class", class_id=class_id))
    return redirect(url_for("childcare_manage.index"))


@bp.post("/registrations/<int:registration_id>/declared")
@organiser_required
def review_declared(registration_id: int):
    """Confirm or refuse the priority a parent declared, before the draw."""
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            registration = registrations.review_declared_category(
                current_user, registration_id, accept=request.form.get("decision") == "confirm")
            flash(_("已核实，按自报类别参加抽签。") if request.form.get("decision") == "confirm"
                  else _("已退回自报类别，按会员档案中的类别参加抽签。"), "success")
            return redirect(url_for("childcare_manage.show_class", class_id=registration.class_id))
        except DomainError as error:
            flash(_(error.message), "error")
    return redirect(url_for("childcare_manage.index"))


def _day() -> date:
    raw = request.values.get("day")
    if not raw:
        return clock.today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(N_("日期格式不正确。")) from None


@bp.get("/<int:class_id>/attendance")
@organiser_required
def attendance(class_id: int):
    """The tablet page: one tap per child to check in, and who collected them."""
    cls = queries.class_for_staff(current_user, class_id)
    try:
        day = _day()
    except InvalidInput as error:
        flash(_(error.message), "error")
        day = clock.today()
    rows = queries.attendance_sheet(current_user, class_id, day)
    return render("childcare/manage/attendance.html", cls=cls, day=day, rows=rows, today=clock.today(),
                  is_class_day=cls.schedule.is_class_day(day))


def _row_answer(class_id: int, registration_id: int, day: date, error: str | None = None):
    cls = queries.class_for_staff(current_user, class_id)
    row = next((r for r in queries.attendance_sheet(current_user, class_id, day)
                if r.registration.id == registration_id), None)
    if request.headers.get("HX-Request") != "true":
        if error:
            flash(error, "error")
        return redirect(url_for("childcare_manage.attendance", class_id=class_id, day=day.isoformat()))
    return render("childcare/manage/_attendance_row.html", row=row, cls=cls, day=day, error=error)


@bp.post("/<int:class_id>/attendance/<int:registration_id>")
@organiser_required
def mark(class_id: int, registration_id: int):
    """One tap: arrived or absent (answers the child's row for htmx)."""
    error = None
    day = clock.today()
    try:
        day = _day()
        day_marks.mark_attendance(current_user, registration_id, day, request.form.get("status", ""))
    except InvalidInput as error_:
        error = _(error_.message)
    except DomainError as error_:
        if error_.code == "forbidden":
            raise
        error = _(error_.message)
    return _row_answer(class_id, registration_id, day, error)


@bp.post("/<int:class_id>/pickup/<int:registration_id>")
@organiser_required
def pickup(class_id: int, registration_id: int):
    """Record who collected the child, checked against the parent's list (answers the row for htmx)."""
    error = None
    day = clock.today()
    try:
        day = _day()
        day_marks.record_pickup(current_user, registration_id, day,
                              pickup_adult_id=request.form.get("pickup_adult_id", type=int),
                              mobile=request.form.get("mobile") or None)
    except DomainError as error_:
        if error_.code == "forbidden":
            raise
        error = _(error_.message)
    return _row_answer(class_id, registration_id, day, error)
