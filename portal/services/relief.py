"""Heat relief (送清凉): the city or a district declares a season; union officers confirm the
hardship families of their unions it pays (each family once a year, whichever level pays); the
payout file goes to finance; cool-down packs handed out are recorded per family or per station.

Scope: a season's families are those of the paying union's subtree; an officer sees and confirms
the ones in its own subtree too. Every confirmation and every payout file is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload

from portal import clock
from portal.domain import relief as rules
from portal.domain.errors import InvalidInput, NotFound, PermissionDenied
from portal.domain.hardship import ACTIVE_STATUSES
from portal.domain.i18n import N_
from portal.domain.money import format_amount, yuan_to_fen
from portal.domain.relief import SEASON, SeasonAction, SeasonStatus
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import CoolingPackHandout, HardshipFamily, HeatSeason, HeatSubsidy, Station, Union
from portal.services import audit
from portal.services.access import require_role, require_union_in_scope, scope_union
from portal.services.records import get_or_not_found
from portal.services.stations import federation
from portal.services.unit_of_work import unit_of_work

STAFF_ROLES = (Role.UNION_OFFICER, Role.ADMIN)
SEASON_NOT_FOUND = N_("找不到该补助季。")


@dataclass
class SeasonInput:
    name: str
    starts_on: date | None
    ends_on: date | None
    amount_yuan: str
    levels: list[str] = field(default_factory=list)


def _paying_union(actor) -> Union:
    union = scope_union(actor)
    return federation() if union is None else union


@unit_of_work
def declare_season(actor, data: SeasonInput) -> HeatSeason:
    """The federation (administrators) declares the city's season, a district union its own."""
    require_role(actor, *STAFF_ROLES)
    union = _paying_union(actor)
    paying = rules.paying_level_for(None if scope_union(actor) is None else union.kind)
    name = (data.name or "").strip()[:120]
    if not name:
        raise InvalidInput(N_("请填写补助季名称。"), field="name")
    year = rules.check_season_dates(data.starts_on, data.ends_on)
    try:
        amount = rules.check_amount(yuan_to_fen(data.amount_yuan))
    except InvalidInput as error:
        error.field = "amount"
        raise
    levels = rules.check_levels(data.levels, paying)
    season = HeatSeason(name=name, year=year, starts_on=data.starts_on, ends_on=data.ends_on, amount_fen=amount,
                        paying_level=paying, paying_union=union, levels=",".join(levels), status=SEASON.initial,
                        created_by_label=audit.actor_label(actor)[:80])
    db.session.add(season)
    db.session.flush()
    audit.record(actor, "relief.season_declare", "heat_season", season.id, year=year, amount_fen=amount,
                 paying_level=paying, levels=season.levels)
    return season


def _visible(actor, season: HeatSeason) -> bool:
    """An officer sees the seasons paid above it (the city's, its district's) and those inside its scope."""
    scope = scope_union(actor)
    return scope is None or season.paying_union.contains(scope) or scope.contains(season.paying_union)


def seasons_for_staff(actor) -> list[HeatSeason]:
    require_role(actor, *STAFF_ROLES)
    seasons = db.session.scalars(select(HeatSeason).options(joinedload(HeatSeason.paying_union))
                                 .order_by(HeatSeason.year.desc(), HeatSeason.id.desc()))
    return [season for season in seasons if _visible(actor, season)]


def season_for_staff(actor, season_id: int) -> HeatSeason:
    require_role(actor, *STAFF_ROLES)
    season = get_or_not_found(HeatSeason, season_id, SEASON_NOT_FOUND)
    if not _visible(actor, season):
        raise NotFound(SEASON_NOT_FOUND)
    return season


def _families_stmt(actor, season: HeatSeason):
    """The season's eligible families the actor sees: on the register now, at a covered level, kept
    by a union in both the paying union's subtree and the actor's."""
    stmt = (select(HardshipFamily).join(Union, Union.id == HardshipFamily.union_id)
            .where(HardshipFamily.status.in_(ACTIVE_STATUSES), HardshipFamily.level.in_(season.level_list),
                   Union.path.startswith(season.paying_union.path)))
    scope = scope_union(actor)
    if scope is not None:
        stmt = stmt.where(Union.path.startswith(scope.path))
    return stmt


@dataclass(frozen=True)
class FamilyRow:
    family: HardshipFamily
    subsidy: HeatSubsidy | None  # this year's, whichever season paid it
    season_id: int

    @property
    def paid_here(self) -> bool:
        return self.subsidy is not None and self.subsidy.season_id == self.season_id


@dataclass
class SeasonView:
    season: HeatSeason
    rows: list[FamilyRow]
    total: int  # eligible families in the actor's scope
    confirmed: int  # of those, paid by this season
    paid_elsewhere: int  # of those, paid this year by another season
    amount_fen: int  # this season's confirmed total in scope
    packs_to_families: int
    packs_at_stations: int


