"""The unit of work: one commit per action, composable, with savepoints and follow-ups that follow it."""

import pytest
from sqlalchemy import select

from portal.domain.errors import Conflict, InvalidInput
from portal.extensions import db
from portal.models import AuditEvent, Union, UnionKind, add_union
from portal.services import audit
from portal.services.unit_of_work import (
    after_commit,
    independent_unit,
    on_rollback,
    savepoint,
    transaction,
    unit_of_work,
)


@unit_of_work
def add(code: str, *, fail: bool = False) -> Union:
    union = add_union(code, f"工会{code}", UnionKind.GRASSROOTS, None)
    if fail:
        raise InvalidInput("不行")
    return union


def codes() -> list[str]:
    db.session.rollback()
    return sorted(db.session.scalars(select(Union.code)))


def test_an_action_commits_once_when_it_returns():
    add("A1")
    assert codes() == ["A1"]


def test_a_refused_action_leaves_nothing_behind():
    with pytest.raises(InvalidInput):
        add("A1", fail=True)
    assert codes() == []


def test_actions_inside_an_outer_unit_commit_or_vanish_together():
    with pytest.raises(InvalidInput):
        with transaction():
            add("A1")
            add("A2")
            raise InvalidInput("整批撤销")
    assert codes() == []
    with transaction():
        add("A1")
        add("A2")
    assert codes() == ["A1", "A2"]


def test_a_savepoint_lets_a_batch_go_on_after_one_item_fails():
    refused = []
    with transaction():
        for code, fail in (("B1", False), ("B2", True), ("B3", False)):
            try:
                with savepoint():
                    add(code, fail=fail)
            except InvalidInput:
                refused.append(code)
    assert refused == ["B2"]
    assert codes() == ["B1", "B3"]


def test_a_savepoint_that_opens_the_unit_still_rolls_back_with_it():
    with pytest.raises(RuntimeError), transaction():
        db.session.scalar(select(Union.id))  # only reads so far: SQLite has no transaction open yet
        with savepoint():
            add("S1")
        raise RuntimeError("the action fails after its savepoint")
    assert codes() == []


def test_a_savepoint_lets_a_batch_go_on_after_a_refused_insert():
    refused = []
    with transaction():
        for code in ("E1", "E1", "E2"):
            try:
                with savepoint():
                    add(code)
            except Conflict as error:
                refused.append((code, error.code))
    assert refused == [("E1", "duplicate")]
    assert codes() == ["E1", "E2"]


def test_a_lost_unique_race_becomes_a_conflict():
    add("C1")
    with pytest.raises(Conflict) as raised:
        add("C1")
    assert raised.value.code == "duplicate"
    assert codes() == ["C1"]


def test_follow_ups_run_after_commit_and_undo_runs_after_rollback():
    events = []

    @unit_of_work
    def act(fail: bool):
        after_commit(lambda: events.append("sent"))
        on_rollback(lambda: events.append("file removed"))
        if fail:
            raise InvalidInput("不行")

    act(False)
    assert events == ["sent"]
    events.clear()
    with pytest.raises(InvalidInput):
        act(True)
    assert events == ["file removed"]


def test_a_failed_savepoint_drops_its_follow_ups_but_keeps_the_others():
    events = []
    with transaction():
        after_commit(lambda: events.append("outer"))
        with pytest.raises(InvalidInput), savepoint():
            after_commit(lambda: events.append("inner"))
            on_rollback(lambda: events.append("inner undone"))
            raise InvalidInput("不行")
    assert events == ["inner undone", "outer"]


def test_a_savepoint_released_runs_no_follow_up_before_the_commit():
    """SQLAlchemy reports a released savepoint as a commit: the follow-ups must still wait for the
    real one (a text handed to the queue before its row is committed can be looked up in vain),
    and an undo registered before the savepoint must still run if the transaction rolls back."""
    events = []
    with transaction():
        after_commit(lambda: events.append("sent"))
        with savepoint():
            add("S1")
        assert events == []
    assert events == ["sent"]
    events.clear()
    with pytest.raises(InvalidInput), transaction():
        after_commit(lambda: events.append("sent"))
        on_rollback(lambda: events.append("file removed"))
        with savepoint():
            add("S2")
        raise InvalidInput("不行")
    assert events == ["file removed"]
    assert codes() == ["S1"]


def test_an_independent_record_survives_the_rollback_of_the_action():
    @unit_of_work
    def refused_attempt():
        with independent_unit() as session:
            session.add(AuditEvent(actor_type="system", actor_label="system", action="attempt.refused"))
        audit.record(None, "attempt.would_have_happened")
        raise InvalidInput("不行")

    with pytest.raises(InvalidInput):
        refused_attempt()
    db.session.rollback()
    assert list(db.session.scalars(select(AuditEvent.action))) == ["attempt.refused"]
