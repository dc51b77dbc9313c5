"""Sample and template downloads carry no real person; a file with real members' ID numbers is audited."""

from __future__ import annotations

from sqlalchemy import select

from portal.domain.identity import parse_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.integrations.spreadsheets import read_rows
from portal.models import AuditEvent, Member
from tests.factories import TODAY, covered_member, create_staff


def _id_numbers(data: bytes) -> list[str]:
    return [str(row[0]) for row in list(read_rows(data, "s.xlsx"))[1:] if row and row[0]]


def test_the_discharge_sample_download_holds_only_made_up_people_with_well_formed_ids(client, auth):
    members = [covered_member() for _ in range(3)]
    create_staff("rev", Role.REVIEWER)
    auth.staff("rev")
    sample = client.get("/review/discharges/sample.xlsx")
    assert sample.status_code == 200
    numbers = _id_numbers(sample.data)
    assert len(numbers) >= 8
    real = {member.id_number for member in db.session.scalars(select(Member))}
    assert real == {member.id_number for member in members}
    assert not set(numbers) & real
    for number in numbers:
        parse_id_number(number, today=TODAY)  # valid-looking: the import reads them as ID numbers


def test_the_roster_template_holds_no_one(client, auth):
    covered_member()
    create_staff("rev", Role.ADMIN)
    auth.staff("rev")
    template = client.get("/enrollment/rosters/template.xlsx")
    assert template.status_code == 200
    assert list(read_rows(template.data, "t.xlsx"))[1:] == []


def test_a_sample_of_real_covered_members_is_audited(runner, tmp_path):
    create_staff("rev", Role.REVIEWER)
    member = covered_member()
    from datetime import date

    from portal.models import Enrollment

    db.session.scalars(select(Enrollment)).one().starts_on = date(2025, 1, 1)
    db.session.commit()
    made_up = tmp_path / "made-up.xlsx"
    assert runner.invoke(args=["discharge-sample", str(made_up)]).exit_code == 0
    assert member.id_number not in _id_numbers(made_up.read_bytes())
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "claim.discharge_sample_real")).all() == []
    real = tmp_path / "real.xlsx"
    result = runner.invoke(args=["discharge-sample", str(real), "--covered-members"])
    assert result.exit_code == 0, result.output
    assert member.id_number in _id_numbers(real.read_bytes())
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "claim.discharge_sample_real")).one()
    assert event.details["rows"] == 1
