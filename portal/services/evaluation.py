"""康乃馨 stations' quality evaluation: station plans, rounds, panels drawn from a shown seed, score
sheets filled by the evaluating units, results combined, published and exported.

Who does what: an officer of the organising union (e.g. the district's women workers' committee)
opens a round for the 康乃馨 stations in its subtree, draws the panels and publishes; an officer of
a participating unit's own union fills that unit's sheets (never its own station: the draw and the
database both refuse it); the station's officers read their published result.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal import clock
from portal.domain import evaluation as rules
from portal.domain.claims import EXTENSIONS
from portal.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from portal.domain.evaluation import ROUND, SHEET, PlanItemKind, RoundAction, RoundStatus, SheetAction, SheetStatus
from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.domain.stations import StationKind
from portal.extensions import db
from portal.models.evaluation import (
    EvaluationCriterion,
    EvaluationEntry,
    EvaluationPhoto,
    EvaluationRound,
    EvaluationScore,
    EvaluationSheet,
    StationPlanItem,
)
from portal.models.stations import Station
from portal.services import audit
from portal.services.access import require_role, require_union_in_scope, union_scope
from portal.services.claims.documents import prepare_upload
from portal.services.records import get_or_not_found
from portal.services.unit_of_work import on_rollback, unit_of_work

ROUND_NOT_FOUND = N_("找不到该评价。")
SHEET_NOT_FOUND = N_("找不到该评分表。")
STATION_NOT_FOUND = N_("找不到该服务站。")
VIEWER_ROLES = (Role.UNION_OFFICER, Role.ADMIN)


def _carnation_station(station_id: int) -> Station:
    station = get_or_not_found(Station, station_id, STATION_NOT_FOUND)
    if station.kind != StationKind.CARNATION:
        raise NotFound(STATION_NOT_FOUND)
    return station


# --- station plans -------------------------------------------------------------------------


@unit_of_work
def add_plan_item(actor, station_id: int, *, kind: str, title: str, detail: str = "") -> StationPlanItem:
    """A station's union records a rule of its management system or an item of its service plan."""
    require_role(actor, Role.UNION_OFFICER)
    station = _carnation_station(station_id)
    require_union_in_scope(actor, station.union)
    try:
        kind = PlanItemKind(kind)
    except ValueError:
        raise InvalidInput(N_("请选择管理制度或服务计划。"), field="kind") from None
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput(N_("请填写名称。"), field="title")
    item = StationPlanItem(station=station, kind=kind, title=title[:120], detail=(detail or "").strip()[:2000])
    db.session.add(item)
    db.session.flush()
    audit.record(actor, "evaluation.plan_item_add", "station", station.id, kind=kind.value)
    return item


def plan_items(station_id: int) -> list[StationPlanItem]:
    return list(db.session.scalars(select(StationPlanItem).where(StationPlanItem.station_id == station_id)
                                   .order_by(StationPlanItem.kind, StationPlanItem.id)))


def carnation_stations(actor) -> list[Station]:
    """The 康乃馨 stations in the actor's scope (what a round can include, or a station's plan)."""
    require_role(actor, *VIEWER_ROLES)
    stmt = union_scope(select(Station), actor, Station.union_id).where(Station.kind == StationKind.CARNATION)
    return list(db.session.scalars(stmt.options(selectinload(Station.union)).order_by(Station.code)))


def station_for_staff(actor, station_id: int) -> Station:
    require_role(actor, *VIEWER_ROLES)
    station = _carnation_station(station_id)
    require_union_in_scope(actor, station.union)
    return station


# --- rounds --------------------------------------------------------------------------------


@unit_of_work
def create_round(actor, *, year: int, title: str, panel_size: int, criteria: str,
                 station_ids: list[int]) -> EvaluationRound:
    """Open a round for a set of 康乃馨 stations in the organiser's subtree, one per union."""
    require_role(actor, Role.UNION_OFFICER)
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput(N_("请填写评价名称。"), field="title")
    if not 2000 <= year <= 2100:
        raise InvalidInput(N_("请填写评价年度。"), field="year")
    parsed = rules.parse_criteria(criteria)
    stations = [_carnation_station(station_id) for station_id in sorted(set(station_ids))]
    for station in stations:
        require_union_in_scope(actor, station.union)
    unions = [station.union_id for station in stations]
    if len(set(unions)) != len(unions):
        raise InvalidInput(N_("同一工会只能有一个服务站参评：验收时以单位为准，一个单位一票。"), field="stations")
    rules.form_panels([s.id for s in stations], panel_size, "check")  # refuses too few units up front
    round_ = EvaluationRound(union=actor.union, year=year, title=title[:120], panel_size=panel_size,
                             status=ROUND.initial, created_by_id=actor.id)
    db.session.add(round_)
    for position, criterion in enumerate(parsed, start=1):
        db.session.add(EvaluationCriterion(round=round_, position=position, name=criterion.name,
                                           weight=criterion.weight))
    for station in stations:
        db.session.add(EvaluationEntry(round=round_, station=station, union_id=station.union_id))
    db.session.flush()
    audit.record(actor, "evaluation.round_create", "evaluation_round", round_.id, stations=len(stations))
    return round_


