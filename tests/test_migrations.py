"""The committed migrations build exactly the schema the models describe, on SQLite and PostgreSQL.

PostgreSQL is checked in a scratch database of its own, so the suite's schema is left alone;
the two dialects differ (e.g. foreign keys created after their table), hence both. Alembic does
not compare CHECK constraints, so the status CHECKs (``status_check``) are compared here, value
by value.
"""

import os
import re

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, inspect
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db

QUOTED = re.compile(r"'([^']*)'")


def _status_check_diff(connection) -> list:
    """Each model status CHECK missing from the migrated schema, or allowing other values."""
    inspector = inspect(connection)
    migrated = {(table, check["name"]): set(QUOTED.findall(check["sqltext"]))
                for table in inspector.get_table_names() for check in inspector.get_check_constraints(table)}
    expected = {(table.name, constraint.name): set(QUOTED.findall(str(constraint.sqltext)))
                for table in db.metadata.sorted_tables for constraint in table.constraints
                if isinstance(constraint, CheckConstraint) and str(constraint.name).endswith("_values")}
    assert expected, "no status CHECK found in the models: check the naming"
    return [("status_check", key, values, migrated.get(key)) for key, values in sorted(expected.items())
            if migrated.get(key) != values]


def _schema_diff(url: str) -> list:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
            diff += _status_check_diff(connection)
        downgrade(revision="base")
        db.engine.dispose()
    return diff


def test_sqlite_migrations_match_the_models(tmp_path):
    assert _schema_diff(f"sqlite:///{tmp_path / 'migrated.db'}") == []


@pytest.mark.postgres_only
def test_postgres_migrations_match_the_models():
    url = make_url(os.environ["PORTAL_TEST_DATABASE_URL"])
    scratch = f"{url.database}_migrations"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        connection.execute(f'CREATE DATABASE "{scratch}"')
    try:
        assert _schema_diff(url.set(database=scratch).render_as_string(hide_password=False)) == []
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
