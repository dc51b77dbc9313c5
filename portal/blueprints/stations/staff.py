"""The fleet page and a kiosk's page, for administrators and the station's union officers."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.stations import bp
from portal.blueprints.stations.forms import NewKioskForm, PublicKeyForm
from portal.domain.roles import Role
from portal.services import stations as station_service
from portal.services.sync import fleet
from portal.web import EmptyForm, render, roles_required

FLEET_ROLES = (Role.ADMIN, Role.UNION_OFFICER)


@bp.get("/kiosks")
@roles_required(*FLEET_ROLES)
def kiosks():
    """Every kiosk in scope: contact, sync, backlog, skew, key age and open rejections."""
    form = None
    if current_user.role == Role.ADMIN:
        form = NewKioskForm()
        stations = station_service.stations_in_scope(current_user)
        form.station_id.choices = [(station.id, f"{station.code} {station.name}") for station in stations]
    return render("stations/fleet.html", rows=fleet.fleet(current_user), form=form)


@bp.get("/kiosks/<kiosk_id>")
@roles_required(*FLEET_ROLES)
def kiosk(kiosk_id: str):
    """One kiosk: its keys and the submissions it sent that could not be applied, with reasons."""
    item = fleet.kiosk_for_staff(current_user, kiosk_id)
    return render("stations/kiosk.html", kiosk=item, rejected=fleet.rejected_envelopes(current_user, kiosk_id),
                  payload_view=fleet.payload_view, form=EmptyForm(), key_form=PublicKeyForm())


@bp.post("/rejections/<int:envelope_id>/handled")
@roles_required(*FLEET_ROLES)
def handled(envelope_id: int):
    """Staff dealt with a rejected submission; its personal data is deleted."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    envelope = fleet.mark_handled(current_user, envelope_id)
    flash(_("已标记为处理完毕，提交中的个人信息已删除。"), "success")
    return redirect(url_for("stations.kiosk", kiosk_id=envelope.kiosk_id))
