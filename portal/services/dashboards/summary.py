"""The dashboard's summary of the enrolments and claims: a few aggregates per union, so that the
federation's figures read a hundred summary rows instead of every enrolment and claim on every request.

Why a snapshot: at city scale (600,000 enrolments) each enrolment figure made PostgreSQL read most
of the table (``bench/NOTES.md``); no index helps a count over the whole city. The summary is
recomputed as a whole, in one transaction, by ``refresh``:

- by the task queue a minute after a change to an enrolment or a claim (``schedule_refresh``,
  debounced: one refresh for a burst of changes) and every five minutes (the queue's periodic job);
- in the request itself when there is no snapshot yet or it is older than
  ``DASHBOARD_SUMMARY_MAX_AGE`` seconds (a consumer that stopped), so staleness is bounded.

The page shows when the snapshot was taken ("数据截至 HH:MM"). Nothing is kept in a process's
memory: several web workers read the same rows. What a figure counts is exactly what the live
queries of ``queries`` count; ``tests/services/test_dashboard_summary.py`` compares the two.

The figures (``DashboardCount.figure``) and the keys each row fills:

- ``cover``: confirmed covers by union, plan year, channel and campaign;
- ``started``: confirmed covers by union and the month their cover starts (the trend);
- ``taken``: gifted covers not cancelled, by union, plan year and campaign (campaign uptake);
- ``granted``: claims granted on gifted covers, by the claim's union, the cover's plan year, campaign;
- ``people``: members whose confirmed covers are all kept by one union, per union;
- ``mover``: a member covered through several unions, one row per (union, member): counting the
  distinct members of a union subtree is then exact without reading the enrolments;
- ``filed``: claims filed, by union, the month (China's time) they were submitted and their status;
- ``paid`` and ``paid_fen``: claims paid and the amount, by union and the month they were paid;
- ``to_decision`` and ``to_payment``: the median days from filing, per year (China's time; None: all
  years), citywide only: a median cannot be added up, so a union's subtree asks the claims live.

Each figure is also kept added up over the whole city (``citywide`` rows, ``people`` then counting
the movers once): the federation's dashboard, the one that read the whole city, reads those.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain
from typing import NamedTuple

from flask import current_app, has_app_context
from sqlalchemy import case, delete, distinct, event, func, insert, literal, null, select, update
from sqlalchemy.orm import Session

from portal import clock
from portal.domain.claims import ClaimStatus
from portal.domain.dashboards import CONFIRMED_COVER, GRANTED, Period
from portal.domain.enrollment import EnrollmentStatus
from portal.domain.errors import Conflict
from portal.extensions import db
from portal.models import Claim, DashboardCount, DashboardSnapshot, Enrollment, RosterImport
from portal.services.dashboards.sql import month_of
from portal.services.unit_of_work import savepoint, transaction

COVER, STARTED, TAKEN, GRANTED_CLAIMS, PEOPLE, MOVER = "cover", "started", "taken", "granted", "people", "mover"
FILED, PAID, PAID_FEN, TO_DECISION, TO_PAYMENT = "filed", "paid", "paid_fen", "to_decision", "to_payment"
SNAPSHOT_ID = 1
DEBOUNCE_SECONDS = 60  # one refresh for the changes of the minute after the first one
DUE_KEY = "dashboard-summary-refresh-due"  # set while a debounced refresh waits in the queue


# --------------------------------------------------------------------------- computing it


def _aggregates() -> list[tuple[list[str], object]]:
    """Each figure as (the summary columns it fills, the grouped SELECT that fills them)."""
    e = Enrollment
    confirmed = e.status.in_(CONFIRMED_COVER)
    cover = select(literal(COVER), e.union_id, e.plan_year, e.channel, e.campaign_id, func.count(e.id)) \
        .where(confirmed).group_by(e.union_id, e.plan_year, e.channel, e.campaign_id)
    month = month_of(e.starts_on, local=False)
    started = select(literal(STARTED), e.union_id, month, func.count(e.id)) \
        .where(confirmed, e.starts_on.is_not(None)).group_by(e.union_id, month)
    taken = select(literal(TAKEN), e.union_id, e.plan_year, e.campaign_id, func.count(e.id)) \
        .where(e.campaign_id.is_not(None), e.status != EnrollmentStatus.CANCELLED) \
        .group_by(e.union_id, e.plan_year, e.campaign_id)
    granted = select(literal(GRANTED_CLAIMS), Claim.union_id, e.plan_year, e.campaign_id, func.count(Claim.id)) \
        .join(e, e.id == Claim.enrollment_id) \
        .where(e.campaign_id.is_not(None), Claim.status.in_(GRANTED)) \
        .group_by(Claim.union_id, e.plan_year, e.campaign_id)
    # Each covered member's unions (no union counts as one of them: -1 stands for it here).
    union_key = func.coalesce(e.union_id, -1)
    per_member = select(e.member_id.label("member_id"), func.count(distinct(union_key)).label("unions"),
                        func.min(union_key).label("union_key")).where(confirmed).group_by(e.member_id).subquery()
    single_union = case((per_member.c.union_key == -1, null()), else_=per_member.c.union_key)
    people = select(literal(PEOPLE), single_union, func.count()).where(per_member.c.unions == 1) \
        .group_by(single_union)
    movers = select(literal(MOVER), e.union_id, e.member_id, literal(1)).where(
        confirmed, e.member_id.in_(select(per_member.c.member_id).where(per_member.c.unions > 1))) \
        .group_by(e.union_id, e.member_id)
    submitted = month_of(Claim.submitted_at)
    filed = select(literal(FILED), Claim.union_id, submitted, Claim.status, func.count(Claim.id)) \
        .where(Claim.status != ClaimStatus.DRAFT, Claim.submitted_at.is_not(None)) \
        .group_by(Claim.union_id, submitted, Claim.status)
    paid_month = month_of(Claim.paid_at)
    was_paid = (Claim.status == ClaimStatus.PAID, Claim.paid_at.is_not(None))
    paid = select(literal(PAID), Claim.union_id, paid_month, func.count(Claim.id)).where(*was_paid) \
        .group_by(Claim.union_id, paid_month)
    paid_fen = select(literal(PAID_FEN), Claim.union_id, paid_month, func.coalesce(func.sum(Claim.approved_fen), 0)) \
        .where(*was_paid).group_by(Claim.union_id, paid_month)
    return [
        (["figure", "union_id", "month", "status", "value"], filed),
        (["figure", "union_id", "month", "value"], paid),
        (["figure", "union_id", "month", "value"], paid_fen),
        (["figure", "union_id", "year", "channel", "campaign_id", "value"], cover),
        (["figure", "union_id", "month", "value"], started),
        (["figure", "union_id", "year", "campaign_id", "value"], taken),
        (["figure", "union_id", "year", "campaign_id", "value"], granted),
        (["figure", "union_id", "value"], people),
        (["figure", "union_id", "member_id", "value"], movers),
    ]


def _citywide() -> list[tuple[list[str], object]]:
    """The citywide rows, added up from the unions' rows just inserted."""
    c = DashboardCount
    keys = (c.figure, c.year, c.month, c.channel, c.campaign_id, c.status)
    per_union = ~c.citywide
    sums = select(*keys, func.sum(c.value), literal(True)).where(per_union, c.figure.not_in((PEOPLE, MOVER))) \
        .group_by(*keys)
    single = select(func.coalesce(func.sum(c.value), 0)).where(per_union, c.figure == PEOPLE).scalar_subquery()
    movers = select(func.count(distinct(c.member_id))).where(per_union, c.figure == MOVER).scalar_subquery()
    people = select(literal(PEOPLE), single + movers, literal(True))
    return [(["figure", "year", "month", "channel", "campaign_id", "status", "value"], sums),
            (["figure", "value"], people)]


