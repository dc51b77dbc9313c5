"""Work-study "关爱·圆梦": the public listing, enterprise sign-up, members and students applying.

The enterprise's pages and the union's pages are nested blueprints (``jobs.enterprise.*``,
``jobs.union.*``) in their own modules.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.blueprints.jobs.forms import (
    ApplyForm,
    CodeForm,
    ConcernForm,
    EnterpriseForm,
    StudentApplicationForm,
    StudentForm,
)
from portal.blueprints.jobs.helpers import certificate_page, enterprise_details, form_error, is_local
from portal.blueprints.jobs.views_enterprise import bp as enterprise_bp
from portal.blueprints.jobs.views_union import bp as union_bp
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.extensions import limiter
from portal.services.jobs import access, applications, concerns, enterprises, placements, queries, students
from portal.web import EmptyForm, member_required, page_arg, render

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
bp.register_blueprint(enterprise_bp)
bp.register_blueprint(union_bp)

PER_PAGE = 20


def _date_arg(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def student_details(form) -> students.StudentDetails:
    return students.StudentDetails(
        name=form.name.data or "", id_number=form.id_number.data or "", mobile=form.mobile.data or "",
        school=form.school.data or "", major=form.major.data or "", year_of_study=form.year_of_study.data or "")


# ---------------------------------------------------------------- public

@bp.get("/")
def index():
    """Open positions for anyone, phone or kiosk; filters update the list in place and the URL."""
    filters = queries.PositionFilters(
        district=request.args.get("district", ""), major=request.args.get("major", ""),
        min_pay_yuan=request.args.get("min_pay", ""), available_from=_date_arg("from"), available_to=_date_arg("to"))
    page = page_arg()
    error = None
    try:
        positions, total = queries.search_positions(filters, page=page, per_page=PER_PAGE)
    except DomainError as exc:
        error, positions, total = _(exc.message), [], 0
    return render("jobs/index.html", fragment="jobs/_positions.html", positions=positions, total=total,
                  page=page, per_page=PER_PAGE, filters=filters, error=error,
                  districts=queries.listing_districts())


@bp.get("/positions/<int:position_id>")
def position(position_id: int):
    """One position in full; members apply for a child here, students are pointed to their own form."""
    item = access.public_position(position_id)
    form = None
    if current_user.is_authenticated and current_user.role == Role.MEMBER:
        form = ApplyForm()
        form.student_id.choices = [(s.id, f"{s.name}（{s.school}）") for s in queries.students_of(current_user)]
    return render("jobs/position.html", position=item, form=form,
                  closed=item.closed_label_on(clock.today()))


@bp.route("/enterprises/register", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def register_enterprise():
    """A caring enterprise signs up; a union officer approves it before it can post."""
    form = EnterpriseForm()
    form.union_id.choices = [(u.id, u.name) for u in enterprises.oversight_unions()]
    if form.validate_on_submit():
        try:
            enterprises.register_enterprise(None, enterprise_details(form), username=form.username.data,
                                             password=form.password.data)
        except DomainError as error:
            form_error(form, error, "name")
        else:
            return render("jobs/registered.html", name=form.name.data)
    return render("jobs/enterprise_form.html", form=form, by_staff=False)


@bp.route("/positions/<int:position_id>/student-apply", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def student_apply(position_id: int):
    """A student applies alone; the parent (a member) confirms with a code sent to their mobile."""
    item = access.public_position(position_id)
    form = StudentApplicationForm()
    if form.validate_on_submit():
        try:
            public_id = students.start_student_application(
                item.id, student_details(form), parent_id_number=form.parent_id_number.data,
                parent_mobile=form.parent_mobile.data, motivation=form.motivation.data or "")
        except DomainError as error:
            form_error(form, error, "id_number")
        else:
            return redirect(url_for("jobs.student_verify", public_id=public_id))
    return render("jobs/student_apply.html", form=form, position=item)


@bp.route("/verify/<public_id>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def student_verify(public_id: str):
    """Step two of a student's own application: the code the parent received."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            application = students.confirm_student_application(public_id, form.code.data)
        except DomainError as error:
            form_error(form, error, "code")
        else:
            return render("jobs/applied.html", application=application)
    return render("jobs/student_verify.html", form=form)


