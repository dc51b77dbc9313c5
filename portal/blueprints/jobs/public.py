"""Pages for anyone: the listing, a position, an enterprise signing up, a student applying alone,
and the placement page and certificate the student's own link opens (no account needed).

The placement page, the certificate and taking a position down are shown to other audiences too:
they import them from here (and nothing imports their modules).
"""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.blueprints.jobs import bp
from portal.blueprints.jobs.forms import (
    ApplyForm,
    CloseForm,
    CodeForm,
    ConcernForm,
    EnterpriseForm,
    StudentApplicationForm,
)
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.extensions import limiter
from portal.services.jobs import access, concerns, enterprises, placements, positions, queries, students
from portal.web import error_text, field_error, flash_error, page_arg, render

PER_PAGE = 20


def _date_arg(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@bp.get("/")
def index():
    """Open positions for anyone, phone or kiosk; filters update the list in place and the URL."""
    filters = queries.PositionFilters(
        district=request.args.get("district", ""), major=request.args.get("major", ""),
        min_pay_yuan=request.args.get("min_pay", ""), available_from=_date_arg("from"), available_to=_date_arg("to"))
    page = page_arg()
    error = None
    try:
        found, total = queries.search_positions(filters, page=page, per_page=PER_PAGE)
    except DomainError as refusal:
        error, found, total = error_text(refusal), [], 0
    return render("jobs/index.html", fragment="jobs/_positions.html", positions=found, total=total,
                  page=page, per_page=PER_PAGE, filters=filters, error=error, districts=queries.listing_districts())


@bp.get("/positions/<int:position_id>")
def position(position_id: int):
    """One position in full; members apply for a child here, students are pointed to their own form."""
    item = access.public_position(position_id)
    form = None
    if current_user.is_authenticated and current_user.role == Role.MEMBER:
        form = ApplyForm()
        form.student_id.choices = [(s.id, f"{s.name}（{s.school}）") for s in queries.students_of(current_user)]
    return render("jobs/position.html", position=item, form=form, closed=item.closed_label_on(clock.today()))


@bp.route("/enterprises/register", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def register_enterprise():
    """A caring enterprise signs up; a union officer approves it before it can post."""
    form = EnterpriseForm()
    form.union_id.choices = [(u.id, u.name) for u in enterprises.oversight_unions()]
    if form.validate_on_submit():
        try:
            enterprises.register_enterprise(None, form.details(), username=form.username.data,
                                            password=form.password.data)
        except DomainError as error:
            field_error(form, error, "name")
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
                item.id, form.details(), parent_id_number=form.parent_id_number.data,
                parent_mobile=form.parent_mobile.data, motivation=form.motivation.data or "")
        except DomainError as error:
            field_error(form, error, "id_number")
        else:
            return redirect(url_for("jobs.student_verify", public_id=public_id))
    return render("jobs/student_apply.html", form=form, position=item)


@bp.route("/verify/<public_id>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def student_verify(public_id: str):
    """Step two of a student's own application: the codes the parent and the student received."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            application = students.confirm_student_application(public_id, form.code.data, form.student_code.data)
        except DomainError as error:
            field_error(form, error, "code")
        else:
            return render("jobs/applied.html", application=application)
    return render("jobs/student_verify.html", form=form)


@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def student_placement(token: str):
    """The student's placement page, opened from the acceptance text (no account needed)."""
    item = placements.placement_for_token(token)
    return placement_page(item, via="student", actor=None,
                          certificate_url=url_for("jobs.student_certificate", token=token))


@bp.get("/s/<token>/certificate")
def student_certificate(token: str):
    """The practice certificate, printable, from the student's own link."""
    item = placements.placement_for_token(token)
    return certificate_page(item, back=url_for("jobs.student_placement", token=token))


# ---------------------------------------------------------------- shown to other audiences too

def placement_page(item, *, via: str, actor, certificate_url: str):
    """A placement as the student (or the parent) sees it, with the form to raise a concern."""
    form = ConcernForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            concerns.raise_concern(item, category=form.category.data, description=form.description.data,
                                   via=via, actor=actor)
        except DomainError as error:
            field_error(form, error, "description")
        else:
            flash(_("已提交给工会经办人，工会会尽快联系学生并答复。"), "success")
            return redirect(request.path)
    return render("jobs/student_placement.html", placement=item, form=form, certificate_url=certificate_url)


def certificate_page(item, *, back: str):
    """The printable practice certificate, or back to the placement with the reason it is not ready."""
    try:
        placements.certificate(item)
    except DomainError as error:
        flash_error(error)
        return redirect(back)
    return render("jobs/certificate.html", placement=item, back=back)


def take_position_down(position_id: int, *, done: str, back: str):
    """Close a position from its enterprise's page or the union's list (the service tells them apart)."""
    form = CloseForm()
    if form.validate_on_submit():
        try:
            positions.close_position(current_user, position_id, reason=form.reason.data or "")
        except DomainError as error:
            flash_error(error)
        else:
            flash(done, "success")
    return redirect(back)