def season_view(actor, season_id: int, *, page: int = 1, per_page: int = 100) -> SeasonView:
    season = season_for_staff(actor, season_id)
    families = _families_stmt(actor, season).subquery()
    this_year = and_(HeatSubsidy.family_id == families.c.id, HeatSubsidy.year == season.year)
    total = db.session.scalar(select(func.count()).select_from(families)) or 0
    by_season = dict(db.session.execute(
        select(HeatSubsidy.season_id, func.count()).join(families, this_year).group_by(HeatSubsidy.season_id)).all())
    here = by_season.pop(season.id, 0)
    stmt = (_families_stmt(actor, season).options(joinedload(HardshipFamily.member), joinedload(HardshipFamily.union))
            .order_by(HardshipFamily.union_id, HardshipFamily.id).limit(per_page).offset((page - 1) * per_page))
    found = list(db.session.scalars(stmt))
    subsidies = {s.family_id: s for s in db.session.scalars(
        select(HeatSubsidy).where(HeatSubsidy.year == season.year,
                                  HeatSubsidy.family_id.in_([f.id for f in found])))} if found else {}
    amount = db.session.scalar(select(func.coalesce(func.sum(HeatSubsidy.amount_fen), 0))
                               .join(families, this_year).where(HeatSubsidy.season_id == season.id)) or 0
    packs = _pack_totals(actor, season)
    return SeasonView(season=season, rows=[FamilyRow(f, subsidies.get(f.id), season.id) for f in found], total=total,
                      confirmed=here, paid_elsewhere=sum(by_season.values()), amount_fen=amount,
                      packs_to_families=packs[0], packs_at_stations=packs[1])


@unit_of_work
def confirm_families(actor, season_id: int, family_ids: list[int], *, today: date | None = None) -> list[HeatSubsidy]:
    """An officer confirms the season's list for its unions: each family ticked is paid once.

    All or nothing: a family already paid this year (by this season or another level's, perhaps a
    moment ago by someone else) refuses the confirmation with the reason, and the officer confirms
    the list again as it now stands. The UNIQUE (year, family) key turns a simultaneous second
    confirmation into the same refusal.
    """
    require_role(actor, *STAFF_ROLES)
    today = today or clock.today()
    season = get_or_not_found(HeatSeason, season_id, SEASON_NOT_FOUND, for_update=True)
    if not _visible(actor, season):
        raise NotFound(SEASON_NOT_FOUND)
    if season.status != SeasonStatus.OPEN:
        raise InvalidInput(N_("本补助季已结束，不能再确认名单。"))
    ids = sorted({int(family_id) for family_id in family_ids})
    if not ids:
        raise InvalidInput(N_("请勾选要确认的家庭。"), field="family_ids")
    paid = dict(db.session.execute(select(HeatSubsidy.family_id, HeatSubsidy.paying_level)
                                   .where(HeatSubsidy.year == season.year, HeatSubsidy.family_id.in_(ids))).all())
    label = audit.actor_label(actor)[:80]
    families = {family.id: family for family in db.session.scalars(
        select(HardshipFamily).where(HardshipFamily.id.in_(ids))
        .options(joinedload(HardshipFamily.union), joinedload(HardshipFamily.member)))}
    created = []
    for family_id in ids:
        family = families.get(family_id)
        if family is None:
            raise NotFound(N_("找不到该建档记录。"))
        require_union_in_scope(actor, family.union)
        if not season.paying_union.contains(family.union):
            raise PermissionDenied(N_("该家庭不在本次补助的发放范围内。"))
        if not family.is_active:
            raise InvalidInput(N_("%(name)s 家庭已退出建档，不能发放补助。"), name=family.member.masked_name)
        rules.check_covered(family.level, season.level_list)
        rules.check_not_paid(paid.get(family_id), season.year)
        subsidy = HeatSubsidy(season=season, family=family, year=season.year, paying_level=season.paying_level,
                              union_id=family.union_id, amount_fen=season.amount_fen, confirmed_by_label=label)
        db.session.add(subsidy)
        created.append(subsidy)
    db.session.flush()
    audit.record(actor, "relief.confirm", "heat_season", season.id, families=len(created),
                 amount_fen=season.amount_fen * len(created))
    return created


@unit_of_work
def close_season(actor, season_id: int) -> HeatSeason:
    """The paying union ends the season: no more confirmations."""
    season = season_for_staff(actor, season_id)
    scope = scope_union(actor)
    if scope is not None and scope.id != season.paying_union_id:
        raise PermissionDenied(N_("只有发布本补助季的工会可以结束发放。"))
    SEASON.move(season, SeasonAction.CLOSE)
    audit.record(actor, "relief.season_close", "heat_season", season.id)
    return season


