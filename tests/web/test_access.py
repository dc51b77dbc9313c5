from datetime import timedelta

import pytest

from portal import clock
from portal.domain.roles import Role
from portal.models import Member
from portal.services.access import union_scope
from tests.factories import create_member, create_staff, create_union

STAFF_PAGES = {"/staff/accounts", "/staff/texts", "/staff/audit"}


@pytest.mark.parametrize("role", [Role.UNION_OFFICER, Role.REVIEWER, Role.CHILDCARE_ORGANISER, Role.ENTERPRISE])
def test_admin_pages_are_forbidden_to_other_staff(client, auth, role):
    create_staff("someone", role, union=create_union())
    auth.staff("someone")
    assert client.get("/staff/").status_code == 200
    for url in STAFF_PAGES:
        assert client.get(url).status_code == 403, url


def test_admin_sees_admin_pages(client, auth):
    create_staff("admin1", Role.ADMIN)
    auth.staff("admin1")
    for url in STAFF_PAGES:
        assert client.get(url).status_code == 200, url


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in ["/staff/", "/me/", *STAFF_PAGES]:
        answer = client.get(url)
        assert answer.status_code == 302 and "/auth/" in answer.headers["Location"], url


def test_members_cannot_open_staff_pages(client, auth):
    auth.member(create_member())
    assert client.get("/staff/").status_code == 403
    assert client.get("/staff/texts").status_code == 403


def test_staff_cannot_open_member_pages(client, auth):
    create_staff("admin1", Role.ADMIN)
    auth.staff("admin1")
    assert client.get("/me/").status_code == 403


def test_union_officer_scope_is_its_own_subtree():
    from sqlalchemy import select

    from portal.extensions import db

    district = create_union(name="梁溪区总工会")
    mine = create_union(name="快递工会", parent=district)
    sibling = create_union(name="环卫工会", parent=district)
    inside = create_member(union=mine, name="甲")
    create_member(union=sibling, name="乙")
    officer = create_staff("officer", Role.UNION_OFFICER, union=mine)
    district_officer = create_staff("district", Role.UNION_OFFICER, union=district)
    admin = create_staff("admin", Role.ADMIN)

    def visible(actor):
        return {m.name for m in db.session.scalars(union_scope(select(Member), actor, Member.union_id))}

    assert visible(officer) == {inside.name}
    assert visible(district_officer) == {"甲", "乙"}
    assert visible(admin) == {"甲", "乙"}


def test_admin_adds_a_union_and_officers_see_only_their_subtree(client, auth):
    from tests.conftest import post_form

    district = create_union("LX", "梁溪区总工会")
    create_union("XS", "锡山区总工会")
    create_staff("admin1", Role.ADMIN)
    auth.staff("admin1")
    answer = post_form(client, "/staff/unions", {"code": "lx09", "name": "梁溪区外卖行业工会",
                                                 "kind": "grassroots", "parent_code": "LX"})
    assert answer.status_code == 302
    duplicate = post_form(client, "/staff/unions", {"code": "LX09", "name": "重复", "kind": "grassroots",
                                                    "parent_code": "LX"})
    assert "已被使用" in duplicate.get_data(as_text=True)
    auth.logout()
    create_staff("officer", Role.UNION_OFFICER, union=district)
    auth.staff("officer")
    page = client.get("/staff/unions").get_data(as_text=True)
    assert "梁溪区外卖行业工会" in page and "锡山区总工会" not in page
    assert "添加工会" not in page


def test_an_officer_registers_a_hardship_family_of_its_own_union_only(client, auth):
    from portal.extensions import db
    from portal.models import AuditEvent
    from tests.conftest import post_form

    mine, other = create_union("LX01"), create_union("XS01")
    member = create_member(union=mine, name="困难户")
    stranger = create_member(union=other, name="别家")
    create_staff("officer", Role.UNION_OFFICER, union=mine)
    auth.staff("officer")
    page = client.get("/enrollment/members").get_data(as_text=True)
    assert f"/hardship/new/{member.id}" in page and f"/hardship/new/{stranger.id}" not in page
    form = {"level": "grassroots", "reason": "因病致困", "review_on": "2099-01-01"}
    refused = post_form(client, f"/hardship/new/{member.id}", form)
    assert refused.status_code == 200 and "一年以内" in refused.get_data(as_text=True)
    review_on = (clock.today() + timedelta(days=200)).isoformat()
    post_form(client, f"/hardship/new/{member.id}", {**form, "review_on": review_on})
    db.session.refresh(member)
    assert member.is_hardship_family and member.hardship.level == "grassroots"
    assert db.session.query(AuditEvent).filter_by(action="hardship.register").count() == 1
    assert "困难职工家庭 · 基层" in client.get("/enrollment/members").get_data(as_text=True)
    assert client.get(f"/hardship/new/{stranger.id}").status_code == 403
    db.session.refresh(stranger)
    assert not stranger.is_hardship_family
