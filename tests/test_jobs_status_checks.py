"""The database refuses a work-study status the code does not know, whether its tables were
created from the models (the suite) or built by the migrations (every real installation)."""

import os

import psycopg
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from portal import create_app
from portal.domain.jobs import ApplicationStatus, ConcernStatus, EnterpriseStatus, PlacementStatus, PositionStatus
from portal.extensions import db
from portal.models import Application, Concern, Enterprise, Placement, Position
from tests.factories import create_concern

STATUSES = {Enterprise: EnterpriseStatus, Position: PositionStatus, Application: ApplicationStatus,
            Placement: PlacementStatus, Concern: ConcernStatus}
TABLES = [model.__tablename__ for model in STATUSES]


def _tables_refusing_an_unknown_status() -> list[str]:
    """Try a status nobody knows on one row of each table (and a known one, which must pass)."""
    concern = create_concern()  # a row in each table: enterprise → position → application → placement → concern
    placement = concern.placement
    rows = {Enterprise: placement.enterprise_id, Position: placement.position_id,
            Application: placement.application_id, Placement: placement.id, Concern: concern.id}
    refused = []
    for model, record_id in rows.items():
        try:
            db.session.execute(update(model).where(model.id == record_id).values(status="lost"))
            db.session.flush()
        except IntegrityError:
            refused.append(model.__tablename__)
        db.session.rollback()
        last = list(STATUSES[model])[-1]
        db.session.execute(update(model).where(model.id == record_id).values(status=last))
        db.session.commit()
    return refused


def test_an_unknown_status_is_refused_by_the_database():
    assert _tables_refusing_an_unknown_status() == TABLES


def _check_migrated(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        upgrade()
        try:
            inspector = inspect(db.engine)
            for model, statuses in STATUSES.items():
                table = model.__tablename__
                checks = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table)}
                assert all(f"'{status.value}'" in checks[f"ck_{table}_status_values"] for status in statuses)
            assert _tables_refusing_an_unknown_status() == TABLES
        finally:
            db.session.remove()
            downgrade(revision="base")
            db.engine.dispose()


def test_the_migrations_build_the_checks_on_sqlite(tmp_path):
    _check_migrated(f"sqlite:///{tmp_path / 'migrated.db'}")


@pytest.mark.postgres_only
def test_the_migrations_build_the_checks_on_postgres():
    url = make_url(os.environ["PORTAL_TEST_DATABASE_URL"])
    scratch = f"{url.database}_jobs_checks"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        connection.execute(f'CREATE DATABASE "{scratch}"')
    try:
        _check_migrated(url.set(database=scratch).render_as_string(hide_password=False))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