def _round(round_id: int, *, lock: bool = False) -> EvaluationRound:
    round_ = get_or_not_found(EvaluationRound, round_id, ROUND_NOT_FOUND)
    if lock:
        db.session.refresh(round_, with_for_update=True)
    return round_


def _require_organiser(actor, round_: EvaluationRound) -> None:
    require_role(actor, Role.UNION_OFFICER)
    require_union_in_scope(actor, round_.union)


@unit_of_work
def draw_panels(actor, round_id: int, *, seed: str | None = None, now: datetime | None = None) -> EvaluationRound:
    """Draw the panels from a seed (given, or a new random one), record both and create every sheet."""
    now = now or clock.now()
    round_ = _round(round_id, lock=True)
    _require_organiser(actor, round_)
    seed = (seed or "").strip()[:64] or secrets.token_hex(8)
    ROUND.move(round_, RoundAction.FORM_PANELS)
    entries = {entry.id: entry for entry in round_.entries}
    panels = rules.form_panels(list(entries), round_.panel_size, seed)
    for panel in panels:
        for member in panel.members:
            entries[member].panel_number = panel.number
    for evaluator, target in rules.assignments(panels):
        db.session.add(EvaluationSheet(round=round_, evaluator_id=evaluator, target_id=target,
                                       status=SHEET.initial, note=""))
    round_.seed = seed
    round_.panels = [[p.number, list(p.members), list(p.evaluates)] for p in panels]
    round_.formed_at = now
    audit.record(actor, "evaluation.panels_draw", "evaluation_round", round_.id, seed=seed, panels=len(panels))
    return round_


@dataclass(frozen=True)
class PanelCheck:
    round: EvaluationRound
    matches: bool


def verify_panels(actor, round_id: int) -> PanelCheck:
    """Draw the panels again from the recorded seed and compare with what was recorded."""
    round_ = round_for_staff(actor, round_id)
    if round_.seed is None:
        raise NotFound(N_("本次评价尚未分组。"))
    panels = rules.form_panels([entry.id for entry in round_.entries], round_.panel_size, round_.seed)
    redrawn = [[p.number, list(p.members), list(p.evaluates)] for p in panels]
    return PanelCheck(round_, redrawn == round_.panels)


# --- sheets --------------------------------------------------------------------------------


def get_sheet(sheet_id: int) -> EvaluationSheet:
    return get_or_not_found(EvaluationSheet, sheet_id, SHEET_NOT_FOUND)


def require_evaluator(actor, sheet: EvaluationSheet) -> None:
    """An officer of the evaluating unit's own union: not the organiser above it, not the station."""
    require_role(actor, Role.UNION_OFFICER)
    if actor.union_id != sheet.evaluator.union_id:
        raise PermissionDenied(N_("评分表由参评验收单位本单位的经办人填写。"))


def sheet_for_evaluator(actor, sheet_id: int) -> EvaluationSheet:
    sheet = get_sheet(sheet_id)
    require_evaluator(actor, sheet)
    return sheet


@unit_of_work
def submit_sheet(actor, sheet_id: int, scores: dict[int, object], note: str = "",
                 *, now: datetime | None = None) -> EvaluationSheet:
    """Score every criterion (0–100) with notes; a sheet may be corrected until results are published."""
    now = now or clock.now()
    sheet = get_sheet(sheet_id)
    require_evaluator(actor, sheet)
    round_ = _round(sheet.round_id, lock=True)
    if round_.status != RoundStatus.SCORING:
        raise Conflict(N_("本次评价当前为“%(status)s”，不能再修改评分。"), code="round_not_scoring",
                       status=rules.ROUND_STATUS_LABELS[RoundStatus(round_.status)])
    checked = [(criterion, rules.check_score(scores.get(criterion.id), criterion.name))
               for criterion in round_.criteria]
    existing = {score.criterion_id: score for score in sheet.scores}
    for criterion, value in checked:
        if criterion.id in existing:
            existing[criterion.id].score = value
        else:
            sheet.scores.append(EvaluationScore(criterion=criterion, score=value))
    sheet.total = rules.weighted_total((value, criterion.weight) for criterion, value in checked)
    sheet.note = (note or "").strip()[:2000]
    SHEET.move(sheet, SheetAction.SUBMIT)
    sheet.submitted_at = now
    sheet.submitted_by_id = actor.id
    audit.record(actor, "evaluation.sheet_submit", "evaluation_sheet", sheet.id, total=str(sheet.total))
    return sheet


