"""Members' pages: registering for an event or the wedding, my registrations, choosing numbers."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.blueprints.events import bp
from portal.blueprints.events.forms import ChoiceForm, CoupleForm, SinglesRegistrationForm
from portal.domain.errors import DomainError
from portal.services.events import queries, singles, weddings
from portal.web import EmptyForm, field_error, flash_error, member_required, render


@bp.route("/<int:event_id>/register", methods=["GET", "POST"])
@member_required
def register(event_id: int):
    """A member registers, declaring they are single; the union confirms membership."""
    event = queries.get_public_event(event_id)
    form = SinglesRegistrationForm()
    if form.validate_on_submit():
        try:
            participant = singles.register(current_user, event.id, declared_single=form.declared_single.data,
                                           accepted_privacy=form.accepted_privacy.data)
        except DomainError as error:
            field_error(form, error)
        else:
            flash(_("报名已提交：%(status)s。", status=_(participant.status_label)), "success")
            return redirect(url_for("events.participant", participant_id=participant.id))
    return render("events/register.html", event=event, form=form, today=clock.today())


@bp.get("/mine")
@member_required
def mine():
    return render("events/mine.html", participations=queries.my_participations(current_user),
                  couples=queries.my_couples(current_user))


@bp.get("/mine/<int:participant_id>")
@member_required
def participant(participant_id: int):
    """One registration: status, the participant number, choices and matches (numbers only)."""
    view = queries.participant_for_member(current_user, participant_id)
    return render("events/participant.html", view=view, p=view.participant, form=ChoiceForm(),
                  cancel_form=EmptyForm(), today=clock.today())


@bp.post("/mine/<int:participant_id>/cancel")
@member_required
def cancel(participant_id: int):
    if EmptyForm().validate_on_submit():
        try:
            singles.cancel(current_user, participant_id)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已取消报名。"), "success")
    return redirect(url_for("events.participant", participant_id=participant_id))


@bp.post("/mine/<int:participant_id>/choose")
@member_required
def choose(participant_id: int):
    """Name the number of someone met at the event; a match shows only when both chose."""
    form = ChoiceForm()
    if form.validate_on_submit():
        try:
            matched = singles.choose(current_user, participant_id, form.number.data)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("互选成功！对方也选择了您。") if matched else _("已记录您的选择。对方也选择您时，双方会收到短信。"),
                  "success")
    else:
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
    return redirect(url_for("events.participant", participant_id=participant_id))


@bp.post("/mine/<int:participant_id>/choices/<int:number>/withdraw")
@member_required
def withdraw_choice(participant_id: int, number: int):
    if EmptyForm().validate_on_submit():
        try:
            singles.withdraw_choice(current_user, participant_id, number)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已撤回选择。"), "success")
    return redirect(url_for("events.participant", participant_id=participant_id))


@bp.route("/weddings/<int:wedding_id>/register", methods=["GET", "POST"])
@member_required
def register_couple(wedding_id: int):
    wedding = queries.get_public_wedding(wedding_id)
    form = CoupleForm()
    if form.validate_on_submit():
        try:
            couple = weddings.register_couple(current_user, wedding.id, weddings.CoupleInput(
                partner_name=form.partner_name.data, partner_id_number=form.partner_id_number.data,
                certificate_on=form.certificate_on.data, names_in_programme=form.names_in_programme.data))
        except DomainError as error:
            field_error(form, error)
        else:
            flash(_("报名已提交：%(status)s。", status=_(couple.status_label)), "success")
            return redirect(url_for("events.couple", couple_id=couple.id))
    return render("events/couple_register.html", wedding=wedding, form=form, today=clock.today())


@bp.get("/mine/couples/<int:couple_id>")
@member_required
def couple(couple_id: int):
    return render("events/couple.html", couple=queries.couple_for_member(current_user, couple_id),
                  cancel_form=EmptyForm())


@bp.post("/mine/couples/<int:couple_id>/cancel")
@member_required
def cancel_couple(couple_id: int):
    if EmptyForm().validate_on_submit():
        try:
            weddings.cancel_couple(current_user, couple_id)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已取消报名。"), "success")
    return redirect(url_for("events.couple", couple_id=couple_id))