def _citywide_medians() -> list[dict]:
    """The median days to decision and to payment of the whole city, for every year a claim was
    decided or paid in, and for all years: the live queries' own answers (``queries.claim_medians``)."""
    from portal.services.dashboards import queries  # imported late: queries reads this module

    years = {None}
    for moment in (Claim.decided_at, Claim.paid_at):
        months = db.session.scalars(select(month_of(moment)).where(moment.is_not(None)).distinct())
        years.update(int(month[:4]) for month in months)
    everyone = queries.Scope(union=None, union_ids=None)
    rows = []
    for year in sorted(years, key=lambda year: year or 0):
        to_decision, to_payment = queries.claim_medians(everyone, Period(year))
        rows += [{"figure": TO_DECISION, "year": year, "days": to_decision, "value": 0, "citywide": True},
                 {"figure": TO_PAYMENT, "year": year, "days": to_payment, "value": 0, "citywide": True}]
    return rows


def refresh(*, unless_taken_after: datetime | None = None) -> datetime:
    """Recompute the whole summary in one transaction and return when it was taken.

    With ``unless_taken_after``, a snapshot taken after that moment is kept as it is (another
    worker refreshed it while this one waited for the lock): a burst of requests or of queued
    refreshes computes it once.
    """
    with transaction() as session:
        taken_at = _lock_snapshot(session)
        if unless_taken_after is not None and taken_at is not None and taken_at > unless_taken_after:
            return taken_at
        # Taken before the statements that read the records start: the figures are at least this
        # recent. (Under READ COMMITTED a commit landing between two of them shows in the later ones
        # only; that commit scheduled its own refresh, which settles it.)
        now = clock.now()
        session.execute(delete(DashboardCount))
        for columns, aggregate in _aggregates():
            session.execute(insert(DashboardCount).from_select(
                [*columns, "citywide"], aggregate.add_columns(literal(False))))
        for columns, aggregate in _citywide():
            session.execute(insert(DashboardCount).from_select([*columns, "citywide"], aggregate))
        session.execute(insert(DashboardCount), _citywide_medians())
        session.execute(update(DashboardSnapshot).where(DashboardSnapshot.id == SNAPSHOT_ID).values(taken_at=now))
    return now


