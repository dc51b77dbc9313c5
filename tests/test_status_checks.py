"""The database itself refuses a status the code does not know.

``status_check`` puts a CHECK generated from the domain's enum on a model's status column; the
suite's schema comes from the models, production's from the migrations, and Alembic's comparison
(tests/test_migrations.py) does not look at CHECKs. So: the refusal is tried on the suite's
database, and every status CHECK of the models is looked up, value by value, in the migrated schema.
"""

from __future__ import annotations

import os
import re

import psycopg
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from portal import create_app
from portal.domain.roles import Role
from portal.extensions import db
from portal.models.claims import PayoutBatch
from tests.factories import covered_member, create_staff, file_claim

QUOTED = re.compile(r"'([^']*)'")


def test_the_database_refuses_an_unknown_claim_status():
    claim = file_claim(covered_member(), submit=False)
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE claims SET status = 'lost' WHERE id = :id"), {"id": claim.id})
    db.session.rollback()
    db.session.execute(text("UPDATE claims SET status = 'submitted' WHERE id = :id"), {"id": claim.id})


def test_the_database_refuses_an_unknown_payout_batch_status():
    reviewer = create_staff("rev", Role.REVIEWER)
    db.session.add(PayoutBatch(status="void", created_by_id=reviewer.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def _model_status_checks() -> dict[tuple[str, str], set[str]]:
    return {(table.name, constraint.name): set(QUOTED.findall(str(constraint.sqltext)))
            for table in db.metadata.sorted_tables for constraint in table.constraints
            if isinstance(constraint, CheckConstraint) and str(constraint.name).endswith("_values")}


def _migrated_checks(url: str) -> dict[tuple[str, str], set[str]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        upgrade()
        inspector = inspect(db.engine)
        found = {(table, check["name"]): set(QUOTED.findall(check["sqltext"]))
                 for table in inspector.get_table_names() for check in inspector.get_check_constraints(table)}
        downgrade(revision="base")
        db.engine.dispose()
    return found


def _assert_migrations_carry_the_status_checks(url: str) -> None:
    expected = _model_status_checks()
    assert ("claims", "ck_claims_status_values") in expected
    migrated = _migrated_checks(url)
    assert {key: migrated.get(key) for key in expected} == expected


def test_the_migrations_create_every_status_check_of_the_models(tmp_path):
    _assert_migrations_carry_the_status_checks(f"sqlite:///{tmp_path / 'migrated.db'}")


@pytest.mark.postgres_only
def test_the_postgres_migrations_create_every_status_check_of_the_models():
    url = make_url(os.environ["PORTAL_TEST_DATABASE_URL"])
    scratch = f"{url.database}_checks"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        connection.execute(f'CREATE DATABASE "{scratch}"')
    try:
        _assert_migrations_carry_the_status_checks(url.set(database=scratch).render_as_string(hide_password=False))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
