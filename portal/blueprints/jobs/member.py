"""A parent's pages (members): their children, applying for them, withdrawing, their placements."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.jobs import bp
from portal.blueprints.jobs.forms import ApplyForm, StudentCodeForm, StudentForm
from portal.blueprints.jobs.public import certificate_page, placement_page
from portal.domain.errors import DomainError
from portal.extensions import limiter
from portal.services.jobs import access, applications, queries, students
from portal.web import EmptyForm, field_error, flash_error, member_required, render, safe_next


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
            public_id = students.request_student_link(current_user, form.details())
        except DomainError as error:
            field_error(form, error, "id_number")
        else:
            return redirect(url_for("jobs.confirm_student", public_id=public_id,
                                    next=safe_next(request.args.get("next"))))
    return render("jobs/student_form.html", form=form)


@bp.route("/me/students/confirm/<public_id>", methods=["GET", "POST"])
@member_required
@limiter.limit("20 per hour", methods=["POST"])
def confirm_student(public_id: str):
    """Step two of registering a child: the code texted to the student's own mobile."""
    form = StudentCodeForm()
    if form.validate_on_submit():
        try:
            student = students.confirm_student_link(current_user, public_id, form.code.data)
        except DomainError as error:
            field_error(form, error, "code")
        else:
            flash(_("已登记%(name)s，现在可以为其报名岗位。", name=student.name), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("jobs.index"))
    else:
        students.pending_link(current_user, public_id)  # an unknown, used or expired link is not found
    return render("jobs/student_link.html", form=form)


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
            flash_error(error)
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
            flash_error(error)
        else:
            flash(_("已撤回报名。"), "success")
    return redirect(url_for("jobs.my_jobs"))


@bp.route("/me/placements/<int:placement_id>", methods=["GET", "POST"])
@member_required
def my_placement(placement_id: int):
    """A child's placement, seen by the parent, who may raise a concern for them."""
    item = access.placement_of_child(current_user, placement_id)
    return placement_page(item, via="member", actor=current_user,
                          certificate_url=url_for("jobs.my_certificate", placement_id=item.id))


@bp.get("/me/placements/<int:placement_id>/certificate")
@member_required
def my_certificate(placement_id: int):
    """The practice certificate, printable."""
    item = access.placement_of_child(current_user, placement_id)
    return certificate_page(item, back=url_for("jobs.my_placement", placement_id=item.id))
