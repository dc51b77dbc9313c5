"""Public and parents' pages of summer childcare: the class list, a class, registering, my children."""

from __future__ import annotations

import click
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.blueprints.childcare.forms import CancelForm, RegistrationForm
from portal.domain.childcare import Phase
from portal.domain.errors import DomainError
from portal.services.childcare import allocation, queries, registrations
from portal.web import member_required, render

bp = Blueprint("childcare", __name__, url_prefix="/childcare")

REGISTRATION_PHASES = (Phase.WINDOW_OPEN, Phase.AWAITING_DRAW, Phase.FIRST_COME)
FIELDS_WITH_OWN_MESSAGE = {"child_name", "child_id_number", "declared_category", "accept_rules"}


@bp.get("/")
def index():
    """Every class open to the public, with seats left (phone and kiosk)."""
    district = request.args.get("district") or None
    classes = queries.public_classes(district=district)
    return render("childcare/index.html", classes=classes, districts=queries.public_districts(),
                  district=district or "", today=clock.today())


@bp.get("/classes/<int:class_id>")
def show_class(class_id: int):
    """A class: what, where, when, seats left, and its ballot for anyone to check."""
    cls = queries.get_public_class(class_id)
    today = clock.today()
    return render("childcare/class.html", cls=cls, today=today, phase=cls.phase(today),
                  can_register=cls.phase(today) in REGISTRATION_PHASES, check=None)


@bp.get("/classes/<int:class_id>/ballot-check")
def ballot_check(class_id: int):
    """Re-run the recorded draw from its seed and compare with the recorded result."""
    check = allocation.verify_ballot(class_id)
    cls = check.ballot.childcare_class
    today = clock.today()
    return render("childcare/class.html", fragment="childcare/_ballot_check.html", check=check, cls=cls,
                  today=today, phase=cls.phase(today), can_register=cls.phase(today) in REGISTRATION_PHASES)


@bp.route("/classes/<int:class_id>/register", methods=["GET", "POST"])
@member_required
def register(class_id: int):
    """A parent registers a child: ID number, health notes, who may collect the child."""
    cls = queries.get_public_class(class_id)
    form = RegistrationForm()
    if form.validate_on_submit():
        child = registrations.ChildInput(
            name=form.child_name.data, id_number=form.child_id_number.data,
            health_notes=form.health_notes.data or "", allergies=form.allergies.data or "",
            pickup_adults=[registrations.PickupInput(row.form.name.data or "", row.form.relation.data or "",
                                               row.form.mobile.data or "") for row in form.pickup_adults],
        )
        try:
            registration = registrations.register_child(
                current_user, cls.id, child, accepted_rules=form.accept_rules.data,
                declared_category=form.declared_category.data or None)
        except DomainError as error:
            if error.field in FIELDS_WITH_OWN_MESSAGE:
                getattr(form, error.field).errors.append(_(error.message))
            else:
                flash(_(error.message), "error")
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
            flash(_(error.message), "error")
        else:
            flash(_("已取消报名。名额将自动递补给候补的孩子。"), "success")
    return redirect(url_for("childcare.registration", registration_id=registration_id))


@bp.cli.command("allocate-due")
def allocate_due_command():
    """Draw every class whose registration window has closed (run daily from cron or the queue)."""
    click.echo(f"allocated {allocation.allocate_due()} class(es)")
