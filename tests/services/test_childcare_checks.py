"""The database itself refuses a childcare status (or seat source, or priority category) the code
does not know; tests/test_migrations.py finds the same CHECKs in the schema the migrations build."""

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Attendance, ChildcareClass, Registration
from tests.factories import create_attendance, create_childcare_class, create_registration, create_union


def _refused(statement):
    with pytest.raises(IntegrityError):
        db.session.execute(statement)
        db.session.flush()
    db.session.rollback()


def test_unknown_statuses_seat_sources_and_categories_are_refused_by_the_database():
    cls = create_childcare_class(create_union(), phase="running")
    registration = create_registration(cls, status="confirmed")
    mark = create_attendance(registration)

    _refused(update(ChildcareClass).where(ChildcareClass.id == cls.id).values(status="archived"))
    _refused(update(Registration).where(Registration.id == registration.id).values(status="lost"))
    _refused(update(Registration).where(Registration.id == registration.id).values(seat_source="lottery"))
    _refused(update(Registration).where(Registration.id == registration.id).values(category="vip"))
    _refused(update(Attendance).where(Attendance.id == mark.id).values(status="late"))
    # the known values still go through
    db.session.execute(update(Attendance).where(Attendance.id == mark.id).values(status="absent"))
    db.session.execute(update(Registration).where(Registration.id == registration.id).values(status="cancelled"))
    db.session.commit()
