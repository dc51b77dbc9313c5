"""The change feed: a first pull copies everything current, later pulls bring what changed (as it
is now), the cursor never passes a change that commits late, and a pruned cursor gets 410."""

import threading
from datetime import timedelta

import pytest

from portal import clock
from portal.extensions import db
from portal.services.sync import feed
from portal.services.unit_of_work import transaction
from tests.factories import create_childcare_class, create_enterprise, create_plan, create_position, create_union


def pull_all(kiosk_client, cursor=None, limit=500):
    """Pull until ``more`` is false; every change in order, and the last cursor."""
    changes = []
    while True:
        query = f"/changes?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = kiosk_client.get(query)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["more"]:
            return changes, cursor


@pytest.fixture
def reference_data(federation):
    today = clock.today()
    union = create_union("LX", parent=federation)
    plan = create_plan()
    cls = create_childcare_class(union, today=today, phase="window_open", seats=5)
    enterprise = create_enterprise(union=union)
    position = create_position(enterprise, starts_on=today + timedelta(days=20), ends_on=today + timedelta(days=50),
                               apply_by=today + timedelta(days=10))
    return {"plan": plan.code, "class": str(cls.id), "position": str(position.id)}


def test_a_first_pull_copies_every_current_entity(kiosk_client, reference_data):
    changes, _ = pull_all(kiosk_client)
    seen = {(c["entity"], c["id"]) for c in changes}
    assert ("plan", reference_data["plan"]) in seen
    assert ("childcare_class", reference_data["class"]) in seen
    assert ("position", reference_data["position"]) in seen
    [cls] = [c for c in changes if c["entity"] == "childcare_class"]
    assert cls["op"] == "upsert" and cls["data"]["seats_left"] == 5


def test_paging_through_the_copy_and_the_feed_misses_nothing(kiosk_client, reference_data):
    everything, _ = pull_all(kiosk_client, limit=500)
    paged, _ = pull_all(kiosk_client, limit=1)
    assert [(c["entity"], c["id"]) for c in paged] == [(c["entity"], c["id"]) for c in everything]


def test_a_change_is_pulled_with_the_entity_as_it_is_now(kiosk_client, reference_data):
    from portal.models import ChildcareClass

    _, cursor = pull_all(kiosk_client)
    with transaction():
        cls = db.session.get(ChildcareClass, int(reference_data["class"]))
        cls.seats_taken = 3
        feed.record_change("childcare_class", cls.id)
    changes, cursor = pull_all(kiosk_client, cursor)
    assert [(c["entity"], c["id"], c["data"]["seats_left"]) for c in changes] == \
        [("childcare_class", reference_data["class"], 2)]
    assert pull_all(kiosk_client, cursor)[0] == []


def test_an_entity_no_longer_offered_is_a_delete(kiosk_client, reference_data):
    from portal.models import Position

    _, cursor = pull_all(kiosk_client)
    with transaction():
        db.session.get(Position, int(reference_data["position"])).status = "closed"
        feed.record_change("position", reference_data["position"])
    changes, _ = pull_all(kiosk_client, cursor)
    assert changes == [{"entity": "position", "id": reference_data["position"], "op": "delete", "data": None}]


def test_a_garbled_cursor_is_a_bad_request(kiosk_client):
    response = kiosk_client.get("/changes?cursor=not-a-cursor")
    assert response.status_code == 400 and response.get_json()["code"] == "cursor_invalid"


def test_a_cursor_from_before_pruned_changes_gets_410(kiosk_client, federation):
    _, cursor = pull_all(kiosk_client)
    with transaction():
        feed.record_change("position", 990001)
    changes, _ = pull_all(kiosk_client, cursor)
    assert [c["id"] for c in changes] == ["990001"]
    feed.prune(now=clock.now() + timedelta(days=31), retention_days=30)
    response = kiosk_client.get(f"/changes?cursor={cursor}")
    assert response.status_code == 410 and response.get_json()["code"] == "cursor_expired"
    assert kiosk_client.get("/changes").status_code == 200  # starting again works


@pytest.mark.postgres_only
def test_the_cursor_does_not_pass_a_change_that_commits_late(app, kiosk_client, federation):
    """Writer A writes its change first but commits last; B writes later and commits first."""
    _, cursor = pull_all(kiosk_client)
    a_wrote, b_committed = threading.Event(), threading.Event()
    errors = []

    def writer_a():
        try:
            with app.app_context(), transaction():
                feed.record_change("position", 990001)
                db.session.flush()
                a_wrote.set()
                assert b_committed.wait(10)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    thread = threading.Thread(target=writer_a)
    thread.start()
    assert a_wrote.wait(10)
    with app.app_context(), transaction():
        feed.record_change("position", 990002)
    b_committed.set()
    # B is committed, A not yet: a pull now must not move the cursor past A's place.
    early, cursor = pull_all(kiosk_client, cursor)
    thread.join()
    assert not errors
    late, cursor = pull_all(kiosk_client, cursor)
    delivered = [c["id"] for c in early + late]
    assert sorted(delivered) == ["990001", "990002"]


def test_submission_status_follows_a_kiosk_only(kiosk_client, federation):
    with transaction():
        feed.record_change("submission_status", "00000000-0000-4000-8000-000000000001", kiosk_id="someone-else")
    changes, _ = pull_all(kiosk_client)
    assert [c for c in changes if c["entity"] == "submission_status"] == []
