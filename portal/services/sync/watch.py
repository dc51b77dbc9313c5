"""The change feed written by the session itself: every flush that adds, changes or deletes a plan,
a campaign, a position or a childcare class (or an enterprise, whose positions kiosks list only
while it is approved) writes the feed rows for them in the same transaction.

Why a listener rather than a call in each action: the records kiosks copy are changed by many
actions (a seat taken by a registration, a place filled by an acceptance, a campaign's quota
used by a claim, a nightly expiry), and a feed row forgotten in one of them would leave every
kiosk showing a stale seat count with nothing to say so. The session sees them all:

* ``after_flush``: the ORM's own writes (``session.new``, ``dirty`` with a real column change,
  ``deleted``), written with the flush's connection, so a savepoint or a rollback that undoes the
  change undoes its feed row too;
* ``do_orm_execute``: a bulk ``UPDATE``/``DELETE`` on one of those tables (``take_place``'s
  conditional update, the expiry of positions, a campaign's quota) first reads the ids its
  ``WHERE`` matches, with ``FOR UPDATE`` so the statement changes no row the read did not see,
  and writes their feed rows before the statement runs.

A change row only says *that* an entity changed: the kiosk receives the entity as it is when it
pulls (``entities``), so a spurious row costs a read, never a wrong state.
"""

from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal.domain.sync import ChangeOp, FeedEntity
from portal.models import Campaign, ChildcareClass, Enterprise, Plan, Position

# model → (feed entity, the column that is the entity's id in the feed)
WATCHED = {
    Plan: (FeedEntity.PLAN, Plan.code),
    Campaign: (FeedEntity.CAMPAIGN, Campaign.id),
    Position: (FeedEntity.POSITION, Position.id),
    ChildcareClass: (FeedEntity.CHILDCARE_CLASS, ChildcareClass.id),
}


def _feed_key(instance) -> tuple[FeedEntity, str] | None:
    watched = WATCHED.get(type(instance))
    if watched is None:
        return None
    entity, column = watched
    value = getattr(instance, column.key)
    return (entity, str(value)) if value is not None else None


def _after_flush(session: Session, flush_context) -> None:
    changes: dict[tuple[FeedEntity, str], ChangeOp] = {}
    enterprises: set[int] = set()
    for instance in session.new:
        key = _feed_key(instance)
        if key is not None:
            changes[key] = ChangeOp.UPSERT
    for instance in session.dirty:
        if isinstance(instance, Enterprise):
            if session.is_modified(instance, include_collections=False):
                enterprises.add(instance.id)
            continue
        key = _feed_key(instance)
        if key is not None and session.is_modified(instance, include_collections=False):
            changes[key] = ChangeOp.UPSERT
    for instance in session.deleted:
        key = _feed_key(instance)
        if key is not None:
            changes[key] = ChangeOp.DELETE
    if not changes and not enterprises:
        return
    connection = session.connection()
    if enterprises:
        for position_id in connection.scalars(select(Position.id).where(Position.enterprise_id.in_(enterprises))):
            changes.setdefault((FeedEntity.POSITION, str(position_id)), ChangeOp.UPSERT)
    from portal.services.sync import feed

    feed.write_changes(connection, [(entity, key, op) for (entity, key), op in changes.items()])


def _before_bulk(state) -> None:
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    model = state.bind_mapper.class_
    if model not in WATCHED and model is not Enterprise:
        return
    where = state.statement.whereclause
    if model is Enterprise:
        model, entity, column = Position, FeedEntity.POSITION, Position.id
        enterprise_ids = select(Enterprise.id)
        if where is not None:
            enterprise_ids = enterprise_ids.where(where)
        stmt = select(column).where(Position.enterprise_id.in_(enterprise_ids.scalar_subquery()))
    else:
        entity, column = WATCHED[model]
        stmt = select(column)
        if where is not None:
            stmt = stmt.where(where)
        stmt = stmt.with_for_update()
    connection = state.session.connection()
    keys = {str(value) for value in connection.scalars(stmt)}
    if keys:
        from portal.services.sync import feed

        op = ChangeOp.DELETE if state.is_delete and model in WATCHED else ChangeOp.UPSERT
        feed.write_changes(connection, [(entity, key, op) for key in sorted(keys)])


def init_app(app) -> None:
    """Listen on every session (once, whatever the number of apps)."""
    for name, listener in (("after_flush", _after_flush), ("do_orm_execute", _before_bulk)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
