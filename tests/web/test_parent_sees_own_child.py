"""Issue 15, finding 10: a parent saw their own child's name masked (王*明). A parent viewing their
own child — a childcare registration or a work-study student — sees the full name; staff still see
it masked as before, and the child's ID number stays masked for everyone."""

from portal.domain.identity import mask_name
from portal.domain.roles import Role
from portal.extensions import db
from tests.conftest import Auth
from tests.factories import (
    create_application,
    create_child,
    create_childcare_class,
    create_enterprise,
    create_member,
    create_placement,
    create_position,
    create_registration,
    create_staff,
    create_student,
    create_union,
)


def test_a_parent_sees_their_own_childs_full_name_and_the_organiser_a_masked_one(app):
    park = create_union("XW01", "新吴区软件园工会")
    parent = create_member(union=park, name="王建国")
    child = create_child(parent, name="王小明")
    cls = create_childcare_class(park)
    registration = create_registration(cls, parent, child=child)
    create_staff("organiser", Role.CHILDCARE_ORGANISER, union=park)

    phone = app.test_client()
    Auth(phone).member(parent)
    for url in ("/childcare/mine", f"/childcare/registrations/{registration.id}"):
        page = phone.get(url).get_data(as_text=True)
        assert "王小明" in page, url
        assert mask_name("王小明") not in page, url
        assert child.id_number not in page, url

    organiser = app.test_client()
    Auth(organiser).staff("organiser")
    roster = organiser.get(f"/childcare/manage/{cls.id}").get_data(as_text=True)
    assert mask_name("王小明") in roster and "王小明" not in roster


def test_a_parent_sees_their_own_students_full_name(app):
    street = create_union("HS0101", "长安街道总工会")
    parent = create_member(union=street, name="李建国")
    student = create_student(parent, name="李明明")
    placement = create_placement(create_application(create_position(create_enterprise(union=street)), student))
    db.session.commit()
    phone = app.test_client()
    Auth(phone).member(parent)
    for url in ("/jobs/me", f"/jobs/me/placements/{placement.id}"):
        page = phone.get(url).get_data(as_text=True)
        assert "李明明" in page and mask_name("李明明") not in page, url
        assert student.id_number not in page, url
