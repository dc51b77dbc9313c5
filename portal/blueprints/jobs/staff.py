"""The union's work-study pages (``jobs.union.*``): figures, approvals, concerns, export.

Union officers see their own subtree; administrators see the whole federation.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.blueprints.jobs import bp as jobs_bp
from portal.blueprints.jobs.forms import AnswerForm, CloseForm, EnterpriseForm, ReviewForm
from portal.blueprints.jobs.public import certificate_page, take_position_down
from portal.domain.errors import DomainError
from portal.domain.jobs import APPLICATION_STATUS_LABELS, POSITION_STATUS_LABELS, ApplicationStatus, PositionStatus
from portal.domain.roles import Role
from portal.integrations.spreadsheets import xlsx_stream
from portal.services.jobs import access, concerns, enterprises, placements, positions, queries
from portal.services.jobs import exports as jobs_exports
from portal.web import field_error, flash_error, render, roles_required, safe_next

bp = Blueprint("union", __name__, url_prefix="/union")
jobs_bp.register_blueprint(bp)
union_required = roles_required(Role.UNION_OFFICER, Role.ADMIN)


def _back(default: str) -> str:
    """Back to the work-study page the form was on (``back``), else ``default``."""
    target = safe_next(request.form.get("back"))
    return target if target and target.startswith("/jobs/") else default


@bp.get("/")
@union_required
def overview():
    """The programme at a glance: the article's figures, open concerns first, enterprises waiting."""
    return render("jobs/union/overview.html", figures=queries.union_figures(current_user),
                  concerns=queries.union_concerns(current_user, limit=20), answer_form=AnswerForm(),
                  pending=queries.union_enterprises(current_user, status="pending"), review_form=ReviewForm())


@bp.get("/enterprises", endpoint="enterprises")
@union_required
def enterprise_list():
    """Every enterprise of the area, pending ones first."""
    return render("jobs/union/enterprises.html", enterprises=queries.union_enterprises(current_user),
                  review_form=ReviewForm())


@bp.route("/enterprises/new", methods=["GET", "POST"])
@union_required
def new_enterprise():
    """An officer registers an enterprise on its behalf (approved at once) with its contact's account."""
    form = EnterpriseForm()
    form.union_id.choices = [(u.id, u.name) for u in enterprises.oversight_unions(current_user)]
    if form.validate_on_submit():
        try:
            enterprise = enterprises.register_enterprise(current_user, form.details(), username=form.username.data,
                                                         password=form.password.data)
        except DomainError as error:
            field_error(form, error, "name")
        else:
            flash(_("已登记爱心企业“%(name)s”，联系人可用所设用户名和密码登录。", name=enterprise.name), "success")
            return redirect(url_for("jobs.union.enterprises"))
    return render("jobs/enterprise_form.html", form=form, by_staff=True)


@bp.post("/enterprises/<int:enterprise_id>/review")
@union_required
def review(enterprise_id: int):
    """Approve an enterprise, or turn it down with a reason."""
    form = ReviewForm()
    if form.validate_on_submit():
        approve = request.form.get("decision") == "approve"
        try:
            enterprise = enterprises.review_enterprise(current_user, enterprise_id, approve=approve,
                                                       note=form.note.data or "")
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("“%(name)s”已通过审核，已短信通知联系人。", name=enterprise.name) if approve
                  else _("“%(name)s”未通过审核，已短信通知联系人。", name=enterprise.name), "success")
    return redirect(_back(url_for("jobs.union.enterprises")))


def _position_status() -> str | None:
    status = request.args.get("status") or None
    return status if status in {s.value for s in PositionStatus} else None


@bp.get("/positions", endpoint="positions")
@union_required
def position_list():
    """Every position of the area, those waiting for approval first, with places filled."""
    status = _position_status()
    return render("jobs/union/positions.html", positions=queries.union_positions(current_user, status=status),
                  today=clock.today(), close_form=CloseForm(), review_form=ReviewForm(), status=status,
                  labels=POSITION_STATUS_LABELS)


@bp.post("/positions/<int:position_id>/review")
@union_required
def review_position(position_id: int):
    """Publish a position, or turn it down with a reason the enterprise is texted."""
    form = ReviewForm()
    if form.validate_on_submit():
        approve = request.form.get("decision") == "approve"
        try:
            position = positions.review_position(current_user, position_id, approve=approve,
                                                 note=form.note.data or "")
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("岗位“%(title)s”已通过审核，现已公开招募，已短信通知企业。", title=position.title) if approve
                  else _("岗位“%(title)s”未通过审核，已短信通知企业。", title=position.title), "success")
    return redirect(_back(url_for("jobs.union.positions")))


@bp.get("/positions/export.xlsx")
@union_required
def export_positions():
    """The positions on screen (same filter) as Excel; the export is audited."""
    return _stream(jobs_exports.export_positions(current_user, status=_position_status()))


@bp.get("/enterprises/export.xlsx")
@union_required
def export_enterprises():
    """The area's enterprises as Excel (contact mobiles masked); audited."""
    return _stream(jobs_exports.export_enterprises(current_user))


@bp.post("/positions/<int:position_id>/close")
@union_required
def close_position(position_id: int):
    """Take down a position (unsafe, misleading, or the enterprise asked)."""
    return take_position_down(position_id, done=_("岗位已下架。"), back=url_for("jobs.union.positions"))


def _application_status() -> str | None:
    status = request.args.get("status") or None
    return status if status in {s.value for s in ApplicationStatus} else None


@bp.get("/applications/export.xlsx")
@union_required
def export_applications():
    """The applications on screen (same filter) as Excel, students masked; audited."""
    return _stream(jobs_exports.export_applications(current_user, status=_application_status()))


@bp.get("/applications")
@union_required
def applications():
    """Applications of the area, filterable by state."""
    status = _application_status()
    return render("jobs/union/applications.html", status=status, labels=APPLICATION_STATUS_LABELS,
                  applications=queries.union_applications(current_user, status=status))


@bp.get("/placements")
@union_required
def placement_list():
    """Where every student works, whether insured, attendance reported, paid."""
    return render("jobs/union/placements.html", placements=queries.union_placements(current_user))


@bp.get("/placements/<int:placement_id>")
@union_required
def placement(placement_id: int):
    """One placement in full, with the student's contact details (the view is audited)."""
    item = access.placement_in_scope(current_user, placement_id)
    contact = placements.placement_contact(current_user, placement_id)
    return render("jobs/union/placement.html", placement=item, contact=contact, answer_form=AnswerForm())


@bp.get("/placements/<int:placement_id>/certificate")
@union_required
def certificate(placement_id: int):
    """The practice certificate, printable."""
    item = access.placement_in_scope(current_user, placement_id)
    return certificate_page(item, back=url_for("jobs.union.placement", placement_id=item.id))


@bp.post("/concerns/<int:concern_id>/answer")
@union_required
def answer(concern_id: int):
    """Answer a student's concern; the student is told by text."""
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            concerns.answer_concern(current_user, concern_id, answer=form.answer.data)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已答复，学生会收到短信。"), "success")
    else:
        flash(_("请填写答复内容。"), "error")
    return redirect(_back(url_for("jobs.union.overview")))


@bp.get("/export.xlsx")
@union_required
def export():
    """Placements of the area as an Excel file (ID numbers masked); audited."""
    return _stream(jobs_exports.export_placements(current_user))


def _stream(export):
    return xlsx_stream(f"勤工俭学{export.filename}", export.stream)
