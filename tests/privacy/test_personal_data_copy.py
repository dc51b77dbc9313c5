"""A member downloads a copy of everything held about them (PIPL), only theirs, and it is audited."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent
from tests.conftest import post_form
from tests.factories import covered_member, create_child, file_claim

HOSPITAL = "无锡市第九人民医院"


def _copy(client, auth, member) -> dict:
    auth.member(member)
    answer = post_form(client, "/me/my-data", {}, form_page="/me/")
    assert answer.status_code == 200, answer.status_code
    assert answer.headers["Content-Disposition"].startswith("attachment")
    assert "no-store" in answer.headers["Cache-Control"]
    return json.loads(answer.get_data(as_text=True))


def test_the_copy_holds_the_member_s_own_records_in_clear_and_nothing_of_anyone_else(client, auth):
    member = covered_member(name="虞建国")
    other = covered_member(name="钱多多")
    claim = file_claim(member, facts={"admission_date": date(2026, 5, 1), "discharge_date": date(2026, 5, 6),
                                      "hospital": HOSPITAL, "diagnosis": "肺炎"})
    file_claim(other, facts={"admission_date": date(2026, 5, 2), "discharge_date": date(2026, 5, 7),
                             "hospital": "别人的医院", "diagnosis": "肺炎"})
    create_child(member, name="虞小宝")

    copy = _copy(client, auth, member)

    assert copy["member"]["id"] == member.id and copy["member"]["id_number"] == member.id_number
    records = copy["records"]
    assert [row["member_id"] for row in records["enrollments"]] == [member.id]
    assert [row["id"] for row in records["claims"]] == [claim.id]
    assert records["claims"][0]["hospital"] == HOSPITAL  # decrypted for its owner
    assert {row["claim_id"] for row in records["claim_documents"]} == {claim.id}  # children come too
    assert {row["claim_id"] for row in records["claim_events"]} == {claim.id}
    assert any(row["name"] == "虞小宝" for rows in records.values() for row in rows if "name" in row)
    text = json.dumps(copy, ensure_ascii=False)
    assert "钱多多" not in text and "别人的医院" not in text and other.id_number not in text
    # The portal's own keys are not the member's data.
    assert not any("hash" in key or "seed" in key for rows in records.values() for row in rows for key in row)
    assert not any("hash" in key for key in copy["member"])
    assert any(step["record"] == f"claim {claim.id}" for step in copy["processing"])


def test_downloading_the_copy_is_audited_and_needs_a_signed_in_member(client, auth):
    assert client.post("/me/my-data").status_code in (302, 400, 401, 403)
    member = covered_member()
    _copy(client, auth, member)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "member.personal_data_copy")).one()
    assert (event.actor_type, event.entity_id) == ("member", str(member.id))
