"""Administrators: adding stations, and a kiosk's life (enrolment token, key rotation, revocation)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.stations import bp
from portal.blueprints.stations.forms import NewKioskForm, PublicKeyForm, StationForm
from portal.blueprints.stations.staff import manage_page, station_input
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.services import stations as station_service
from portal.services.sync import kiosks as kiosk_service
from portal.web import EmptyForm, field_error, flash_error, render, roles_required

admin_required = roles_required(Role.ADMIN)


@bp.post("/manage")
@admin_required
def create():
    """An administrator adds a station; a refused form comes back with its messages and nothing lost."""
    form = StationForm()
    if form.validate_on_submit():
        try:
            station = station_service.create_station(current_user, station_input(form))
        except DomainError as error:
            field_error(form, error, "code")
        else:
            flash(_("已添加站点 %(name)s。", name=station.name), "success")
            return redirect(url_for("stations.manage"))
    return manage_page(form, status=422)


def _token_page(kiosk, token: str):
    hours = current_app.config["SYNC_ENROLMENT_TOKEN_HOURS"]
    return render("stations/token.html", kiosk=kiosk, token=token, hours=hours,
                  central=request.url_root.rstrip("/"))


@bp.post("/kiosks/new")
@admin_required
def new_kiosk():
    """A new kiosk at a station: its one-time enrolment token, shown once."""
    form = NewKioskForm()
    form.station_id.choices = [(s.id, s.code) for s in station_service.stations_in_scope(current_user)]
    if not form.validate_on_submit():
        for message in [m for messages in form.errors.values() for m in messages]:
            flash(message, "error")
        return redirect(url_for("stations.kiosks"))
    try:
        kiosk, token = kiosk_service.issue_enrolment_token(current_user, station_id=form.station_id.data,
                                                           name=form.name.data)
    except DomainError as error:
        flash_error(error)
        return redirect(url_for("stations.kiosks"))
    return _token_page(kiosk, token)


@bp.post("/kiosks/<kiosk_id>/token")
@admin_required
def reenrol(kiosk_id: str):
    """A new enrolment token for a kiosk whose device was replaced."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        kiosk, token = kiosk_service.issue_enrolment_token(current_user, kiosk_id=kiosk_id)
    except DomainError as error:
        flash_error(error)
        return redirect(url_for("stations.kiosk", kiosk_id=kiosk_id))
    return _token_page(kiosk, token)


@bp.post("/kiosks/<kiosk_id>/keys")
@admin_required
def rotate(kiosk_id: str):
    """Add the key the kiosk shows; the old keys stay valid for the overlap."""
    form = PublicKeyForm()
    if form.validate_on_submit():
        try:
            kiosk_service.rotate_key(current_user, kiosk_id, form.public_key.data)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已添加新密钥，旧密钥在过渡期后失效。"), "success")
    else:
        flash(_("请粘贴终端显示的公钥。"), "error")
    return redirect(url_for("stations.kiosk", kiosk_id=kiosk_id))


@bp.post("/keys/<int:key_id>/retire")
@admin_required
def retire(key_id: int):
    """End a key's validity now."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    key = kiosk_service.retire_key(current_user, key_id)
    flash(_("该密钥已失效。"), "success")
    return redirect(url_for("stations.kiosk", kiosk_id=key.kiosk_id))


@bp.post("/kiosks/<kiosk_id>/revoke")
@admin_required
def revoke(kiosk_id: str):
    """Stop a kiosk for good."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        kiosk_service.revoke_kiosk(current_user, kiosk_id)
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("终端已停用，它的请求将被拒绝。"), "success")
    return redirect(url_for("stations.kiosk", kiosk_id=kiosk_id))
