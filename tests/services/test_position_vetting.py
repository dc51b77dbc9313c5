"""A caring enterprise's new position waits for its union's approval before it is public."""

from datetime import date

import pytest
from sqlalchemy import select

from portal.domain import jobs as rules
from portal.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from portal.domain.jobs import PositionStatus
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent, SmsMessage, StaffUser
from portal.models.unions import UnionKind
from portal.services.jobs import access, applications, positions, queries
from portal.services.sync import entities
from tests.factories import TODAY, create_enterprise, create_position, create_staff, create_student, create_union


@pytest.fixture
def area():
    district = create_union("HS", "惠山区总工会", kind=UnionKind.DISTRICT)
    street = create_union("HS01", "长安街道总工会", parent=district, kind=UnionKind.STREET)
    other = create_union("LX", "梁溪区总工会", kind=UnionKind.DISTRICT)
    enterprise = create_enterprise(union=street, contact_username="ent_vet")
    return {
        "enterprise": enterprise,
        "contact": db.session.scalar(select(StaffUser).where(StaffUser.username == "ent_vet")),
        "officer": create_staff("officer_hs", Role.UNION_OFFICER, union=district),
        "outsider": create_staff("officer_lx", Role.UNION_OFFICER, union=other),
    }


def _details(**changes):
    values = dict(title="财务助理", description="协助录入凭证", district="惠山区", address="长安街道1号",
                  majors="会计", places=2, pay_yuan="150", pay_unit="day", starts_on=date(2026, 7, 20),
                  ends_on=date(2026, 8, 20), apply_by=date(2026, 7, 15), hours="9:00—17:00", min_age=16,
                  safety_notes="不安排夜班", agreement_confirmed=True)
    values.update(changes)
    return positions.PositionDetails(**values)


def _listed(today=TODAY) -> set[int]:
    return {p.id for p in queries.search_positions(queries.PositionFilters(), today=today)[0]}


def test_a_new_position_is_not_public_until_its_union_approves_it(area):
    position = positions.post_position(area["contact"], _details(), today=TODAY)
    assert position.status == PositionStatus.PENDING and position.status_label == "待工会审核"
    assert position.id not in _listed()
    with pytest.raises(NotFound):
        access.public_position(position.id)
    assert str(position.id) not in entities._position_ids("", 100, None, TODAY)  # nor sent to kiosks
    student = create_student()
    with pytest.raises(NotFound):
        applications.apply_for_child(student.parent, student.id, position.id, today=TODAY)
    with pytest.raises(Conflict, match="待工会审核"):  # the rule itself, for any other door
        applications.submit(student, position, motivation="", channel="member", actor=student.parent, today=TODAY)

    with pytest.raises(PermissionDenied):  # another district's officer cannot publish it
        positions.review_position(area["outsider"], position.id, approve=True, today=TODAY)
    positions.review_position(area["officer"], position.id, approve=True, today=TODAY)
    assert position.status == PositionStatus.OPEN and position.reviewed_by_id == area["officer"].id
    assert position.id in _listed() and access.public_position(position.id) is position
    text = db.session.scalar(select(SmsMessage).where(SmsMessage.kind == "jobs_position_reviewed"))
    assert "已通过工会审核" in text.body and str(position.id) in text.body
    with pytest.raises(Conflict, match="已审核"):  # a second click changes nothing
        positions.review_position(area["officer"], position.id, approve=False, note="重复", today=TODAY)


def test_a_refusal_needs_a_reason_which_the_enterprise_is_texted_and_shown(area):
    position = positions.post_position(area["contact"], _details(), today=TODAY)
    with pytest.raises(InvalidInput, match="写明原因"):
        positions.review_position(area["officer"], position.id, approve=False, note="  ", today=TODAY)
    positions.review_position(area["officer"], position.id, approve=False, note="报酬低于最低工资标准", today=TODAY)
    assert position.status == PositionStatus.REJECTED and position.review_note == "报酬低于最低工资标准"
    assert position.closed_label_on(TODAY) == "未通过工会审核"
    text = db.session.scalar(select(SmsMessage).where(SmsMessage.kind == "jobs_position_reviewed"))
    assert "未通过审核：报酬低于最低工资标准" in text.body
    assert position.id not in _listed()
    with pytest.raises(NotFound):
        access.public_position(position.id)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "jobs.position_reject"))
    assert audit.entity_id == str(position.id) and audit.details["note"] == "报酬低于最低工资标准"


def test_a_position_past_its_deadline_is_not_approved_and_closes_with_the_daily_sweep(area):
    position = positions.post_position(area["contact"], _details(), today=TODAY)
    late = date(2026, 7, 16)
    with pytest.raises(Conflict, match="截止日期已过"):
        positions.review_position(area["officer"], position.id, approve=True, today=late)
    assert positions.close_expired_positions(today=late) == 1
    db.session.expire_all()
    assert (position.status, position.closed_reason) == ("closed", "deadline")


def test_positions_already_published_stay_public(area):
    published = create_position(area["enterprise"])  # as the demo data and every earlier position
    assert published.status == "open" and published.id in _listed()


def test_the_union_sees_positions_waiting_for_it_first(area):
    older = create_position(area["enterprise"], title="早先的岗位")
    waiting = positions.post_position(area["contact"], _details(), today=TODAY)
    newer = create_position(area["enterprise"], title="后来的岗位")
    assert [p.id for p in queries.union_positions(area["officer"])] == [waiting.id, newer.id, older.id]
    assert [p.id for p in queries.union_positions(area["officer"], status="pending")] == [waiting.id]
    assert queries.union_positions(area["outsider"]) == []


def test_the_position_states_have_one_set_of_words():
    assert set(rules.POSITION_STATUS_LABELS) == set(PositionStatus)
    assert rules.POSITION.initial == PositionStatus.PENDING
    assert not rules.POSITION.can(PositionStatus.REJECTED, rules.PositionAction.APPROVE)

