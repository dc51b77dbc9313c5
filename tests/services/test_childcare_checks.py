"""The database itself refuses a childcare status the code does not know, whether its tables were
made from the models (the suite) or by the migrations (every real database)."""

import os
from datetime import datetime

import psycopg
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from portal import create_app
from portal.clock import CHINA
from portal.extensions import db
from portal.models import Attendance, ChildcareClass, Registration
from portal.services.childcare import registrations
from tests.factories import child_input, create_childcare_class, create_member, create_union

CHECKED = {
    "childcare_classes": {"ck_childcare_classes_status_values"},
    "childcare_registrations": {"ck_childcare_registrations_status_values",
                                "ck_childcare_registrations_seat_source_values",
                                "ck_childcare_registrations_category_values"},
    "childcare_attendance": {"ck_childcare_attendance_status_values"},
}


def _refused(statement):
    with pytest.raises(IntegrityError):
        db.session.execute(statement)
        db.session.flush()
    db.session.rollback()


def test_unknown_statuses_and_seat_sources_are_refused_by_the_database():
    union = create_union()
    cls = create_childcare_class(union, phase="after_window")
    parent = create_member(union=union)
    registration = registrations.register_child(parent, cls.id, child_input(), accepted_rules=True,
                                          now=datetime(2026, 7, 1, 10, tzinfo=CHINA))
    assert registration.status == "confirmed"
    mark = Attendance(registration_id=registration.id, class_id=cls.id, day=cls.starts_on, status="present")
    db.session.add(mark)
    db.session.commit()

    _refused(update(ChildcareClass).where(ChildcareClass.id == cls.id).values(status="archived"))
    _refused(update(Registration).where(Registration.id == registration.id).values(status="lost"))
    _refused(update(Registration).where(Registration.id == registration.id).values(seat_source="lottery"))
    _refused(update(Registration).where(Registration.id == registration.id).values(category="vip"))
    _refused(update(Attendance).where(Attendance.id == mark.id).values(status="late"))
    # the known values still go through
    db.session.execute(update(Attendance).where(Attendance.id == mark.id).values(status="absent"))
    db.session.commit()


def _migrated_checks(url: str) -> dict[str, set[str]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        upgrade()
        try:
            inspector = inspect(db.engine)
            return {table: {check["name"] for check in inspector.get_check_constraints(table)} for table in CHECKED}
        finally:
            downgrade(revision="base")
            db.engine.dispose()


def test_the_migrations_add_the_same_checks_on_sqlite(tmp_path):
    found = _migrated_checks(f"sqlite:///{tmp_path / 'migrated.db'}")
    for table, names in CHECKED.items():
        assert names <= found[table], table


@pytest.mark.postgres_only
def test_the_migrations_add_the_same_checks_on_postgres():
    url = make_url(os.environ["PORTAL_TEST_DATABASE_URL"])
    scratch = f"{url.database}_checks"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        connection.execute(f'CREATE DATABASE "{scratch}"')
    try:
        found = _migrated_checks(url.set(database=scratch).render_as_string(hide_password=False))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
    for table, names in CHECKED.items():
        assert names <= found[table], table
