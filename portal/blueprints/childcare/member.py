"""Parents' pages: registering a child, my registrations, cancelling."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.blueprints.childcare import bp
from portal.blueprints.childcare.forms import CancelForm, RegistrationForm
from portal.domain.errors import DomainError
from portal.services.childcare import queries, registrations
from portal.web import field_error, flash_error, member_required, render

# Refusals shown under their field; the others (pick-up adults, the class) at the top of the page.
FIELDS_WITH_OWN_MESSAGE = {"child_name", "child_id_number", "declared_category", "accept_rules"}


def _child_input(form: RegistrationForm) -> registrations.ChildInput:
    return registrations.ChildInput(
        name=form.child_name.data, id_number=form.child_id_number.data,
        health_notes=form.health_notes.data or "", allergies=form.allergies.data or "",
        pickup_adults=[registrations.PickupInput(row.form.name.data or "", row.form.relation.data or "",
                                                 row.form.mobile.data or "") for row in form.pickup_adults],
    )


@bp.route("/classes/<int:class_id>/register", methods=["GET", "POST"])
@member_required
def register(class_id: int):
    """A parent registers a child: ID number, health notes, who may collect the child."""
    cls = queries.get_public_class(class_id)
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            registration = registrations.register_child(
                current_user, cls.id, _child_input(form), accepted_rules=form.accept_rules.data,
                declared_category=form.declared_category.data or None)
        except DomainError as error:
            if error.field in FIELDS_WITH_OWN_MESSAGE:
                field_error(form, error)
            else:
                flash_error(error)
        else:
            flash(_("报名已提交：%(status)s。", status=_(registration.status_label)), "success")
            return redirect(url_for("childcare.registration", registration_id=registration.id))
    return render("childcare/register.html", cls=cls, form=form, today=clock.today(),
                  own_category_label=registrations.recorded_category(current_user).label)


@bp.get("/mine")
@member_required
def mine():
    """The parent's registrations: status and place on the waitlist, at any time."""
    return render("childcare/mine.html", rows=queries.my_registrations(current_user))


@bp.get("/registrations/<int:registration_id>")
@member_required
def registration(registration_id: int):
    """One of the parent's registrations, with a way to cancel it."""
    view = queries.registration_for_parent(current_user, registration_id)
    return render("childcare/registration.html", view=view, reg=view.registration, form=CancelForm())


@bp.post("/registrations/<int:registration_id>/cancel")
@member_required
def cancel(registration_id: int):
    """The parent gives up the place; the next child on the waitlist gets it."""
    form = CancelForm()
    if form.validate_on_submit():
        try:
            registrations.cancel_registration(current_user, registration_id, reason=form.reason.data or "")
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已取消报名。名额将自动递补给候补的孩子。"), "success")
    return redirect(url_for("childcare.registration", registration_id=registration_id))