def _lock_snapshot(session: Session) -> datetime | None:
    """Take the snapshot row's write lock (PostgreSQL: the row; SQLite: the database) before reading
    it, so that refreshes run one after the other; the row is created on the first refresh."""
    lock = update(DashboardSnapshot).where(DashboardSnapshot.id == SNAPSHOT_ID).values(id=SNAPSHOT_ID)
    if not session.execute(lock).rowcount:
        try:
            with savepoint():
                session.add(DashboardSnapshot(id=SNAPSHOT_ID, taken_at=None))
        except Conflict:  # two first refreshes at once: wait for the other one's row
            session.execute(lock)
    return session.scalar(select(DashboardSnapshot.taken_at).where(DashboardSnapshot.id == SNAPSHOT_ID))


def taken_at() -> datetime | None:
    return db.session.scalar(select(DashboardSnapshot.taken_at).where(DashboardSnapshot.id == SNAPSHOT_ID))


# --------------------------------------------------------------------------- reading it


class Row(NamedTuple):
    figure: str
    year: int | None
    month: str | None
    channel: str | None
    campaign_id: int | None
    status: str | None
    value: int
    members: int  # distinct members (``mover`` rows)
    days: float | None  # a median


def _in_year(month: str | None, period: Period) -> bool:
    return period.year is None or (month is not None and month.startswith(f"{period.year:04d}-"))


@dataclass(frozen=True)
class Summary:
    """The summary rows of one scope, added up over its unions (one query: one consistent state)."""

    taken_at: datetime
    citywide: bool
    rows: list[Row]

    def _of(self, figure: str, period: Period | None = None):
        """Rows of ``figure`` (of the period's plan year, for the figures keyed by one)."""
        for row in self.rows:
            if row.figure == figure and (period is None or period.year is None or row.year == period.year):
                yield row

    def enrolment_figures(self, period: Period) -> dict:
        """What ``queries.enrolment_figures`` answers, from the summary."""
        by_year, by_channel, gifted = defaultdict(int), defaultdict(int), 0
        for row in self._of(COVER, period):
            by_year[row.year] += row.value
            by_channel[row.channel] += row.value
            gifted += row.value if row.campaign_id is not None else 0
        if len(by_year) <= 1:  # one plan year (or none): one cover per member in it
            people = sum(by_year.values())
        else:
            people = sum(row.value for row in self._of(PEOPLE)) + sum(row.members for row in self._of(MOVER))
        years = sorted(by_year)
        channels = sorted(by_channel, key=lambda channel: (-by_channel[channel], channel))
        return {
            "enrolments": sum(by_year.values()), "people": people, "gifted": gifted,
            "by_year": [{"year": year, "enrolments": by_year[year], "people": by_year[year]} for year in years],
            "by_channel": [{"channel": channel, "enrolments": by_channel[channel]} for channel in channels],
        }

    def per_campaign(self, figure: str, period: Period) -> dict[int, int]:
        """Gifted covers taken (``TAKEN``) or claims granted on them (``GRANTED_CLAIMS``) per campaign."""
        counts = defaultdict(int)
        for row in self._of(figure, period):
            counts[row.campaign_id] += row.value
        return dict(counts)

    def started_by_month(self, first: str, last: str) -> dict[str, int]:
        """Confirmed covers starting in each month from ``first`` to ``last`` ('YYYY-MM')."""
        return {row.month: row.value for row in self._of(STARTED) if first <= row.month <= last}

    def claims_by_status(self, period: Period) -> dict[str, int]:
        """Claims filed in the period (China's time), by status."""
        counts = defaultdict(int)
        for row in self._of(FILED):
            if _in_year(row.month, period):
                counts[row.status] += row.value
        return dict(counts)

    def paid(self, period: Period) -> tuple[int, int]:
        """Claims paid in the period (China's time) and the amount paid, in fen."""
        return (sum(row.value for row in self._of(PAID) if _in_year(row.month, period)),
                sum(row.value for row in self._of(PAID_FEN) if _in_year(row.month, period)))

    def medians(self, period: Period) -> tuple[float | None, float | None] | None:
        """The citywide median days to decision and to payment in the period; None when these rows
        are not the whole city's (a subtree's medians are asked live)."""
        if not self.citywide:
            return None
        found = {row.figure: row.days for row in self.rows
                 if row.figure in (TO_DECISION, TO_PAYMENT) and row.year == period.year}
        return found.get(TO_DECISION), found.get(TO_PAYMENT)

    def claims_by_month(self, first: str, last: str) -> tuple[dict[str, int], dict[str, tuple[int, int]]]:
        """Claims filed per month, and claims paid with the amount per month, from ``first`` to ``last``."""
        filed, paid = defaultdict(int), defaultdict(lambda: [0, 0])
        for row in self.rows:
            if row.month is None or not first <= row.month <= last:
                continue
            if row.figure == FILED:
                filed[row.month] += row.value
            elif row.figure in (PAID, PAID_FEN):
                paid[row.month][row.figure == PAID_FEN] += row.value
        return dict(filed), {month: tuple(values) for month, values in paid.items()}