@unit_of_work
def publish_results(actor, round_id: int, *, now: datetime | None = None) -> EvaluationRound:
    """Combine the sheets into each station's result and publish; every sheet must be in."""
    now = now or clock.now()
    round_ = _round(round_id, lock=True)
    _require_organiser(actor, round_)
    pending = db.session.scalar(select(func.count()).select_from(EvaluationSheet).where(
        EvaluationSheet.round_id == round_.id, EvaluationSheet.status != SheetStatus.SUBMITTED))
    if round_.status == RoundStatus.SCORING and pending:
        raise Conflict(N_("还有%(count)s张评分表未提交，全部提交后才能发布结果。"), code="sheets_pending",
                       count=pending)
    ROUND.move(round_, RoundAction.PUBLISH)
    totals = defaultdict(list)
    for target_id, total in db.session.execute(select(EvaluationSheet.target_id, EvaluationSheet.total)
                                               .where(EvaluationSheet.round_id == round_.id)):
        totals[target_id].append(total)
    for entry in round_.entries:
        entry.total = rules.combined(totals[entry.id])
    round_.published_at = now
    audit.record(actor, "evaluation.publish", "evaluation_round", round_.id)
    return round_


MAX_PHOTOS = 6
PHOTO_NOT_FOUND = N_("找不到该照片。")


@unit_of_work
def upload_photo(actor, sheet_id: int, *, filename: str | None, data: bytes,
                 now: datetime | None = None) -> EvaluationPhoto:
    """A photo of the visit for a sheet, through the claims' checks: by content, size-limited,
    images re-encoded (EXIF and GPS dropped), stored under a random name; the same file twice is
    one photo."""
    now = now or clock.now()
    sheet = get_sheet(sheet_id)
    require_evaluator(actor, sheet)
    if _round(sheet.round_id).status != RoundStatus.SCORING:
        raise Conflict(N_("结果发布后不能再上传照片。"), code="round_not_scoring")
    stored = prepare_upload(data, current_app.config["UPLOAD_MAX_BYTES"])
    if stored.content_type == "application/pdf":
        raise InvalidInput(N_("请上传JPG或PNG照片。"), code="upload_type", field="file")
    digest = hashlib.sha256(stored.content).hexdigest()
    existing = next((photo for photo in sheet.photos if photo.sha256 == digest), None)
    if existing is not None:
        return existing
    if len(sheet.photos) >= MAX_PHOTOS:
        raise InvalidInput(N_("每张评分表最多%(max)s张照片。"), code="too_many_photos", field="file", max=MAX_PHOTOS)
    token = secrets.token_hex(16)
    stored_name = f"evaluation/{token[:2]}/{token}.{EXTENSIONS[stored.content_type]}"
    path = _upload_root() / stored_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(stored.content)
    on_rollback(functools.partial(path.unlink, missing_ok=True))
    name = "".join(ch for ch in Path((filename or "").replace("\\", "/")).name if ch.isprintable())[:120]
    photo = EvaluationPhoto(sheet=sheet, original_name=name or "photo", stored_name=stored_name,
                            content_type=stored.content_type, size_bytes=len(stored.content), sha256=digest,
                            uploaded_by_id=actor.id, created_at=now)
    db.session.add(photo)
    db.session.flush()
    audit.record(actor, "evaluation.photo_upload", "evaluation_sheet", sheet.id, size=len(stored.content))
    return photo


def _upload_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


@unit_of_work
def open_photo(actor, photo_id: int) -> tuple[EvaluationPhoto, Path]:
    """A photo for the evaluating unit or the round's organisers; every view is audited."""
    photo = get_or_not_found(EvaluationPhoto, photo_id, PHOTO_NOT_FOUND)
    sheet = photo.sheet
    if not (getattr(actor, "role", None) == Role.UNION_OFFICER and actor.union_id == sheet.evaluator.union_id):
        round_for_staff(actor, sheet.round_id)
    audit.record(actor, "evaluation.photo_view", "evaluation_photo", photo.id, sheet_id=sheet.id)
    return photo, _upload_root() / photo.stored_name


# --- reading -------------------------------------------------------------------------------


def rounds_for(actor) -> list[EvaluationRound]:
    require_role(actor, *VIEWER_ROLES)
    stmt = union_scope(select(EvaluationRound), actor, EvaluationRound.union_id)
    return list(db.session.scalars(stmt.order_by(EvaluationRound.year.desc(), EvaluationRound.id.desc())))


