"""A kiosk's member block must match the member record; a stranger becomes an unverified member."""

import pytest

from portal import clock
from portal.domain.errors import InvalidInput
from portal.extensions import db
from portal.services.sync.members import member_for
from portal.services.unit_of_work import transaction
from tests.factories import create_member


def test_a_matching_block_finds_the_member(federation):
    member = create_member(name="虞建国", union=federation)
    found = member_for({"id_number": member.id_number, "name": "虞 建国", "mobile": member.mobile}, now=clock.now())
    assert found.id == member.id


@pytest.mark.parametrize("field", ["name", "mobile"])
def test_a_block_that_differs_from_the_record_is_refused(federation, field):
    member = create_member(name="虞建国", union=federation)
    block = {"id_number": member.id_number, "name": "虞建国", "mobile": member.mobile}
    block[field] = {"name": "虞建华", "mobile": "13900000000"}[field]
    with pytest.raises(InvalidInput) as refused:
        member_for(block, now=clock.now())
    assert refused.value.code == "member_mismatch"


def test_a_stranger_is_created_unverified(federation):
    from datetime import date

    from portal.domain.identity import compose_id_number

    number = compose_id_number("320213", date(1990, 1, 1), 123)
    with transaction():
        member = member_for({"id_number": number, "name": "新人", "mobile": "13861800009"}, now=clock.now(),
                            occupation="快递员", is_gig_worker=True)
    db.session.expire_all()
    assert member.is_verified is False and member.is_gig_worker and member.mobile == "13861800009"


def test_a_garbled_id_number_is_refused_with_the_rules_message(federation):
    with pytest.raises(InvalidInput) as refused:
        member_for({"id_number": "320213199001010013", "name": "某人", "mobile": "13861800009"}, now=clock.now())
    assert refused.value.message


def test_the_members_a_batch_names_are_found_as_one_by_one_with_the_same_checks(federation):
    """``loaded_for`` reads the batch's members in one query; what ``member_for`` answers must be
    what it answers without it: the same member (hardship record and all), the same refusal of
    a block that does not match, and one new member for a stranger named twice in the batch."""
    from datetime import date

    from sqlalchemy import func, select

    from portal.domain.identity import compose_id_number
    from portal.models import Member
    from portal.pii import lookup_hash
    from portal.services.sync.members import loaded_for

    known = create_member(name="虞建国", union=federation, is_hardship_family=True)
    plain = create_member(name="钱小红", union=federation)
    db.session.commit()
    block = {"id_number": known.id_number, "name": "虞建国", "mobile": known.mobile}
    other = {"id_number": plain.id_number, "name": "钱小红", "mobile": plain.mobile}
    stranger = {"id_number": compose_id_number("320213", date(1991, 2, 3), 77), "name": "新人",
                "mobile": "13861800019"}
    batch = [{"payload": {"member": block}}, {"payload": {"parent": other}}, {"payload": {"member": stranger}},
             {"payload": {"parent": stranger}}, {"payload": {"member": {"id_number": "junk"}}}, "not an envelope"]
    db.session.expire_all()
    now = clock.now()
    with transaction(), loaded_for(batch, now=now):
        found = member_for(block, now=now)
        assert found.id == known.id and found.is_hardship_family
        assert member_for(other, now=now).id == plain.id and not member_for(other, now=now).is_hardship_family
        with pytest.raises(InvalidInput) as refused:
            member_for({**block, "mobile": "13900000000"}, now=now)
        assert refused.value.code == "member_mismatch"
        first = member_for(stranger, now=now)
        assert member_for(stranger, now=now) is first
    assert db.session.scalar(select(func.count()).select_from(Member).where(
        Member.id_number_hash == lookup_hash(stranger["id_number"]))) == 1
    assert not db.session.info.get("sync_members_loaded")
