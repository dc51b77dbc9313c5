"""Health data is encrypted at rest like ID numbers: the raw columns hold no clear text.

A claim's hospital, diagnosis, disease and accident description, its automatic checks and benefit
breakdown (both can name the disease) and its timeline steps are read here with plain SQL, as
someone with a copy of the database would; the migration that encrypts existing rows is run on a
scratch database of the suite's dialect (SQLite file, or ``<db>_health`` on PostgreSQL).
"""

from __future__ import annotations

import os
from datetime import date

import psycopg
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db
from portal.models.claims import Claim, ClaimEvent
from portal.pii import bulk_encryptor, vault
from tests.conftest import IS_POSTGRES
from tests.factories import covered_member, create_member, create_union, file_claim

SECRETS = ("无锡市第九人民医院", "左侧股骨颈骨折术后", "罕见遗传性代谢病", "骑电动车下班途中在运河桥下被货车刮倒")


def _raw(sql: str, **params) -> str:
    """Every value of the rows ``sql`` selects, as one string, read past the ORM."""
    rows = db.session.execute(text(sql), params).all()
    assert rows, sql
    return " ".join(str(value) for row in rows for value in row)


def test_a_claim_s_health_data_is_not_in_clear_in_the_database():
    member = covered_member()
    illness = file_claim(member, claim_type="critical_illness", facts={
        "admission_date": date(2026, 5, 1), "discharge_date": date(2026, 5, 20), "hospital": SECRETS[0],
        "diagnosis": SECRETS[1], "disease": SECRETS[2], "diagnosis_date": date(2026, 5, 3)})
    accident = file_claim(member, claim_type="accident", facts={
        "accident_date": date(2026, 6, 11), "accident_description": SECRETS[3], "medical_costs_fen": 620_000})
    # The disease is not in the plan's catalogue: the check's message (flags) names it, and so does
    # the benefit breakdown and the timeline's "checked" step.
    assert "disease_not_listed" in illness.flag_codes
    db.session.commit()

    stored = _raw("SELECT * FROM claims WHERE id IN (:a, :b)", a=illness.id, b=accident.id)
    timeline = _raw("SELECT * FROM claim_events WHERE claim_id IN (:a, :b)", a=illness.id, b=accident.id)
    for secret in SECRETS:
        assert secret not in stored and secret not in timeline
    assert "disease_not_listed" in stored  # the plain filter column is still there for the queue

    db.session.expire_all()  # and the portal reads them back as they were typed
    again = db.session.get(Claim, illness.id)
    assert (again.hospital, again.diagnosis, again.disease) == SECRETS[:3]
    assert any(SECRETS[2] in flag["message"] for flag in again.flags)
    assert any(SECRETS[2] in event.message for event in again.events)
    assert db.session.get(Claim, accident.id).accident_description == SECRETS[3]


def test_the_bulk_encryptor_stores_what_the_column_types_store():
    encrypt = bulk_encryptor()
    member = covered_member()
    claim = file_claim(member, submit=False)
    db.session.execute(Claim.__table__.update().where(Claim.id == claim.id).values(
        hospital=text(":h"), flags=text(":f")).execution_options(synchronize_session=False),
        {"h": encrypt(SECRETS[0]), "f": encrypt([{"code": "x", "message": SECRETS[2]}])})
    db.session.commit()
    db.session.expire_all()
    claim = db.session.get(Claim, claim.id)
    assert claim.hospital == SECRETS[0] and claim.flags == [{"code": "x", "message": SECRETS[2]}]
    assert encrypt(None) is None
    assert encrypt("同一个值") != encrypt("同一个值")  # a fresh IV: equal values do not show as equal


# ---------------------------------------------------------------- the migration of existing rows

BEFORE = "aeb4448a6846"  # the last revision with health data in clear


def _scratch_url(tmp_path) -> tuple[str, str | None]:
    if not IS_POSTGRES:
        return f"sqlite:///{tmp_path / 'health.db'}", None
    url = make_url(os.environ["PORTAL_TEST_DATABASE_URL"])
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    scratch = f"{url.database}_health"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        connection.execute(f'CREATE DATABASE "{scratch}"')
    return url.set(database=scratch).render_as_string(hide_password=False), scratch


@pytest.fixture
def scratch_app(app, tmp_path):
    url, scratch = _scratch_url(tmp_path)
    other = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True,
                        "DATA_KEY": app.config["DATA_KEY"], "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    yield other
    with other.app_context():
        db.engine.dispose()
    if scratch:
        url = make_url(os.environ["PORTAL_TEST_DATABASE_URL"])
        admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{scratch}"')


def test_the_migration_encrypts_claims_already_stored_and_gives_them_back_on_downgrade(scratch_app):
    with scratch_app.app_context():
        upgrade(revision=BEFORE)
        member_id = create_member(union=create_union()).id  # tables the migration does not touch
        db.session.commit()
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO claims (id, member_id, claim_type, status, filed_by_type, hospital, diagnosis, disease, "
                "accident_description, flags, flag_codes, is_flagged, breakdown, allowance_days, medical_fen, "
                "pays_critical_illness, is_death, sample_hold, version_id, created_at, updated_at) VALUES "
                "(7, :member, 'critical_illness', 'submitted', 'member', :h, :d, :s, :a, :flags, "
                "',disease_not_listed,', :t, :breakdown, 0, 0, :f, :f, :f, 1, :now, :now)"),
                {"h": SECRETS[0], "d": SECRETS[1], "s": SECRETS[2], "a": SECRETS[3], "t": True, "f": False,
                 "flags": f'[{{"code": "disease_not_listed", "message": "{SECRETS[2]}"}}]',
                 "breakdown": f'{{"total_fen": 0, "lines": [{{"rule_params": {{"disease": "{SECRETS[2]}"}}}}]}}',
                 "now": "2026-06-01 00:00:00+00:00", "member": member_id})
            connection.execute(text("INSERT INTO claim_events (claim_id, at, kind, actor_label, message, "
                                    "visible_to_member) VALUES (7, :now, 'checked', '系统', :m, :t)"),
                               {"now": "2026-06-01 00:00:00+00:00", "m": f"自动检查：{SECRETS[2]}", "t": True})
        upgrade()
        stored = " ".join(str(value) for value in db.session.execute(text(
            "SELECT hospital, diagnosis, disease, accident_description, flags, breakdown FROM claims")).one())
        stored += db.session.execute(text("SELECT message FROM claim_events")).scalar_one()
        for secret in SECRETS:
            assert secret not in stored
        claim = db.session.get(Claim, 7)
        assert (claim.hospital, claim.diagnosis, claim.disease, claim.accident_description) == SECRETS
        assert claim.flags[0]["message"] == SECRETS[2]
        assert claim.breakdown["lines"][0]["rule_params"]["disease"] == SECRETS[2]
        assert db.session.scalars(select(ClaimEvent.message)).one() == f"自动检查：{SECRETS[2]}"
        assert vault().decrypt(db.session.execute(text("SELECT hospital FROM claims")).scalar_one()) == SECRETS[0]
        db.session.remove()

        downgrade(revision=BEFORE)
        assert db.session.execute(text("SELECT hospital FROM claims")).scalar_one() == SECRETS[0]
        db.session.remove()
        downgrade(revision="base")
