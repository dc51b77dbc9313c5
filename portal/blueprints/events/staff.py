"""Unions' pages under /events/manage: figures, events and weddings, confirmations of their own
members, check-in at the door, and the printable wedding programme."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.blueprints.events import bp
from portal.blueprints.events.forms import CheckInForm, EventForm, WeddingForm
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.services.events import queries, singles, weddings
from portal.services.events.permissions import VIEWER_ROLES
from portal.web import EmptyForm, error_text, field_error, flash_error, is_htmx, render, roles_required

organiser_required = roles_required(Role.UNION_OFFICER)
viewer_required = roles_required(*VIEWER_ROLES)


@bp.get("/manage/")
@viewer_required
def manage_index():
    """The figures of the events in the actor's scope, the events and weddings, and what waits for
    the union's confirmation."""
    return render("events/manage/index.html", figures=queries.figures(current_user),
                  events=queries.staff_events(current_user), weddings=queries.staff_weddings(current_user),
                  pending=queries.pending_participants(current_user),
                  pending_couples=queries.pending_couples(current_user),
                  form=EmptyForm(), today=clock.today())


@bp.route("/manage/new", methods=["GET", "POST"])
@organiser_required
def manage_new_event():
    form = EventForm()
    if form.validate_on_submit():
        try:
            event = singles.create_event(current_user, singles.EventInput(
                title=form.title.data, place=form.place.data, held_on=form.held_on.data,
                starts_at=form.starts_at.data, ends_at=form.ends_at.data, capacity=form.capacity.data,
                registration_opens_on=form.registration_opens_on.data,
                registration_closes_on=form.registration_closes_on.data, min_age=form.min_age.data,
                max_age=form.max_age.data, balanced=form.balanced.data, description=form.description.data or ""))
        except DomainError as error:
            field_error(form, error)
        else:
            flash(_("活动已保存为草稿。核对无误后请点“发布”。"), "success")
            return redirect(url_for("events.manage_event", event_id=event.id))
    return render("events/manage/event_form.html", form=form)


@bp.get("/manage/<int:event_id>")
@viewer_required
def manage_event(event_id: int):
    event = queries.event_for_staff(current_user, event_id)
    return render("events/manage/event.html", event=event, form=EmptyForm(), today=clock.today())


@bp.post("/manage/<int:event_id>/publish")
@organiser_required
def manage_publish(event_id: int):
    if EmptyForm().validate_on_submit():
        try:
            singles.publish_event(current_user, event_id)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("活动已发布，会员可以在报名期内报名。"), "success")
    return redirect(url_for("events.manage_event", event_id=event_id))


@bp.post("/manage/participants/<int:participant_id>/decide")
@organiser_required
def manage_decide(participant_id: int):
    """The member's union confirms (or cannot confirm) membership."""
    if EmptyForm().validate_on_submit():
        try:
            singles.decide(current_user, participant_id, confirm=request.form.get("decision") == "confirm")
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已处理。"), "success")
    return redirect(url_for("events.manage_index") + "#pending")


@bp.route("/manage/<int:event_id>/door", methods=["GET", "POST"])
@organiser_required
def manage_door(event_id: int):
    """Check-in at the door on a tablet: type or tap the participant number."""
    form = CheckInForm()
    checked, error = None, None
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                checked = singles.check_in(current_user, event_id, form.number.data)
            except DomainError as exc:
                error = error_text(exc)
        else:
            error = next(iter(m for ms in form.errors.values() for m in ms), None)
        if not is_htmx():
            if error:
                flash(error, "error")
            elif checked is not None:
                flash(_("%(number)s号嘉宾已签到。", number=checked.number), "success")
            return redirect(url_for("events.manage_door", event_id=event_id))
    event, rows = queries.door_list(current_user, event_id)
    return render("events/manage/door.html", fragment="events/manage/_door.html", event=event, rows=rows,
                  form=CheckInForm(formdata=None), checked=checked, error=error, today=clock.today())


@bp.route("/manage/weddings/new", methods=["GET", "POST"])
@organiser_required
def manage_new_wedding():
    form = WeddingForm()
    if form.validate_on_submit():
        try:
            wedding = weddings.create_wedding(current_user, weddings.WeddingInput(
                title=form.title.data, place=form.place.data, held_on=form.held_on.data,
                starts_at=form.starts_at.data, capacity=form.capacity.data,
                registration_opens_on=form.registration_opens_on.data,
                registration_closes_on=form.registration_closes_on.data, programme=form.programme.data or ""))
        except DomainError as error:
            field_error(form, error)
        else:
            flash(_("集体婚礼已保存为草稿。核对无误后请点“发布”。"), "success")
            return redirect(url_for("events.manage_wedding", wedding_id=wedding.id))
    return render("events/manage/wedding_form.html", form=form)


@bp.get("/manage/weddings/<int:wedding_id>")
@viewer_required
def manage_wedding(wedding_id: int):
    wedding = queries.wedding_for_staff(current_user, wedding_id)
    return render("events/manage/wedding.html", wedding=wedding, form=EmptyForm(), today=clock.today())


@bp.post("/manage/weddings/<int:wedding_id>/publish")
@organiser_required
def manage_publish_wedding(wedding_id: int):
    if EmptyForm().validate_on_submit():
        try:
            weddings.publish_wedding(current_user, wedding_id)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("集体婚礼已发布，会员可以在报名期内报名。"), "success")
    return redirect(url_for("events.manage_wedding", wedding_id=wedding_id))


@bp.post("/manage/couples/<int:couple_id>/decide")
@organiser_required
def manage_decide_couple(couple_id: int):
    if EmptyForm().validate_on_submit():
        try:
            weddings.decide_couple(current_user, couple_id, confirm=request.form.get("decision") == "confirm")
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已处理。"), "success")
    return redirect(url_for("events.manage_index") + "#pending-couples")


@bp.get("/manage/weddings/<int:wedding_id>/programme")
@viewer_required
def manage_programme(wedding_id: int):
    """The programme to print (A4, print CSS): the order of the day and the couples by number."""
    wedding, couples = queries.programme(current_user, wedding_id)
    return render("events/manage/programme.html", wedding=wedding, couples=couples)
