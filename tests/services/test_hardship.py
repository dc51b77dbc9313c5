"""The hardship register: scope, levels, history, and the priority rules that read it."""

from datetime import date

import pytest

from portal.domain.errors import Conflict, InvalidInput, PermissionDenied
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent, UnionKind
from portal.services import hardship
from tests.factories import create_hardship_family, create_member, create_staff, create_union

TODAY = date(2026, 7, 1)
NEXT_YEAR = date(2027, 6, 30)


@pytest.fixture
def tree():
    federation = create_union("WX", "无锡市总工会", kind=UnionKind.FEDERATION)
    district = create_union("LX", "梁溪区总工会", parent=federation, kind=UnionKind.DISTRICT)
    grassroots = create_union("LX01", "梁溪快递工会", parent=district)
    other = create_union("BH01", "滨湖某工会", parent=federation)
    return federation, district, grassroots, other


def _data(level="grassroots", reason="因病致困", review_on=NEXT_YEAR):
    return hardship.FamilyInput(level=level, reason=reason, review_on=review_on)


def test_a_grassroots_officer_registers_its_members_at_grassroots_level_only(tree):
    _, _, grassroots, other = tree
    officer = create_staff("lx01", Role.UNION_OFFICER, union=grassroots)
    member, stranger = create_member(union=grassroots), create_member(union=other)
    family = hardship.register_family(officer, member.id, _data(), today=TODAY)
    assert family.status == "registered" and member.is_hardship_family
    assert [event.action for event in family.events] == ["register"]
    assert db.session.query(AuditEvent).filter_by(action="hardship.register").count() == 1
    with pytest.raises(PermissionDenied):
        hardship.register_family(officer, stranger.id, _data(), today=TODAY)
    with pytest.raises(PermissionDenied):
        hardship.register_family(officer, create_member(union=grassroots).id, _data("city"), today=TODAY)
    with pytest.raises(Conflict):
        hardship.register_family(officer, member.id, _data(), today=TODAY)


def test_a_district_officer_reviews_removes_and_registers_again_with_history(tree):
    _, district, grassroots, _ = tree
    officer = create_staff("lx", Role.UNION_OFFICER, union=district)
    member = create_member(union=grassroots)
    family = hardship.register_family(officer, member.id, _data("district"), today=TODAY)
    hardship.review_family(officer, family.id, review_on=date(2027, 3, 1), note="收入未变", today=TODAY)
    assert family.status == "reviewed" and family.review_on == date(2027, 3, 1)
    with pytest.raises(InvalidInput):
        hardship.remove_family(officer, family.id, note=" ")
    hardship.remove_family(officer, family.id, note="家庭收入已改善")
    assert not member.is_hardship_family
    with pytest.raises(Conflict):
        hardship.review_family(officer, family.id, review_on=date(2027, 3, 1), today=TODAY)
    again = hardship.register_family(officer, member.id, _data("grassroots", "再次因病致困"), today=TODAY)
    assert again.id == family.id and again.status == "registered" and again.level == "grassroots"
    assert [event.action for event in again.events] == ["register", "review", "remove", "restore"]


def test_a_district_officer_cannot_touch_a_city_level_record(tree):
    _, district, grassroots, _ = tree
    officer = create_staff("lx", Role.UNION_OFFICER, union=district)
    family = create_hardship_family(create_member(union=grassroots), level="city")
    with pytest.raises(PermissionDenied):
        hardship.review_family(officer, family.id, review_on=NEXT_YEAR, today=TODAY)
    with pytest.raises(PermissionDenied):
        hardship.remove_family(officer, family.id, note="x")
    admin = create_staff("admin1")
    hardship.review_family(admin, family.id, review_on=NEXT_YEAR, today=TODAY)
    assert family.status == "reviewed"


def test_the_register_lists_the_actors_scope_due_reviews_first(tree):
    _, district, grassroots, other = tree
    officer = create_staff("lx", Role.UNION_OFFICER, union=district)
    late = create_hardship_family(create_member(union=grassroots), review_on=date(2026, 6, 1))
    soon = create_hardship_family(create_member(union=grassroots), review_on=date(2026, 9, 1))
    create_hardship_family(create_member(union=other))
    gone = create_hardship_family(create_member(union=grassroots), status="removed")
    rows, total = hardship.register_page(officer, hardship.RegisterFilters(), today=TODAY)
    assert [row.id for row in rows] == [late.id, soon.id] and total == 2
    due, _ = hardship.register_page(officer, hardship.RegisterFilters(due_only=True), today=TODAY)
    assert [row.id for row in due] == [late.id]
    removed, _ = hardship.register_page(officer, hardship.RegisterFilters(status="removed"), today=TODAY)
    assert [row.id for row in removed] == [gone.id]
    with pytest.raises(PermissionDenied):
        hardship.register_page(create_member(union=grassroots), hardship.RegisterFilters())


def test_work_study_and_childcare_priority_read_the_register(tree):
    """Childcare's family category and a work-study application's priority come from the register:
    a removed family loses them."""
    from portal.domain.childcare import PriorityCategory
    from portal.services.childcare.registrations import recorded_category
    from portal.services.jobs import applications
    from tests.factories import create_enterprise, create_position, create_student

    _, _, grassroots, _ = tree
    member = create_member(union=grassroots, occupation="企业职工")
    family = create_hardship_family(member)
    assert recorded_category(member) is PriorityCategory.HARDSHIP_FAMILY
    position = create_position(create_enterprise(union=grassroots), places=3)
    first = applications.apply_for_child(member, create_student(member).id, position.id, today=TODAY)
    assert first.is_priority
    family.status = "removed"
    db.session.commit()
    db.session.expire_all()
    assert recorded_category(member) is PriorityCategory.GENERAL
    second = applications.apply_for_child(member, create_student(member, name="李亮").id, position.id, today=TODAY)
    assert not second.is_priority