def read(scope, *, max_age: timedelta | None = None) -> Summary:
    """The summary of ``scope`` (``queries.Scope``), refreshed first when there is none yet or it is
    older than ``max_age`` (the setting ``DASHBOARD_SUMMARY_MAX_AGE`` by default)."""
    if max_age is None:
        max_age = timedelta(seconds=current_app.config["DASHBOARD_SUMMARY_MAX_AGE"])
    now = clock.now()
    taken = taken_at()
    if taken is None or now - taken >= max_age:
        taken = refresh(unless_taken_after=now - max_age)
    c = DashboardCount
    keys = (c.figure, c.year, c.month, c.channel, c.campaign_id, c.status)
    stmt = select(*keys, func.sum(c.value), func.count(distinct(c.member_id)), func.max(c.days)).group_by(*keys)
    citywide = scope.union_ids is None
    if citywide:  # the whole federation: its own rows
        stmt = stmt.where(c.citywide)
    else:
        stmt = scope.where(stmt.where(~c.citywide), c.union_id)
    rows = [Row(*row[:6], int(row[6] or 0), int(row[7] or 0), row[8]) for row in db.session.execute(stmt)]
    return Summary(taken_at=taken, citywide=citywide, rows=rows)


# --------------------------------------------------------------------------- keeping it fresh


def schedule_refresh() -> None:
    """A refresh in ``DEBOUNCE_SECONDS``, unless one is already waiting (``DUE_KEY``)."""
    queue = current_app.extensions.get("task_queue")
    if queue is None or queue.peek(DUE_KEY):
        return
    requested = clock.now()
    queue.put(DUE_KEY, requested.isoformat())
    queue.schedule("refresh_dashboard_summary", DEBOUNCE_SECONDS, requested.isoformat())


def refresh_requested(requested_at: str | None = None) -> datetime:
    """The queued refresh: it lets the next change schedule another, then refreshes unless a
    snapshot newer than the request was taken meanwhile."""
    queue = current_app.extensions.get("task_queue")
    if queue is not None:
        queue.take(DUE_KEY)
    return refresh(unless_taken_after=datetime.fromisoformat(requested_at) if requested_at else None)


_CHANGED = "dashboard_summary_changed"
# A roster import writes its members and covers through the driver, unseen by the session; its
# own row changes in the same transaction, so it stands for them.
SUMMARISED = (Enrollment, Claim, RosterImport)


def _note_changes(session: Session, _flush_context) -> None:
    if not session.info.get(_CHANGED) and any(
            isinstance(item, SUMMARISED) for item in chain(session.new, session.dirty, session.deleted)):
        session.info[_CHANGED] = True


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a released savepoint: the change is not committed yet
        return
    if session.info.pop(_CHANGED, False) and has_app_context():
        try:
            schedule_refresh()
        except Exception:  # noqa: BLE001 - the change is committed; the five-minute refresh catches up
            current_app.logger.exception("could not schedule the dashboard summary's refresh")


def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def init_app(app) -> None:
    """Listen for flushed enrolments and claims (once, whatever the number of apps)."""
    for name, listener in (("after_flush", _note_changes), ("after_commit", _after_commit),
                           ("after_rollback", _after_rollback)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
