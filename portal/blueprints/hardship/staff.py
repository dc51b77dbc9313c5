"""The register in scope, registering a member's family, a record with its history, review and removal."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.blueprints.hardship import bp
from portal.blueprints.hardship.forms import FamilyForm, RemoveForm, ReviewForm, level_choices
from portal.domain.errors import DomainError
from portal.domain.hardship import HARDSHIP_LEVEL_LABELS, default_review_on
from portal.domain.roles import Role
from portal.services import hardship
from portal.web import field_error, page_arg, render, roles_required

staff_required = roles_required(Role.UNION_OFFICER, Role.ADMIN)
PER_PAGE = 50


@bp.get("/")
@staff_required
def index():
    """The register of the actor's unions: reviews due first; filters in the address."""
    filters = hardship.RegisterFilters(status=request.args.get("status", "active"),
                                       level=request.args.get("level", ""), due_only=request.args.get("due") == "1")
    page = page_arg()
    rows, total = hardship.register_page(current_user, filters, page=page, per_page=PER_PAGE)
    return render("hardship/index.html", fragment="hardship/_register.html", rows=rows, total=total, page=page,
                  per_page=PER_PAGE, filters=filters, levels=HARDSHIP_LEVEL_LABELS, today=clock.today())


@bp.route("/new/<int:member_id>", methods=["GET", "POST"])
@staff_required
def register(member_id: int):
    """Register a member's family (or put it back after a removal)."""
    member = hardship.member_for_registration(current_user, member_id)
    form = FamilyForm()
    form.level.choices = level_choices(hardship.levels_for_actor(current_user))
    if request.method == "GET":
        form.review_on.data = default_review_on(clock.today())
    if form.validate_on_submit():
        try:
            family = hardship.register_family(current_user, member_id, hardship.FamilyInput(
                level=form.level.data, reason=form.reason.data, review_on=form.review_on.data))
        except DomainError as error:
            field_error(form, error, "reason")
        else:
            flash(_("已建档：%(name)s 家庭。", name=member.masked_name), "success")
            return redirect(url_for("hardship.family", family_id=family.id))
    return render("hardship/register.html", member=member, form=form)


def _family_page(family_id: int, review_form=None, remove_form=None, status: int = 200):
    family = hardship.family_for_staff(current_user, family_id)
    if review_form is None:
        review_form = ReviewForm(level=family.level, review_on=default_review_on(clock.today()))
    review_form.level.choices = level_choices(hardship.levels_for_actor(current_user))
    return render("hardship/family.html", status=status, family=family, review_form=review_form,
                  can_change=hardship.can_change(current_user, family),
                  remove_form=remove_form or RemoveForm(), today=clock.today())


@bp.get("/<int:family_id>")
@staff_required
def family(family_id: int):
    """A record: the family (masked), its level, reason, next review, and its history."""
    return _family_page(family_id)


@bp.post("/<int:family_id>/review")
@staff_required
def review(family_id: int):
    form = ReviewForm()
    form.level.choices = level_choices(hardship.levels_for_actor(current_user))
    if form.validate_on_submit():
        try:
            hardship.review_family(current_user, family_id, review_on=form.review_on.data, level=form.level.data,
                                   note=form.note.data or "")
        except DomainError as error:
            field_error(form, error)
        else:
            flash(_("已复核。"), "success")
            return redirect(url_for("hardship.family", family_id=family_id))
    return _family_page(family_id, review_form=form, status=422)


@bp.post("/<int:family_id>/remove")
@staff_required
def remove(family_id: int):
    form = RemoveForm()
    if form.validate_on_submit():
        try:
            hardship.remove_family(current_user, family_id, note=form.note.data)
        except DomainError as error:
            field_error(form, error)
        else:
            flash(_("已退出建档。"), "success")
            return redirect(url_for("hardship.family", family_id=family_id))
    return _family_page(family_id, remove_form=form, status=422)
