"""Demo hardship register: 87 city-level families (the heat-relief season pays them 200元 each),
some district-level ones, the grassroots families the core loader drew, a couple due for review
and one removed, so every state of the register shows."""

from __future__ import annotations

import random
from datetime import date, timedelta

from portal.domain.hardship import HARDSHIP, HardshipAction, HardshipLevel, HardshipStatus
from portal.extensions import db
from portal.models import HardshipEvent, HardshipFamily

CITY_FAMILIES = 87
DISTRICT_FAMILIES = 12
REASONS = ("因病致困", "因残致困", "单亲家庭", "子女就学困难", "因灾致困", "下岗失业家庭")


def register(member, level: str, reason: str, today: date, *, registered_on: date | None = None,
             review_on: date | None = None) -> HardshipFamily:
    """Put ``member``'s family on the register as its union would (a family already there is kept)."""
    if member.hardship is not None:
        return member.hardship
    registered_on = registered_on or today - timedelta(days=120)
    family = HardshipFamily(member=member, union=member.union, level=level, reason=reason,
                            registered_on=registered_on, review_on=review_on or registered_on + timedelta(days=365),
                            status=HARDSHIP.initial)
    family.events.append(HardshipEvent(action=HardshipAction.REGISTER, status=family.status, level=level, note=reason,
                                       actor_label="demo"))
    db.session.add(family)
    return family


def load(context) -> None:
    rng = random.Random(87)  # its own generator: the other areas' demo data stays as it was
    today = context.today
    people = [member for member in context.members if member.union is not None]
    rng.shuffle(people)
    city, district = people[:CITY_FAMILIES], people[CITY_FAMILIES:CITY_FAMILIES + DISTRICT_FAMILIES]
    for member in city:
        register(member, HardshipLevel.CITY, rng.choice(REASONS), today)
    for member in district:
        register(member, HardshipLevel.DISTRICT, rng.choice(REASONS), today)
    for member in context.hardship_candidates:
        register(member, HardshipLevel.GRASSROOTS, rng.choice(REASONS), today)
    # Two district families are due for review; one grassroots family left the register.
    for member in district[:2]:
        member.hardship.review_on = today - timedelta(days=3)
    leaving = next((m for m in context.hardship_candidates if m.hardship.level == HardshipLevel.GRASSROOTS), None)
    if leaving is not None:
        HARDSHIP.move(leaving.hardship, HardshipAction.REMOVE)
        leaving.hardship.events.append(HardshipEvent(action=HardshipAction.REMOVE, status=HardshipStatus.REMOVED,
                                                     level=leaving.hardship.level, note="家庭收入已改善",
                                                     actor_label="demo"))
    db.session.flush()
    context.notes.append(f"困难职工档案: {CITY_FAMILIES} 户市级、{DISTRICT_FAMILIES} 户区级及基层建档 (/hardship/)")
