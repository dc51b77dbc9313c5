"""Seasons for the staff in scope; the federation and district unions declare one; officers confirm
their families, download the payout file and record cool-down packs."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.blueprints.relief import bp
from portal.blueprints.relief.forms import PacksForm, SeasonForm
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.integrations.spreadsheets import xlsx_download
from portal.services import relief
from portal.web import MAX_ID, EmptyForm, field_error, flash_error, page_arg, render, roles_required

staff_required = roles_required(Role.UNION_OFFICER, Role.ADMIN)
PER_PAGE = 100


def _can_declare() -> bool:
    return current_user.role == Role.ADMIN or (current_user.union is not None and current_user.union.kind == "district")


@bp.route("/", methods=["GET", "POST"])
@staff_required
def index():
    """The seasons the actor takes part in; the federation and district unions declare one here."""
    form = SeasonForm() if _can_declare() else None
    if form is not None and request.method == "GET":
        form.levels.data = ["city"] if current_user.role == Role.ADMIN else ["district"]
    if form is not None and form.validate_on_submit():
        try:
            season = relief.declare_season(current_user, relief.SeasonInput(
                name=form.name.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                amount_yuan=form.amount.data, levels=list(form.levels.data or [])))
        except DomainError as error:
            field_error(form, error, "name")
        else:
            flash(_("已发布：%(name)s。", name=season.name), "success")
            return redirect(url_for("relief.season", season_id=season.id))
    return render("relief/index.html", seasons=relief.seasons_for_staff(current_user), form=form)


def _packs_form(form: PacksForm | None = None) -> PacksForm:
    form = form or PacksForm(handed_on=clock.today())
    stations = relief.stations_for_packs(current_user)
    form.station_id.choices = [(s.id, f"{s.name}（{s.district or ''}）") for s in stations]
    return form


def _season_page(season_id: int, packs_form: PacksForm | None = None, status: int = 200):
    page = page_arg()
    view = relief.season_view(current_user, season_id, page=page, per_page=PER_PAGE)
    return render("relief/season.html", fragment="relief/_families.html", status=status, view=view, page=page,
                  per_page=PER_PAGE, form=EmptyForm(), packs_form=_packs_form(packs_form),
                  handouts=relief.pack_handouts(current_user, season_id))


@bp.get("/seasons/<int:season_id>")
@staff_required
def season(season_id: int):
    """A season: its figures in the actor's scope, the families to confirm, packs handed out."""
    return _season_page(season_id)


@bp.post("/seasons/<int:season_id>/confirm")
@staff_required
def confirm(season_id: int):
    """Confirm the families ticked; a family paid meanwhile (by another level) refuses it with why."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    ids = [int(value) for value in request.form.getlist("family_ids") if value.isdigit() and int(value) <= MAX_ID]
    try:
        confirmed = relief.confirm_families(current_user, season_id, ids)
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("已确认 %(count)s 户。", count=len(confirmed)), "success")
    return redirect(url_for("relief.season", season_id=season_id, page=request.args.get("page", 1, type=int)))


@bp.get("/seasons/<int:season_id>/payout.xlsx")
@staff_required
def payout(season_id: int):
    """The payout file of the confirmed families in scope (ID numbers masked but for administrators)."""
    season = relief.season_for_staff(current_user, season_id)
    content = relief.payout_file(current_user, season_id)
    return xlsx_download(f"送清凉补助发放名单-{season.year}-{season.id}.xlsx", content)


@bp.post("/seasons/<int:season_id>/packs")
@staff_required
def packs(season_id: int):
    form = _packs_form(PacksForm())
    if form.validate_on_submit():
        by_family = form.target.data == "family"
        try:
            relief.record_packs(current_user, season_id, count=form.count.data, handed_on=form.handed_on.data,
                                family_id=form.family_id.data if by_family else None,
                                station_id=None if by_family else form.station_id.data, note=form.note.data or "")
        except DomainError as error:
            field_error(form, error, "count")
        else:
            flash(_("已登记 %(count)s 份防暑降温包。", count=form.count.data), "success")
            return redirect(url_for("relief.season", season_id=season_id))
    return _season_page(season_id, packs_form=form, status=422)


@bp.post("/seasons/<int:season_id>/close")
@staff_required
def close(season_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        relief.close_season(current_user, season_id)
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("本补助季已结束发放。"), "success")
    return redirect(url_for("relief.season", season_id=season_id))
