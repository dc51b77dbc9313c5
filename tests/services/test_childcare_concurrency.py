"""Concurrent registrations and cancellations on PostgreSQL never confirm more children than seats."""

import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.clock import CHINA
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Attendance, ChildcareClass, Member, Registration, StaffUser
from portal.services.childcare import attendance, registrations
from tests.factories import (
    child_input,
    create_childcare_class,
    create_member,
    create_registration,
    create_staff,
    create_union,
)

NOW = datetime(2026, 7, 1, 10, 0, tzinfo=CHINA)


def _in_threads(app, jobs):
    """Run each job in its own thread and app context, all released at once."""
    barrier = threading.Barrier(len(jobs))
    errors = []

    def run(job):
        with app.app_context():
            barrier.wait()
            try:
                job()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def _register_job(member_id, class_id):
    def job():
        parent = db.session.get(Member, member_id)
        registrations.register_child(parent, class_id, child_input(), accepted_rules=True, now=NOW)
    return job


def _counts(class_id):
    db.session.expire_all()
    rows = dict(db.session.execute(select(Registration.status, func.count()).where(Registration.class_id == class_id)
                                   .group_by(Registration.status)).all())
    return rows, db.session.get(ChildcareClass, class_id)


@pytest.mark.postgres_only
def test_concurrent_registrations_fill_exactly_the_seats(app):
    union = create_union()
    cls = create_childcare_class(union, phase="after_window", seats=3)
    # Seven at once: each thread may hold two connections (the text is delivered after commit),
    # and the default pool has fifteen.
    parents = [create_member(union=union) for _ in range(7)]

    errors = _in_threads(app, [_register_job(p.id, cls.id) for p in parents])

    assert errors == []
    counts, fresh = _counts(cls.id)
    assert counts == {"confirmed": 3, "waitlisted": 4}
    assert fresh.seats_taken == 3 and fresh.last_number == 7
    queue = sorted(db.session.scalars(select(Registration.queue_number)
                                      .where(Registration.status == "waitlisted")))
    assert queue == sorted(set(queue)) and len(queue) == 4  # one clear waitlist order


@pytest.mark.postgres_only
def test_concurrent_cancellations_and_registrations_keep_the_count_true(app):
    union = create_union()
    cls = create_childcare_class(union, phase="after_window", seats=3)
    holders = [create_member(union=union) for _ in range(5)]
    held = [registrations.register_child(p, cls.id, child_input(), accepted_rules=True, now=NOW) for p in holders]
    confirmed = [(r.id, r.parent_id) for r in held if r.status == "confirmed"]
    newcomers = [create_member(union=union) for _ in range(4)]

    def cancel_job(registration_id, parent_id):
        def job():
            registrations.cancel_registration(db.session.get(Member, parent_id), registration_id, now=NOW)
        return job

    jobs = [cancel_job(*pair) for pair in confirmed] + [_register_job(p.id, cls.id) for p in newcomers]
    errors = _in_threads(app, jobs)

    assert errors == []
    counts, fresh = _counts(cls.id)
    assert fresh.seats_taken == counts["confirmed"] == 3  # the freed seats were all filled again
    assert counts["cancelled"] == 3 and counts["waitlisted"] == 3


def test_the_database_itself_refuses_more_confirmed_children_than_seats():
    cls = create_childcare_class(create_union(), seats=2)
    with pytest.raises(IntegrityError):
        db.session.execute(update(ChildcareClass).where(ChildcareClass.id == cls.id).values(seats_taken=3))
        db.session.flush()
    db.session.rollback()


@pytest.mark.postgres_only
def test_two_tablets_checking_in_the_same_child_at_once_keep_one_mark(app):
    union = create_union()
    cls = create_childcare_class(union, phase="running", seats=3)
    organiser = create_staff("organiser", Role.CHILDCARE_ORGANISER, union=union)
    registration = create_registration(cls, status="confirmed")
    day = cls.schedule.days(until=NOW.date())[0]

    def tap():
        attendance.mark_attendance(db.session.get(StaffUser, organiser.id), registration.id, day, "present", now=NOW)

    errors = _in_threads(app, [tap, tap, tap])

    assert errors == []
    db.session.expire_all()
    marks = list(db.session.scalars(select(Attendance).where(Attendance.registration_id == registration.id)))
    assert [(mark.day, mark.status) for mark in marks] == [(day, "present")]
