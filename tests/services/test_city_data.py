"""City-scale demo data (``demo-data --scale``): at a thousandth of the city, the bulk-written rows
are consistent and read by the portal exactly as its own."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import func, select

from portal.demo import DemoContext
from portal.demo import core as core_demo
from portal.demo import enrollment as enrollment_demo
from portal.demo.city import FIGURES, grow_city
from portal.domain.identity import parse_id_number, parse_mobile
from portal.extensions import db
from portal.models import (
    ChildcareClass,
    Enrollment,
    Kiosk,
    Member,
    Position,
    Registration,
    Station,
    Union,
)
from portal.models.claims import Claim, PayoutBatch, PayoutItem

TODAY = date(2026, 7, 1)
SCALE = 0.001


def _foundation():
    """The part of the small demo the city grows on: districts, staff accounts, the plan."""
    context = DemoContext(today=TODAY, rng=random.Random(1))
    core_demo.load(context, members=3)
    db.session.flush()
    enrollment_demo.load(context)
    db.session.commit()


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_thousandth_of_the_city_is_consistent_and_readable(app):
    _foundation()
    before = {model: _count(model) for model in (Union, Member, Enrollment, Claim, Station, Kiosk, Position,
                                                  ChildcareClass, Registration)}
    counts = grow_city(SCALE, today=TODAY)
    db.session.commit()

    added = {model: _count(model) - before[model] for model in before}
    assert added[Union] == FIGURES["unions"] * SCALE
    assert added[Member] == FIGURES["members"] * SCALE == counts.added["members"]
    assert added[Enrollment] == FIGURES["enrolments"] * SCALE
    assert added[Claim] == FIGURES["claims"] * SCALE
    assert added[Station] == added[Kiosk] == 1
    assert added[Position] >= 1 and added[ChildcareClass] >= 1
    assert added[Registration] == FIGURES["registrations"] * SCALE

    city = list(db.session.scalars(select(Member).join(Union).where(Union.code.like("%G%"))))
    assert len(city) == 300
    # Valid, distinct ID numbers and mobiles, decrypted through the model and found by their hash.
    for member in city:
        parsed = parse_id_number(member.id_number, today=TODAY)
        assert (parsed.gender, parsed.birth_date) == (member.gender, member.birth_date)
        assert parse_mobile(member.mobile) == member.mobile
    assert len({m.id_number for m in city}) == len({m.mobile for m in city}) == 300
    assert Member.by_id_number(city[-1].id_number) == city[-1]
    gig_share = sum(m.is_gig_worker for m in city) / len(city)
    assert 0.05 < gig_share < 0.15
    # Unions hang in the tree: their path ends with their own id under their district's.
    for union in db.session.scalars(select(Union).where(Union.code.like("%G%"))):
        assert union.path == f"{union.parent.path}{union.id}/"

    # Three plan years, at most one cover per member and year; every renewal points at last year's.
    years = db.session.scalars(select(Enrollment.plan_year).where(Enrollment.member_id.in_([m.id for m in city]))
                               .distinct()).all()
    assert sorted(years) == [2024, 2025, 2026]
    for renewal in db.session.scalars(select(Enrollment).where(Enrollment.is_renewal.is_(True),
                                                               Enrollment.member_id.in_([m.id for m in city]))):
        previous = db.session.get(Enrollment, renewal.renews_id)
        assert (previous.member_id, previous.plan_year) == (renewal.member_id, renewal.plan_year - 1)

    # Claims: on their member's own cover, the event inside it; the paid ones in paid batches, once.
    claims = list(db.session.scalars(select(Claim).where(Claim.member_id.in_([m.id for m in city]))))
    paid = [claim for claim in claims if claim.status == "paid"]
    assert len(paid) == round(FIGURES["paid"] * SCALE)
    for claim in claims:
        cover = claim.enrollment
        assert cover.member_id == claim.member_id and cover.plan_year == claim.plan_year
        assert cover.starts_on <= claim.event_date <= cover.ends_on
    for claim in paid:
        item = db.session.scalar(select(PayoutItem).where(PayoutItem.claim_id == claim.id))
        assert item is not None and item.amount_fen == claim.approved_fen
        assert item.batch.status == "paid" and item.batch.bank_reference and claim.paid_at == item.batch.paid_at
        assert item.bank_card.endswith(claim.bank_card_last4)
    assert sum(claim.approved_fen for claim in paid) == round(FIGURES["paid_fen"] * SCALE)
    for batch in db.session.scalars(select(PayoutBatch).where(PayoutBatch.id.in_(
            select(PayoutItem.batch_id).where(PayoutItem.claim_id.in_([c.id for c in claims]))))):
        assert batch.claim_count == len(batch.items)
        assert batch.total_fen == sum(item.amount_fen for item in batch.items)
    # Every submitted claim has its timeline; a paid one ends with the transfer.
    assert all(claim.events for claim in claims)
    assert all(claim.events[-1].kind == "paid" for claim in paid)

    # Childcare: no class over its seats.
    for cls in db.session.scalars(select(ChildcareClass)):
        confirmed = _count(Registration, Registration.class_id == cls.id, Registration.status == "confirmed")
        assert confirmed == cls.seats_taken <= cls.seats


def test_growing_twice_adds_a_second_slice_with_new_people(app):
    _foundation()
    grow_city(SCALE, today=TODAY)
    grow_city(SCALE, today=TODAY)
    db.session.commit()
    city = db.session.scalars(select(Member).join(Union).where(Union.code.like("%G%"))).all()
    assert len(city) == 600
    assert len({member.id_number_hash for member in city}) == 600
