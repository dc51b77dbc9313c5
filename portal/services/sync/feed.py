"""The change feed: ``record_change`` (the hook areas call where a record kiosks show changes, in
the transaction of that change) and ``pull`` (what a kiosk reads after its cursor).

A cursor must never pass a change that commits late behind a later one. Rows are ordered by
(transaction id, sequence):

* PostgreSQL: each row carries its writer's ``pg_current_xact_id()``, and a pull hands out only
  rows of transactions below a horizon: the oldest transaction of this database still running
  (``pg_stat_activity.backend_xid``), or the next transaction id when none is. Every transaction
  below it has finished, and any that commits later has an id at or above it, hence above the
  cursor, so a later pull delivers it. A long transaction only delays the feed. (Not the
  snapshot's ``xmin``: it counts every database of the cluster, so another application's long
  transaction would hold the feed back.)
* SQLite: writers are serialised by the database lock, so sequence order is commit order and
  the transaction id is 0.

Since the ``data`` of a change is read fresh at pull time (``entities``), applying changes in
feed order always leaves a kiosk with the latest state, whatever the commit order was.
A pull without a cursor first copies every current entity (a snapshot), then follows the feed
from where it stood when the copy began.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, func, insert, literal_column, or_, select, text, tuple_

from portal import clock
from portal.domain.sync import BadCursor, ChangeOp, Cursor, FeedEntity, FeedPosition, decode_cursor
from portal.extensions import db
from portal.models import Kiosk, SyncChange, SyncFeedHorizon
from portal.services.sync import entities
from portal.services.sync.problems import Problem
from portal.services.unit_of_work import transaction

MAX_SEQ = 2**63 - 1
_PG_TXID = "pg_current_xact_id()::text::bigint"
_PG_XMAX = text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
# backend_xid is a 32-bit xid; it is widened below with the epoch of xmax.
_PG_RUNNING = text("SELECT backend_xid::text::bigint FROM pg_stat_activity "
                   "WHERE datname = current_database() AND backend_xid IS NOT NULL")


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def record_change(entity: str, entity_id, op: str = ChangeOp.UPSERT, data: dict | None = None, *,
                  kiosk_id: str | None = None) -> None:
    """Tell kiosks that ``entity`` ``entity_id`` changed; call it inside the unit of work that
    changes it (after the change, so the row lock of the changed record is already held).

    Plans, campaigns, positions and classes need no call: ``watch`` writes their rows at every
    flush. ``data`` is kept for the record; kiosks receive the entity as it is when they pull.
    ``kiosk_id`` limits the change to one kiosk (its own submissions).
    """
    db.session.flush()  # the change itself first: its row lock is taken before the feed row is written
    write_changes(db.session.connection(), [(entity, entity_id, op)], kiosk_id=kiosk_id, data=data)


def write_changes(connection, changes: list[tuple[str, object, str]], *, kiosk_id: str | None = None,
                  data: dict | None = None) -> None:
    """Insert feed rows ``(entity, id, op)`` with ``connection`` (the unit of work's), in one statement."""
    if not changes:
        return
    stmt = insert(SyncChange.__table__)
    if connection.dialect.name == "postgresql":
        stmt = stmt.values(txid=literal_column(_PG_TXID))
    now = clock.now()
    connection.execute(stmt, [{"entity": FeedEntity(entity).value, "entity_id": str(entity_id),
                               "op": ChangeOp(op).value, "data": data, "kiosk_id": kiosk_id, "created_at": now}
                              for entity, entity_id, op in changes])


def _pg_horizon() -> int:
    """The oldest transaction id of this database that may still be running (PostgreSQL)."""
    xmax = db.session.scalar(_PG_XMAX)  # read first: a transaction starting later gets an id ≥ xmax
    db.session.execute(text("SELECT pg_stat_clear_snapshot()"))  # the activity view is cached per transaction
    epoch, low = xmax >> 32, xmax & 0xFFFFFFFF
    running = [(epoch << 32 | xid) if xid <= low else ((epoch - 1) << 32 | xid)
               for xid in db.session.scalars(_PG_RUNNING)]
    return min([xmax, *running])


def _frontier() -> FeedPosition:
    """Everything at or before this position is finished and visible to a snapshot read now."""
    if _postgres():
        return FeedPosition(_pg_horizon() - 1, MAX_SEQ)
    return FeedPosition(0, db.session.scalar(select(func.coalesce(func.max(SyncChange.seq), 0))))


def _horizon() -> FeedPosition | None:
    row = db.session.scalar(select(SyncFeedHorizon).order_by(SyncFeedHorizon.id.desc()).limit(1))
    return FeedPosition(row.txid, row.seq) if row else None


def pull(kiosk: Kiosk, token: str | None, limit: int) -> tuple[list[dict], str, bool]:
    """(changes, next cursor, more) for ``kiosk`` after the cursor ``token`` (None: from the start)."""
    cursor = None
    if token:
        try:
            cursor = decode_cursor(token)
        except BadCursor:
            raise Problem("cursor_invalid", "同步位置（cursor）无法识别，请不带 cursor 重新开始。") from None
        if cursor.snapshot is not None and cursor.snapshot >= len(entities.SOURCES):
            raise Problem("cursor_invalid", "同步位置（cursor）无法识别，请不带 cursor 重新开始。")
    horizon = _horizon()
    if not token:
        # Pruned changes are covered by the copy; the feed goes on from the later of the two.
        cursor = Cursor(max(_frontier(), horizon) if horizon else _frontier(), snapshot=0)
    elif horizon is not None and cursor.position < horizon:
        raise Problem("cursor_expired", "同步位置太旧，部分变更已清理，请不带 cursor 重新同步全部数据。")
    today = clock.today()
    changes: list[dict] = []
    more = False
    while cursor.snapshot is not None and len(changes) < limit:
        source = entities.SOURCES[cursor.snapshot]
        wanted = limit - len(changes)
        ids = source.ids_after(cursor.after_id, wanted, kiosk, today)
        loaded = source.load(ids, kiosk, today)
        changes += [{"entity": source.entity.value, "id": key, "op": ChangeOp.UPSERT.value, "data": loaded[key]}
                    for key in ids if loaded[key] is not None]
        if len(ids) == wanted:
            cursor = Cursor(cursor.position, cursor.snapshot, ids[-1])
            more = True
        else:
            following = cursor.snapshot + 1
            cursor = Cursor(cursor.position, following if following < len(entities.SOURCES) else None)
    if cursor.snapshot is None and len(changes) < limit:
        rows, cursor, more = _feed_after(kiosk, cursor, limit - len(changes), today)
        changes += rows
    return changes, cursor.encode(), more or cursor.snapshot is not None


def _feed_after(kiosk: Kiosk, cursor: Cursor, limit: int, today) -> tuple[list[dict], Cursor, bool]:
    stmt = (select(SyncChange.txid, SyncChange.seq, SyncChange.entity, SyncChange.entity_id)
            .where(tuple_(SyncChange.txid, SyncChange.seq) > tuple_(cursor.position.txid, cursor.position.seq))
            .where(or_(SyncChange.kiosk_id.is_(None), SyncChange.kiosk_id == kiosk.id))
            .order_by(SyncChange.txid, SyncChange.seq).limit(limit))
    if _postgres():
        stmt = stmt.where(SyncChange.txid < _pg_horizon())
    rows = db.session.execute(stmt).all()
    if not rows:
        return [], cursor, False
    wanted: dict[str, set[str]] = {}
    for row in rows:
        wanted.setdefault(row.entity, set()).add(row.entity_id)
    fresh = {entity: entities.BY_ENTITY[entity].load(sorted(ids), kiosk, today) for entity, ids in wanted.items()}
    # One entity changed several times in this page: send it once, at its last place.
    last = {(row.entity, row.entity_id): index for index, row in enumerate(rows)}
    changes = []
    for index, row in enumerate(rows):
        if last[(row.entity, row.entity_id)] != index:
            continue
        data = fresh[row.entity].get(row.entity_id)
        changes.append({"entity": row.entity, "id": row.entity_id,
                        "op": (ChangeOp.UPSERT if data is not None else ChangeOp.DELETE).value, "data": data})
    end = rows[-1]
    return changes, Cursor(FeedPosition(end.txid, end.seq)), len(rows) == limit


def prune(*, now: datetime | None = None, retention_days: int | None = None) -> int:
    """Delete changes older than the retention; cursors from before them get 410 afterwards."""
    now = now or clock.now()
    days = retention_days if retention_days is not None else current_app.config["SYNC_FEED_RETENTION_DAYS"]
    cutoff = now - timedelta(days=days)
    with transaction():
        newest = db.session.execute(
            select(SyncChange.txid, SyncChange.seq).where(SyncChange.created_at < cutoff)
            .order_by(SyncChange.txid.desc(), SyncChange.seq.desc()).limit(1)).first()
        if newest is None:
            return 0
        gone = db.session.execute(delete(SyncChange).where(
            or_(SyncChange.txid < newest.txid, and_(SyncChange.txid == newest.txid, SyncChange.seq <= newest.seq)))
        ).rowcount
        db.session.add(SyncFeedHorizon(txid=newest.txid, seq=newest.seq, pruned_at=now))
    return gone
