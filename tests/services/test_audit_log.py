"""The audit log: append-only in the application and, on PostgreSQL, in the database; filters;
every action a service records has its words."""

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, text, update

from portal.clock import CHINA
from portal.domain import audit as words
from portal.domain.errors import InvalidInput, PermissionDenied
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent
from portal.models.audit import AuditLogIsAppendOnly
from portal.services import audit, audit_log
from portal.services.unit_of_work import transaction
from tests.conftest import IS_POSTGRES
from tests.factories import create_staff, create_union

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def _event(action="claim.approve", entity="claim", entity_id=7, at=None):
    with transaction():
        event = audit.record(None, action, entity, entity_id, amount=100)
        if at is not None:
            event.at = at
    return event


def test_an_audit_event_cannot_be_changed_or_deleted_through_the_application():
    event = _event()
    event.action = "claim.reject"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(update(AuditEvent).values(action="claim.reject"))
    db.session.rollback()
    with pytest.raises(AuditLogIsAppendOnly):  # a purge of old events is refused too
        db.session.execute(delete(AuditEvent).where(AuditEvent.at < datetime.now(CHINA)))
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).action == "claim.approve"


@pytest.mark.postgres_only
def test_postgres_refuses_to_change_delete_or_truncate_audit_events_whoever_asks():
    event_id = _event().id
    db.session.rollback()  # hold no lock on the table: TRUNCATE would wait for it
    for statement in (f"UPDATE audit_events SET action = 'x' WHERE id = {event_id}",
                      f"DELETE FROM audit_events WHERE id = {event_id}", "TRUNCATE audit_events"):
        with db.engine.connect() as connection:  # raw SQL: no ORM event can stop it, the trigger does
            with pytest.raises(Exception, match="append-only"):
                connection.execute(text(statement))
            connection.rollback()
    assert db.session.get(AuditEvent, event_id).action == "claim.approve"


def test_the_trigger_is_part_of_the_migrations_and_of_the_model():
    migration = (PORTAL.parent / "migrations/versions/9b1e0c7d4a21_audit_events_are_append_only.py").read_text()
    assert "BEFORE UPDATE OR DELETE ON audit_events" in migration and "BEFORE TRUNCATE ON audit_events" in migration
    if IS_POSTGRES:
        names = set(db.session.scalars(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass AND NOT tgisinternal")))
        assert names == {"audit_events_no_change", "audit_events_no_truncate"}


def test_every_action_a_service_records_has_chinese_words():
    recorded = set()
    for path in PORTAL.rglob("*.py"):
        source = path.read_text()
        recorded |= set(re.findall(r'audit\.record\(\s*[^,]+,\s*"([a-z_]+\.[a-z_]+)"', source))
        for prefix in re.findall(r'audit\.record\(\s*[^,]+,\s*f"([a-z_]+)\.\{', source):
            recorded.add(prefix + ".*")
    recorded |= {f"{word}.logout" for word in ("staff", "member")}
    recorded |= {f"claim.{step}" for step in ("start_review", "approve", "reject", "request_documents")}
    recorded = {code for code in recorded if not code.endswith(".*")}
    assert len(recorded) > 100
    missing = sorted(code for code in recorded if code not in words.ACTION_LABELS)
    assert missing == [], f"actions with no words in portal/domain/audit.py: {missing}"
    for path in PORTAL.rglob("*.py"):
        for entity in re.findall(r'audit\.record\(\s*[^,]+,\s*f?"[^"]+",\s*"([a-z_]+)"', path.read_text()):
            assert entity in words.ENTITY_LABELS, f"{entity} ({path.name}) has no words"


def test_filters_find_who_did_what_to_which_record_and_when():
    admin = create_staff("admin", Role.ADMIN)
    old = _event("claim.approve", "claim", 7, at=datetime(2026, 3, 1, 10, tzinfo=CHINA))
    new = _event("claim.reject", "claim", 8, at=datetime(2026, 3, 5, 23, 30, tzinfo=CHINA))
    with transaction():
        by_admin = audit.record(admin, "staff.create", "staff_user", 3)

    def ids(**filters):
        events, total = audit_log.list_audit(admin, audit_log.AuditFilters(**filters))
        assert total == len(events)
        return [event.id for event in events]

    assert ids() == [by_admin.id, new.id, old.id]
    assert ids(action="claim.reject") == [new.id]
    assert ids(entity="claim", entity_id="7") == [old.id]
    assert ids(actor="admin") == [by_admin.id]
    # Periods are China days: 23:30 on 5 March is on the 5th, not the 6th (UTC would say the 5th 15:30).
    assert ids(since=date(2026, 3, 5), until=date(2026, 3, 5)) == [new.id]
    assert ids(since=date(2026, 3, 1), until=date(2026, 3, 4)) == [old.id]
    with pytest.raises(InvalidInput):
        ids(since=date(2026, 3, 5), until=date(2026, 3, 1))


def test_only_administrators_read_the_audit_log():
    officer = create_staff("officer", Role.UNION_OFFICER, union=create_union("A1"))
    reviewer = create_staff("reviewer", Role.REVIEWER)
    for actor in (officer, reviewer):
        with pytest.raises(PermissionDenied):
            audit_log.list_audit(actor, audit_log.AuditFilters())


def test_an_unknown_action_is_shown_as_other_not_as_a_bare_code():
    assert audit_log.action_words("nobody.knows") == "其他操作（nobody.knows）"
    assert audit_log.action_words("claim.approve") == "核准理赔"
