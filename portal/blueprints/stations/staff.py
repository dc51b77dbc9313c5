"""Staff pages: the stations in scope (administrators add them; union officers edit their union's),
the fleet page and a kiosk's page, for administrators and the station's union officers."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.stations import bp
from portal.blueprints.stations.forms import NewKioskForm, PublicKeyForm, StationForm
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.services import stations as station_service
from portal.services.sync import fleet
from portal.web import EmptyForm, field_error, render, roles_required

FLEET_ROLES = (Role.ADMIN, Role.UNION_OFFICER)


def station_input(form: StationForm) -> station_service.StationInput:
    return station_service.StationInput(
        code=form.code.data, name=form.name.data, kind=form.kind.data, union_code=form.union_code.data,
        address=form.address.data or "", opening_hours=form.opening_hours.data or "",
        district=form.district.data or "", season_starts_on=form.season_starts_on.data,
        season_ends_on=form.season_ends_on.data, contact_name=form.contact_name.data or "",
        contact_phone=form.contact_phone.data or "", services=list(form.services.data or []))


def manage_page(form: StationForm | None, status: int = 200):
    return render("stations/manage.html", status=status, stations=station_service.stations_in_scope(current_user),
                  form=form)


@bp.get("/manage")
@roles_required(*FLEET_ROLES)
def manage():
    """The stations in scope, each with its edit link; administrators add one below."""
    return manage_page(StationForm() if current_user.role == Role.ADMIN else None)


@bp.route("/<int:station_id>/edit", methods=["GET", "POST"])
@roles_required(*FLEET_ROLES)
def edit(station_id: int):
    """Complete or edit a station: administrators any, officers their union's (the service checks)."""
    try:
        station = station_service.station_for_staff(current_user, station_id)
    except DomainError:
        abort(404)
    form = StationForm(obj=station, union_code=station.union.code, services=station.ticked_services)
    if form.validate_on_submit():
        try:
            station_service.update_station(current_user, station_id, station_input(form))
        except DomainError as error:
            field_error(form, error, "name")
        else:
            flash(_("站点信息已保存。"), "success")
            return redirect(url_for("stations.manage"))
    return render("stations/edit.html", station=station, form=form)


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
