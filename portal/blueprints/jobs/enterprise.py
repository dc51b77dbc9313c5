"""The enterprise contact's pages (``jobs.enterprise.*``): own positions, applications, placements."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.blueprints.jobs import bp as jobs_bp
from portal.blueprints.jobs.forms import (
    AgreementForm,
    AttendanceForm,
    CloseForm,
    DecisionForm,
    FinishForm,
    PositionForm,
)
from portal.blueprints.jobs.public import certificate_page, take_position_down
from portal.domain.errors import DomainError
from portal.domain.jobs import week_starting
from portal.domain.roles import Role
from portal.services.jobs import access, applications, placements, positions, queries
from portal.web import error_text, field_error, is_htmx, render, roles_required

bp = Blueprint("enterprise", __name__, url_prefix="/enterprise")
jobs_bp.register_blueprint(bp)
enterprise_required = roles_required(Role.ENTERPRISE)


@bp.get("/")
@enterprise_required
def dashboard():
    """The enterprise's positions (with applications waiting) and its students at work."""
    enterprise, rows = queries.enterprise_positions(current_user)
    return render("jobs/enterprise/dashboard.html", enterprise=enterprise, rows=rows,
                  placements=queries.enterprise_placements(current_user), today=clock.today())


@bp.route("/positions/new", methods=["GET", "POST"])
@enterprise_required
def new_position():
    """Post a caring position; it is public once the union approves it."""
    enterprise = access.enterprise_of(current_user)
    form = PositionForm()
    if not form.is_submitted():
        form.district.data, form.address.data = enterprise.district, enterprise.address
    if form.validate_on_submit():
        try:
            item = positions.post_position(current_user, form.details())
        except DomainError as error:
            field_error(form, error, "title")
        else:
            flash(_("岗位“%(title)s”已提交，工会审核通过后公开招募，结果会短信通知您。", title=item.title), "success")
            return redirect(url_for("jobs.enterprise.position", position_id=item.id))
    return render("jobs/enterprise/position_form.html", form=form, enterprise=enterprise)


@bp.get("/positions/<int:position_id>")
@enterprise_required
def position(position_id: int):
    """Applications to one position: waiting first, hardship families marked for priority."""
    item, applicants = queries.position_applications(current_user, position_id)
    return render("jobs/enterprise/position.html", position=item, applications=applicants,
                  form=DecisionForm(), close_form=CloseForm(), today=clock.today())


@bp.post("/positions/<int:position_id>/close")
@enterprise_required
def close_position(position_id: int):
    """Stop applications to a position the enterprise no longer needs."""
    return take_position_down(position_id, done=_("岗位已停止报名。"),
                              back=url_for("jobs.enterprise.position", position_id=position_id))


@bp.post("/applications/<int:application_id>/decide")
@enterprise_required
def decide(application_id: int):
    """Accept or decline with a note; htmx swaps just the application's row."""
    form = DecisionForm()
    error = None
    if form.validate_on_submit():
        try:
            applications.decide_application(
                current_user, application_id, accept=form.decision.data == "accept", note=form.note.data or "",
                link_for=lambda token: url_for("jobs.student_placement", token=token, _external=True))
        except DomainError as refusal:
            error = error_text(refusal)
    else:
        error = _("请选择答复；页面过期时请刷新后重试。")
    application = access.own_application(current_user, application_id)
    if not is_htmx():
        flash(error or _("已答复，学生会收到短信。"), "error" if error else "success")
        return redirect(url_for("jobs.enterprise.position", position_id=application.position_id))
    # The row answered, and out of band what it changed elsewhere on the page: the head's count
    # (已录用 2/2 and 名额已满 at the second hire, without a reload) and the other applications,
    # which a filled position declines.
    today = clock.today()
    position, others = queries.position_applications(current_user, application.position_id)
    page = render_template("jobs/enterprise/_application.html", application=application, form=DecisionForm(),
                           error=error, today=today)
    page += render_template("jobs/enterprise/_position_summary.html", position=position, today=today, oob=True)
    for other in others:
        if other.id != application.id:
            page += render_template("jobs/enterprise/_application.html", application=other, form=DecisionForm(),
                                    error=None, today=today, oob=True)
    response = make_response(page)
    response.vary.add("HX-Request")
    return response


@bp.get("/placements/<int:placement_id>")
@enterprise_required
def placement(placement_id: int):
    """One student at work: contact details (now visible), agreement, attendance, the end."""
    return _placement_screen(placement_id)


def _placement_screen(placement_id: int, status: int = 200, **submitted):
    item = access.own_placement(current_user, placement_id)
    contact = placements.placement_contact(current_user, placement_id)
    today = clock.today()
    forms = {
        "agreement": AgreementForm(formdata=None, agreement_signed_on=today, starts_on=item.starts_on),
        "attendance": AttendanceForm(formdata=None, week=week_starting(today)),
        "finish": FinishForm(formdata=None, ends_on=min(item.ends_on, today), days_worked=item.days_reported or None),
    }
    forms.update(submitted)
    return render("jobs/enterprise/placement.html", status=status, placement=item, contact=contact, **forms)


def _placement_action(placement_id: int, name: str, form, action, success: str):
    """Run one placement action; on a refusal show the page again with what was typed kept."""
    if form.validate_on_submit():
        try:
            action(form)
        except DomainError as error:
            field_error(form, error, next(iter(form._fields)))
        else:
            flash(success, "success")
            return redirect(url_for("jobs.enterprise.placement", placement_id=placement_id))
    return _placement_screen(placement_id, status=422, **{name: form})


@bp.post("/placements/<int:placement_id>/agreement")
@enterprise_required
def agreement(placement_id: int):
    """Record the signed agreement and the accident insurance; the placement starts."""
    return _placement_action(placement_id, "agreement", AgreementForm(), lambda f: placements.record_agreement(
        current_user, placement_id, agreement_signed_on=f.agreement_signed_on.data, insurer=f.insurer.data,
        policy_no=f.policy_no.data, starts_on=f.starts_on.data), _("已登记协议和保险，学生已收到上岗确认短信。"))


@bp.post("/placements/<int:placement_id>/attendance")
@enterprise_required
def attendance(placement_id: int):
    """This week's attendance (again for the same week corrects it)."""
    return _placement_action(placement_id, "attendance", AttendanceForm(), lambda f: placements.report_attendance(
        current_user, placement_id, week=f.week.data, days_present=f.days_present.data,
        hours_worked=f.hours_worked.data, note=f.note.data or ""), _("已填报本周出勤。"))


@bp.post("/placements/<int:placement_id>/finish")
@enterprise_required
def finish(placement_id: int):
    """Days worked and pay received; the student can then print the certificate."""
    return _placement_action(placement_id, "finish", FinishForm(), lambda f: placements.finish_placement(
        current_user, placement_id, ends_on=f.ends_on.data, days_worked=f.days_worked.data,
        pay_received_yuan=f.pay_received.data), _("实践已结束，学生可打印实践证明。"))


@bp.get("/placements/<int:placement_id>/certificate")
@enterprise_required
def certificate(placement_id: int):
    """The practice certificate, printable."""
    item = access.own_placement(current_user, placement_id)
    return certificate_page(item, back=url_for("jobs.enterprise.placement", placement_id=item.id))
