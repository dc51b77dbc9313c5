"""Demo data: a Wuxi-like federation, members and one staff account per role.

Each area adds a ``load(context)`` step to ``STEPS``; the steps run in order in one transaction.
Everything is deterministic (a seeded random generator) so screenshots and docs stay true.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from portal.demo import childcare as childcare_demo
from portal.demo import claims as claims_demo
from portal.demo import enrollment as enrollment_demo
from portal.demo import evaluation as evaluation_demo
from portal.demo import events as events_demo
from portal.demo import hardship as hardship_demo
from portal.demo import jobs as jobs_demo
from portal.demo import joining as joining_demo
from portal.demo import relief as relief_demo
from portal.demo import stations as stations_demo
from portal.extensions import db
from portal.models import Member, StaffUser, Union
from portal.services.unit_of_work import transaction


@dataclass
class DemoContext:
    today: date
    rng: random.Random
    unions: dict[str, Union] = field(default_factory=dict)
    members: list[Member] = field(default_factory=list)
    staff: dict[str, StaffUser] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # printed after loading: how to sign in
    hardship_candidates: list[Member] = field(default_factory=list)  # grassroots hardship families


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count(Union.id)))


def load_demo_data(today: date | None = None, *, members: int = 300) -> DemoContext:
    """Load every area's demo data into an empty database, all or nothing."""
    from portal.demo import core

    context = DemoContext(today=today or date.today(), rng=random.Random(20230714))  # noqa: DTZ011
    with transaction():
        core.load(context, members=members)
        for step in STEPS:
            db.session.flush()  # each area's loader finds the ids of what came before
            step(context)
    return context


# Areas append their loaders here (each takes the DemoContext).
STEPS: list = [enrollment_demo.load, claims_demo.load, hardship_demo.load, jobs_demo.load, childcare_demo.load,
               events_demo.load, evaluation_demo.load, stations_demo.load, relief_demo.load, joining_demo.load]