# ---------------------------------------------------------------- members (parents)

@bp.get("/me")
@member_required
def my_jobs():
    """The member's children, their applications and placements."""
    return render("jobs/me.html", students=queries.students_of(current_user),
                  applications=queries.applications_of_member(current_user),
                  placements=queries.placements_of_member(current_user), form=EmptyForm())


@bp.route("/me/students/new", methods=["GET", "POST"])
@member_required
def new_student():
    """Register a child at university."""
    form = StudentForm()
    if form.validate_on_submit():
        try:
            student = students.register_student(current_user, student_details(form))
        except DomainError as error:
            form_error(form, error, "id_number")
        else:
            flash(_("已登记%(name)s，现在可以为其报名岗位。", name=student.name), "success")
            return redirect(request.args.get("next") if is_local(request.args.get("next")) else url_for("jobs.index"))
    return render("jobs/student_form.html", form=form)


@bp.post("/positions/<int:position_id>/apply")
@member_required
def apply(position_id: int):
    """A member applies for a registered child."""
    form = ApplyForm()
    form.student_id.choices = [(s.id, s.name) for s in queries.students_of(current_user)]
    if form.validate_on_submit():
        try:
            applications.apply_for_child(current_user, form.student_id.data, position_id,
                                         motivation=form.motivation.data or "")
        except DomainError as error:
            flash(_(error.message), "error")
        else:
            flash(_("报名已提交，企业答复后会短信通知学生。"), "success")
            return redirect(url_for("jobs.my_jobs"))
    else:
        flash(_("请选择为哪位子女报名。"), "error")
    return redirect(url_for("jobs.position", position_id=position_id))


@bp.post("/me/applications/<int:application_id>/withdraw")
@member_required
def withdraw(application_id: int):
    """Withdraw an application the enterprise has not answered yet."""
    if EmptyForm().validate_on_submit():
        try:
            applications.withdraw_application(current_user, application_id)
        except DomainError as error:
            flash(_(error.message), "error")
        else:
            flash(_("已撤回报名。"), "success")
    return redirect(url_for("jobs.my_jobs"))


@bp.route("/me/placements/<int:placement_id>", methods=["GET", "POST"])
@member_required
def my_placement(placement_id: int):
    """A child's placement, seen by the parent, who may raise a concern for them."""
    item = access.placement_of_child(current_user, placement_id)
    return _placement_page(item, via="member", actor=current_user,
                           certificate_url=url_for("jobs.my_certificate", placement_id=item.id))


@bp.get("/me/placements/<int:placement_id>/certificate")
@member_required
def my_certificate(placement_id: int):
    """The practice certificate, printable."""
    item = access.placement_of_child(current_user, placement_id)
    return certificate_page(item, back=url_for("jobs.my_placement", placement_id=item.id))


# ---------------------------------------------------------------- the student's own link

@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def student_placement(token: str):
    """The student's placement page, opened from the acceptance text (no account needed)."""
    item = placements.placement_for_token(token)
    return _placement_page(item, via="student", actor=None,
                           certificate_url=url_for("jobs.student_certificate", token=token))


@bp.get("/s/<token>/certificate")
def student_certificate(token: str):
    item = placements.placement_for_token(token)
    return certificate_page(item, back=url_for("jobs.student_placement", token=token))


def _placement_page(item, *, via: str, actor, certificate_url: str):
    form = ConcernForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            concerns.raise_concern(item, category=form.category.data, description=form.description.data,
                                     via=via, actor=actor)
        except DomainError as error:
            form_error(form, error, "description")
        else:
            flash(_("已提交给工会经办人，工会会尽快联系学生并答复。"), "success")
            return redirect(request.path)
    return render("jobs/student_placement.html", placement=item, form=form, certificate_url=certificate_url)
