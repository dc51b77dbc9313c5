"""Administrators edit and move unions; moving a union carries its subtree and officers' scopes follow."""

import pytest
from sqlalchemy import func, select

from portal.domain.errors import InvalidInput, PermissionDenied
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent, Union
from portal.models.unions import UnionKind
from portal.services import unions
from portal.services.access import union_scope
from tests.conftest import csrf_token, post_form
from tests.factories import create_member, create_staff, create_union


@pytest.fixture
def tree():
    city = create_union("FED", "市总工会", kind=UnionKind.FEDERATION)
    lx = create_union("LX", "梁溪区总工会", parent=city, kind=UnionKind.DISTRICT)
    hs = create_union("HS", "惠山区总工会", parent=city, kind=UnionKind.DISTRICT)
    street = create_union("LX01", "崇安寺街道总工会", parent=lx, kind=UnionKind.STREET)
    shop = create_union("LX0101", "某商场工会", parent=street)
    return {"city": city, "lx": lx, "hs": hs, "street": street, "shop": shop,
            "admin": create_staff("admin", Role.ADMIN),
            "lx_officer": create_staff("lx_officer", Role.UNION_OFFICER, union=lx),
            "hs_officer": create_staff("hs_officer", Role.UNION_OFFICER, union=hs)}


def _visible_members(officer) -> set[str]:
    from portal.models import Member

    return set(db.session.scalars(union_scope(select(Member.name), officer, Member.union_id)))


def test_moving_a_union_moves_its_subtree_and_the_scopes_follow(tree):
    create_member(union=tree["shop"], name="商场职工")
    assert _visible_members(tree["lx_officer"]) == {"商场职工"} and _visible_members(tree["hs_officer"]) == set()
    unions.move_union(tree["admin"], "LX01", parent_code="hs")
    db.session.expire_all()
    street, shop, hs = (db.session.get(Union, tree[k].id) for k in ("street", "shop", "hs"))
    assert street.parent_id == hs.id and street.path == f"{hs.path}{street.id}/"
    assert shop.path == f"{street.path}{shop.id}/" and shop.district == hs.district
    assert _visible_members(tree["hs_officer"]) == {"商场职工"} and _visible_members(tree["lx_officer"]) == set()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "union.move"))
    assert event.details["from_parent"] == "LX" and event.details["to_parent"] == "HS"


def test_a_union_cannot_be_moved_into_its_own_subtree(tree):
    with pytest.raises(InvalidInput, match="自己或它的下级"):
        unions.move_union(tree["admin"], "LX", parent_code="LX0101")
    with pytest.raises(InvalidInput, match="自己或它的下级"):
        unions.move_union(tree["admin"], "LX", parent_code="LX")
    with pytest.raises(InvalidInput, match="最上级"):
        unions.move_union(tree["admin"], "FED", parent_code="LX")
    with pytest.raises(InvalidInput, match="基层工会下"):
        unions.move_union(tree["admin"], "HS", parent_code="LX0101")
    with pytest.raises(PermissionDenied):
        unions.move_union(tree["lx_officer"], "LX01", parent_code="HS")
    db.session.expire_all()
    assert db.session.get(Union, tree["lx"].id).path == f"/{tree['city'].id}/{tree['lx'].id}/"


def test_an_administrator_edits_and_moves_a_union_through_the_pages(client, auth, tree):
    auth.staff("admin")
    page = client.get("/staff/unions/LX01")
    assert page.status_code == 200 and "崇安寺街道总工会" in page.get_data(as_text=True)
    post_form(client, "/staff/unions/LX01", {"name": "崇安寺街道工会联合会", "kind": "street", "district": "梁溪区",
                                              "contact_name": "周主席", "contact_phone": "0510-8888"})
    db.session.expire_all()
    assert db.session.get(Union, tree["street"].id).name == "崇安寺街道工会联合会"
    refused = post_form(client, "/staff/unions/LX", {"move-parent_code": "LX0101"})
    assert "自己或它的下级" in refused.get_data(as_text=True)
    post_form(client, "/staff/unions/LX01", {"move-parent_code": "HS"})
    db.session.expire_all()
    assert db.session.get(Union, tree["street"].id).parent_id == tree["hs"].id
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "union.update"))
    auth.logout()
    auth.staff("lx_officer")
    assert client.get("/staff/unions/LX01").status_code == 403


def _sheet(rows) -> bytes:
    from portal.integrations.spreadsheets import write_xlsx

    return write_xlsx(list(unions.IMPORT_HEADERS), rows, text_columns=(0, 3))


def test_an_import_creates_updates_and_moves_unions_whatever_the_row_order(client, auth, tree):
    import io

    content = _sheet([
        ["BH0101", "滨湖某公司工会", "基层工会", "BH", "滨湖区"],  # its parent comes further down
        ["BH", "滨湖区总工会", "区（市）总工会", "FED", "滨湖区"],
        ["LX01", "崇安寺街道总工会", "街道（园区）总工会", "HS", ""],  # moved
        ["LX0101", "某商场工会（新名）", "基层工会", "LX01", ""],  # renamed
    ])
    auth.staff("admin")
    answer = client.post("/staff/unions/import", data={
        "csrf_token": csrf_token(client, "/staff/unions/import"),
        "file": (io.BytesIO(content), "工会.xlsx")}, content_type="multipart/form-data")
    assert answer.status_code == 302
    db.session.expire_all()
    bh = db.session.scalar(select(Union).where(Union.code == "BH"))
    company = db.session.scalar(select(Union).where(Union.code == "BH0101"))
    assert company.parent_id == bh.id and company.path == f"{bh.path}{company.id}/"
    assert db.session.get(Union, tree["street"].id).parent_id == tree["hs"].id
    assert db.session.get(Union, tree["shop"].id).name == "某商场工会（新名）"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "union.import"))
    assert (event.details["created"], event.details["moved"], event.details["updated"]) == (2, 1, 1)


def test_an_import_with_any_problem_changes_nothing_and_says_where(tree):
    before = db.session.scalar(select(func.count(Union.id)))
    with pytest.raises(InvalidInput) as refused:
        unions.import_unions(tree["admin"], _sheet([
            ["NEW1", "新工会", "基层工会", "LX", ""],
            ["NEW2", "", "基层工会", "LX", ""],
            ["LX", "梁溪区总工会", "区（市）总工会", "LX0101", ""],  # a cycle
            ["NEW3", "孤儿工会", "基层工会", "NOWHERE", ""],
        ]), "u.xlsx")
    assert "第3行" in refused.value.params["problems"]  # the empty name, found before anything is written
    with pytest.raises(InvalidInput) as refused:
        unions.import_unions(tree["admin"], _sheet([
            ["NEW1", "新工会", "基层工会", "LX", ""],
            ["LX", "梁溪区总工会", "区（市）总工会", "LX0101", ""],
            ["NEW3", "孤儿工会", "基层工会", "NOWHERE", ""],
        ]), "u.xlsx")
    problems = refused.value.params["problems"]
    assert "第3行" in problems and "第4行" in problems and "找不到上级工会" in problems
    db.session.rollback()
    assert db.session.scalar(select(func.count(Union.id))) == before
    with pytest.raises(PermissionDenied):
        unions.import_unions(tree["lx_officer"], _sheet([]), "u.xlsx")