def round_for_staff(actor, round_id: int) -> EvaluationRound:
    require_role(actor, *VIEWER_ROLES)
    round_ = _round(round_id)
    require_union_in_scope(actor, round_.union)
    return round_


def my_sheets(actor) -> list[EvaluationSheet]:
    """The sheets the officer's own unit fills, in rounds being scored."""
    if getattr(actor, "role", None) != Role.UNION_OFFICER or actor.union_id is None:
        return []
    return list(db.session.scalars(
        select(EvaluationSheet).join(EvaluationEntry, EvaluationSheet.evaluator_id == EvaluationEntry.id)
        .join(EvaluationRound, EvaluationSheet.round_id == EvaluationRound.id)
        .where(EvaluationEntry.union_id == actor.union_id, EvaluationRound.status == RoundStatus.SCORING)
        .options(selectinload(EvaluationSheet.target).selectinload(EvaluationEntry.station))
        .order_by(EvaluationSheet.id)))


def my_results(actor) -> list[EvaluationEntry]:
    """Published results of the stations in the officer's scope (a station reads its own)."""
    require_role(actor, *VIEWER_ROLES)
    stmt = union_scope(select(EvaluationEntry), actor, EvaluationEntry.union_id)
    return list(db.session.scalars(
        stmt.join(EvaluationRound, EvaluationEntry.round_id == EvaluationRound.id)
        .where(EvaluationRound.status == RoundStatus.PUBLISHED)
        .options(selectinload(EvaluationEntry.station), selectinload(EvaluationEntry.round))
        .order_by(EvaluationRound.year.desc(), EvaluationEntry.id)))


def result_for_station(actor, entry_id: int) -> StationResult:
    """A station's published result for its own union (and the unions above): the combined score,
    each criterion's mean and the panel's notes, without saying which unit wrote which note."""
    require_role(actor, *VIEWER_ROLES)
    entry = get_or_not_found(EvaluationEntry, entry_id, ROUND_NOT_FOUND)
    require_union_in_scope(actor, entry.union)
    if entry.round.status != RoundStatus.PUBLISHED:
        raise NotFound(N_("评价结果尚未发布。"))
    return next(row for row in results(entry.round) if row.entry.id == entry.id)


@dataclass
class StationResult:
    entry: EvaluationEntry
    by_criterion: dict[int, float]  # criterion id → mean score
    sheets: list[EvaluationSheet]


def results(round_: EvaluationRound) -> list[StationResult]:
    """Each station's sheets and per-criterion means, best total first."""
    sheets = list(db.session.scalars(select(EvaluationSheet).where(EvaluationSheet.round_id == round_.id)
                                     .options(selectinload(EvaluationSheet.scores),
                                              selectinload(EvaluationSheet.evaluator)
                                              .selectinload(EvaluationEntry.station))))
    by_target = defaultdict(list)
    for sheet in sheets:
        by_target[sheet.target_id].append(sheet)
    rows = []
    for entry in round_.entries:
        per = defaultdict(list)
        for sheet in by_target[entry.id]:
            for score in sheet.scores:
                per[score.criterion_id].append(score.score)
        rows.append(StationResult(entry, {cid: sum(v) / len(v) for cid, v in per.items()}, by_target[entry.id]))
    rows.sort(key=lambda row: (row.entry.total is None, -(row.entry.total or 0), row.entry.station.code))
    return rows


def progress(round_: EvaluationRound) -> tuple[int, int]:
    rows = dict(db.session.execute(select(EvaluationSheet.status, func.count())
                                   .where(EvaluationSheet.round_id == round_.id)
                                   .group_by(EvaluationSheet.status)).all())
    return rows.get(SheetStatus.SUBMITTED, 0), sum(rows.values())


@unit_of_work
def export_results(actor, round_id: int) -> tuple[list[str], list[list[object]]]:
    """The published results as spreadsheet rows with Chinese headers (each export is audited)."""
    round_ = round_for_staff(actor, round_id)
    if round_.status != RoundStatus.PUBLISHED:
        raise Conflict(N_("结果发布后才能导出。"), code="round_not_published")
    criteria = round_.criteria
    headers = ["排名", "服务站", "所属工会", "验收小组", "评分单位数",
               *[f"{c.name}（权重{c.weight}）" for c in criteria], "综合得分", "等级"]
    rows = []
    for rank, row in enumerate(results(round_), start=1):
        entry = row.entry
        rows.append([rank, entry.station.name, entry.union.name, entry.panel_number, len(row.sheets),
                     *[round(row.by_criterion.get(c.id, 0), 1) for c in criteria],
                     float(entry.total) if entry.total is not None else None, rules.grade(entry.total)])
    audit.record(actor, "evaluation.export", "evaluation_round", round_.id)
    return headers, rows
