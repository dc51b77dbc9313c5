"""Pages of the evaluation: rounds (organiser), score sheets (evaluating units), results (all in
scope), station plans (the station's union), the export."""

from __future__ import annotations

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.blueprints.evaluation import bp
from portal.blueprints.evaluation.forms import DrawForm, PlanItemForm, RoundForm
from portal.domain.errors import Conflict, DomainError
from portal.domain.roles import Role
from portal.integrations.spreadsheets import write_xlsx, xlsx_download
from portal.services import evaluation
from portal.web import EmptyForm, error_text, field_error, flash_error, render, roles_required

viewer_required = roles_required(*evaluation.VIEWER_ROLES)
officer_required = roles_required(Role.UNION_OFFICER)


@bp.get("/")
@viewer_required
def index():
    """Rounds the actor runs, sheets its unit fills, published results of its stations."""
    return render("evaluation/index.html", rounds=evaluation.rounds_for(current_user),
                  sheets=evaluation.my_sheets(current_user), results=evaluation.my_results(current_user),
                  stations=evaluation.carnation_stations(current_user))


@bp.route("/rounds/new", methods=["GET", "POST"])
@officer_required
def new_round():
    form = RoundForm()
    stations = evaluation.carnation_stations(current_user)
    if request.method == "GET":
        form.year.data = clock.today().year
        form.title.data = _("%(year)s年度康乃馨服务站质效评价", year=clock.today().year)
    chosen = [int(v) for v in request.form.getlist("stations") if v.isdigit()] if request.method == "POST" else \
        [s.id for s in stations]
    if form.validate_on_submit():
        try:
            round_ = evaluation.create_round(current_user, year=form.year.data, title=form.title.data,
                                             panel_size=form.panel_size.data, criteria=form.criteria.data,
                                             station_ids=chosen)
        except DomainError as error:
            field_error(form, error)
        else:
            flash(_("评价已创建。请核对参评单位和指标，然后组建验收小组。"), "success")
            return redirect(url_for("evaluation.show_round", round_id=round_.id))
    return render("evaluation/round_form.html", form=form, stations=stations, chosen=set(chosen))


@bp.get("/rounds/<int:round_id>")
@viewer_required
def show_round(round_id: int):
    round_ = evaluation.round_for_staff(current_user, round_id)
    submitted, total = evaluation.progress(round_)
    entries = {entry.id: entry for entry in round_.entries}
    return render("evaluation/round.html", round=round_, entries=entries, results=evaluation.results(round_),
                  submitted=submitted, total=total, draw_form=DrawForm(), form=EmptyForm(), check=None)


@bp.get("/rounds/<int:round_id>/check")
@viewer_required
def check_round(round_id: int):
    """Draw the panels again from the shown seed and compare."""
    check = evaluation.verify_panels(current_user, round_id)
    if check.matches:
        flash(_("按公开的种子重新分组，结果与记录一致。"), "success")
    else:
        flash(_("按公开的种子重新分组，结果与记录不一致！"), "error")
    return redirect(url_for("evaluation.show_round", round_id=round_id))


@bp.post("/rounds/<int:round_id>/draw")
@officer_required
def draw(round_id: int):
    form = DrawForm()
    if form.validate_on_submit():
        try:
            round_ = evaluation.draw_panels(current_user, round_id, seed=form.seed.data or None)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("验收小组已组建，种子为 %(seed)s。", seed=round_.seed), "success")
    return redirect(url_for("evaluation.show_round", round_id=round_id))


@bp.post("/rounds/<int:round_id>/publish")
@officer_required
def publish(round_id: int):
    if EmptyForm().validate_on_submit():
        try:
            evaluation.publish_results(current_user, round_id)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("评价结果已发布，各服务站可以查看。"), "success")
    return redirect(url_for("evaluation.show_round", round_id=round_id))


@bp.get("/rounds/<int:round_id>/export.xlsx")
@viewer_required
def export(round_id: int):
    try:
        headers, rows = evaluation.export_results(current_user, round_id)
    except Conflict as error:  # not published yet: say so on the round's page
        flash_error(error)
        return redirect(url_for("evaluation.show_round", round_id=round_id))
    return xlsx_download(f"康乃馨服务站质效评价-{round_id}.xlsx", write_xlsx(headers, rows, sheet="评价结果"))


@bp.route("/sheets/<int:sheet_id>", methods=["GET", "POST"])
@officer_required
def sheet(sheet_id: int):
    """The evaluating unit scores one station on the round's criteria, with notes."""
    sheet = evaluation.sheet_for_evaluator(current_user, sheet_id)
    form = EmptyForm()
    error = None
    values = {c.id: s.score for s in sheet.scores for c in [s.criterion]}
    note = sheet.note
    if request.method == "POST" and form.validate_on_submit():
        values = {c.id: request.form.get(f"score-{c.id}", "") for c in sheet.round.criteria}
        note = request.form.get("note", "")
        try:
            evaluation.submit_sheet(current_user, sheet_id, values, note)
        except DomainError as exc:
            error = error_text(exc)
        else:
            flash(_("评分已提交。结果发布前可以修改。"), "success")
            return redirect(url_for("evaluation.index"))
    return render("evaluation/sheet.html", sheet=sheet, form=form, values=values, note=note, error=error,
                  items=evaluation.plan_items(sheet.target.station_id))


@bp.post("/sheets/<int:sheet_id>/photos")
@officer_required
def upload_photo(sheet_id: int):
    """A photo of the visit, checked like claim documents."""
    if EmptyForm().validate_on_submit():
        upload = request.files.get("file")
        try:
            evaluation.upload_photo(current_user, sheet_id, filename=upload.filename if upload else None,
                                    data=upload.read() if upload else b"")
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("照片已上传。"), "success")
    return redirect(url_for("evaluation.sheet", sheet_id=sheet_id) + "#photos")


@bp.get("/photos/<int:photo_id>")
@viewer_required
def photo(photo_id: int):
    photo, path = evaluation.open_photo(current_user, photo_id)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=photo.content_type, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


@bp.get("/results/<int:entry_id>")
@viewer_required
def result(entry_id: int):
    """A station's published result: score, grade, each criterion and the panel's notes."""
    row = evaluation.result_for_station(current_user, entry_id)
    return render("evaluation/result.html", row=row, entry=row.entry, round=row.entry.round)


@bp.route("/stations/<int:station_id>", methods=["GET", "POST"])
@viewer_required
def station(station_id: int):
    """A 康乃馨 station's management system and service plan."""
    station = evaluation.station_for_staff(current_user, station_id)
    form = PlanItemForm()
    if current_user.role == Role.UNION_OFFICER and form.validate_on_submit():
        try:
            evaluation.add_plan_item(current_user, station.id, kind=form.kind.data, title=form.title.data,
                                     detail=form.detail.data or "")
        except DomainError as error:
            field_error(form, error)
        else:
            flash(_("已添加。"), "success")
            return redirect(url_for("evaluation.station", station_id=station.id))
    return render("evaluation/station.html", station=station, items=evaluation.plan_items(station.id), form=form)