PAYOUT_HEADERS = ["序号", "姓名", "身份证号", "所属工会", "建档级别", "补助金额（元）", "发放级别", "确认人",
                  "确认时间"]


@unit_of_work
def payout_file(actor, season_id: int) -> bytes:
    """The season's confirmed subsidies in the actor's scope as an .xlsx for finance.

    Administrators (the federation's finance) get ID numbers in full, which the bank transfer
    needs; union officers get them masked. Every download is audited.
    """
    from portal.integrations.spreadsheets import write_xlsx
    from portal.templating import local_time

    season = season_for_staff(actor, season_id)
    full = scope_union(actor) is None
    stmt = (select(HeatSubsidy).where(HeatSubsidy.season_id == season.id)
            .options(joinedload(HeatSubsidy.family).joinedload(HardshipFamily.member), joinedload(HeatSubsidy.union))
            .order_by(HeatSubsidy.union_id, HeatSubsidy.id))
    scope = scope_union(actor)
    if scope is not None:
        stmt = stmt.where(HeatSubsidy.union_id.in_(scope.subtree_ids()))
    rows = []
    for number, subsidy in enumerate(db.session.scalars(stmt), start=1):
        member = subsidy.family.member
        rows.append([number, member.name, member.id_number if full else member.masked_id_number, subsidy.union.name,
                     str(subsidy.family.level_label), format_amount(subsidy.amount_fen),
                     str(subsidy.paying_level_label), subsidy.confirmed_by_label, local_time(subsidy.confirmed_at)])
    content = write_xlsx(PAYOUT_HEADERS, rows, sheet="送清凉补助发放名单", text_columns=(2, 5))
    audit.record(actor, "relief.payout_export", "heat_season", season.id, rows=len(rows), full_id_numbers=full)
    return content


# ---------------------------------------------------------------- cool-down packs

@unit_of_work
def record_packs(actor, season_id: int, *, count: int | None, handed_on: date | None, family_id: int | None = None,
                 station_id: int | None = None, note: str = "", today: date | None = None) -> CoolingPackHandout:
    """Packs handed to one family, or out at one station (to whoever came by), in the season."""
    require_role(actor, *STAFF_ROLES)
    today = today or clock.today()
    season = season_for_staff(actor, season_id)
    count = rules.check_pack_count(count)
    if handed_on is None or handed_on > today:
        raise InvalidInput(N_("请填写发放日期（不能晚于今天）。"), field="handed_on")
    if (family_id is None) == (station_id is None):
        raise InvalidInput(N_("请选择发放到的家庭或站点（二选一）。"), field="station_id")
    if family_id is not None:
        family = get_or_not_found(HardshipFamily, family_id, N_("找不到该建档记录。"))
        union, station = family.union, None
    else:
        station = get_or_not_found(Station, station_id, N_("找不到该服务站点。"))
        union, family = station.union, None
    require_union_in_scope(actor, union)
    handout = CoolingPackHandout(season=season, family=family, station=station, union_id=union.id, count=count,
                                 handed_on=handed_on, note=(note or "").strip()[:200] or None,
                                 recorded_by_label=audit.actor_label(actor)[:80])
    db.session.add(handout)
    db.session.flush()
    audit.record(actor, "relief.packs", "heat_season", season.id, count=count, family=family_id, station=station_id)
    return handout


def _pack_scope(actor, stmt):
    scope = scope_union(actor)
    return stmt if scope is None else stmt.where(CoolingPackHandout.union_id.in_(scope.subtree_ids()))


def _pack_totals(actor, season: HeatSeason) -> tuple[int, int]:
    stmt = _pack_scope(actor, select(CoolingPackHandout.family_id.is_(None), func.sum(CoolingPackHandout.count))
                       .where(CoolingPackHandout.season_id == season.id)
                       .group_by(CoolingPackHandout.family_id.is_(None)))
    totals = dict(db.session.execute(stmt).all())
    return int(totals.get(False) or 0), int(totals.get(True) or 0)


def pack_handouts(actor, season_id: int, limit: int = 50) -> list[CoolingPackHandout]:
    season = season_for_staff(actor, season_id)
    stmt = _pack_scope(actor, select(CoolingPackHandout).where(CoolingPackHandout.season_id == season.id)
                       .options(joinedload(CoolingPackHandout.family).joinedload(HardshipFamily.member),
                                joinedload(CoolingPackHandout.station))
                       .order_by(CoolingPackHandout.handed_on.desc(), CoolingPackHandout.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def stations_for_packs(actor) -> list[Station]:
    from portal.services.stations import stations_in_scope

    return [station for station in stations_in_scope(actor) if not station.needs_completion]

