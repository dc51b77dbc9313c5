"""The areas' own actions put their changes in the feed, in their transaction: a seat taken on the
web, a place filled by an acceptance (a bulk UPDATE), a nightly expiry, an enterprise approved.
Nothing undone leaves a row behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import ChildcareClass, StaffUser, SyncChange
from portal.services.childcare import registrations
from portal.services.jobs import applications, enterprises, positions
from portal.services.unit_of_work import transaction
from tests.factories import (
    child_input,
    create_application,
    create_childcare_class,
    create_enterprise,
    create_member,
    create_position,
    create_staff,
    create_student,
    create_union,
)
from tests.sync.test_changes import pull_all


@pytest.fixture
def today():
    return clock.today()


def test_a_seat_taken_on_the_web_reaches_the_kiosks(kiosk_client, federation, today):
    cls = create_childcare_class(create_union("TB", parent=federation), today=today, phase="after_window", seats=5,
                                 allocated_at=clock.now())
    _, cursor = pull_all(kiosk_client)
    registrations.register_child(create_member(), cls.id, child_input(), accepted_rules=True)
    changes, cursor = pull_all(kiosk_client, cursor)
    assert [(c["entity"], c["id"], c["data"]["seats_left"]) for c in changes] == \
        [("childcare_class", str(cls.id), 4)]
    assert pull_all(kiosk_client, cursor)[0] == []


def test_a_place_filled_by_an_acceptance_reaches_the_kiosks(kiosk_client, federation, today):
    enterprise = create_enterprise(union=create_union("QG", parent=federation), contact_username="hr")
    position = create_position(enterprise, places=2, starts_on=today + timedelta(days=20),
                               ends_on=today + timedelta(days=50), apply_by=today + timedelta(days=10))
    application = create_application(position, create_student())
    _, cursor = pull_all(kiosk_client)
    contact = db.session.scalar(select(StaffUser).where(StaffUser.username == "hr"))
    applications.decide_application(contact, application.id, accept=True)
    changes, _ = pull_all(kiosk_client, cursor)
    assert [(c["entity"], c["id"], c["data"]["places_left"]) for c in changes] == [("position", str(position.id), 1)]


def test_positions_closed_in_bulk_are_deleted_at_the_kiosks(kiosk_client, federation, today):
    enterprise = create_enterprise(union=create_union("QG", parent=federation))
    lapsing = create_position(enterprise, starts_on=today + timedelta(days=20), ends_on=today + timedelta(days=50),
                              apply_by=today - timedelta(days=1))
    create_position(enterprise, starts_on=today + timedelta(days=20), ends_on=today + timedelta(days=50),
                              apply_by=today + timedelta(days=10))
    _, cursor = pull_all(kiosk_client)
    assert positions.close_expired_positions(today=today) == 1
    changes, _ = pull_all(kiosk_client, cursor)
    assert changes == [{"entity": "position", "id": str(lapsing.id), "op": "delete", "data": None}]


def test_an_enterprise_approved_puts_its_positions_on_the_kiosks(kiosk_client, federation, today):
    union = create_union("QG", parent=federation)
    enterprise = create_enterprise(union=union, status="pending")
    position = create_position(enterprise, starts_on=today + timedelta(days=20), ends_on=today + timedelta(days=50),
                               apply_by=today + timedelta(days=10))
    _, cursor = pull_all(kiosk_client)
    enterprises.review_enterprise(create_staff(role=Role.UNION_OFFICER, union=union), enterprise.id, approve=True)
    changes, _ = pull_all(kiosk_client, cursor)
    assert [(c["entity"], c["id"], c["op"]) for c in changes] == [("position", str(position.id), "upsert")]


def test_a_change_rolled_back_leaves_no_feed_row(kiosk_client, federation, today):
    cls = create_childcare_class(create_union("TB", parent=federation), today=today, phase="after_window", seats=5)
    before = db.session.scalar(select(func.count()).select_from(SyncChange))
    with pytest.raises(RuntimeError), transaction():
        db.session.get(ChildcareClass, cls.id).seats_taken = 3
        db.session.flush()  # the listener has written its row by now
        raise RuntimeError("the action fails after its change")
    assert db.session.scalar(select(func.count()).select_from(SyncChange)) == before
