"""Walk the whole portal: every route of ``app.url_map``, as every kind of visitor, on the demo
federation (which has an object of every kind). Used by the standing proofs of issue 12: headers
on every page, no 500 from junk, the access policy of every route."""

from __future__ import annotations

import re
from datetime import date

from portal.extensions import db
from tests.conftest import Auth

# One signed-in client per identity; ``None`` is the anonymous visitor.
STAFF = ("admin", "reviewer", "officer", "officer_hs", "organiser", "enterprise")
IDENTITIES = (None, "member", *STAFF)
DEMO_TODAY = date(2026, 7, 1)


def load_world(members: int = 24):
    from portal.demo import load_demo_data

    return load_demo_data(today=DEMO_TODAY, members=members)


def signed_in(app, identity: str | None):
    """A client signed in as ``identity`` through the real forms."""
    from sqlalchemy import select

    from portal.demo.core import DEMO_PASSWORD
    from portal.models import Member, StaffUser

    client = app.test_client()
    auth = Auth(client)
    if identity == "member":
        # The demo member (a courier of the first union), with covers, claims and children.
        member = db.session.scalar(select(Member).order_by(Member.id).limit(1))
        auth.member(member)
    elif identity is not None:
        auth.staff(identity, DEMO_PASSWORD)
        assert db.session.scalar(select(StaffUser).where(StaffUser.username == identity)) is not None
    return client


def rules(app, method: str = "GET"):
    """Every rule that answers ``method``, the static files and the kiosk API aside (signed by
    kiosks, with proofs of their own under tests/sync)."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if method not in (rule.methods or ()) or rule.endpoint == "static" or rule.rule.startswith("/api/"):
            continue
        yield rule


def audience_of(identity: str | None) -> str:
    """The access policy's audience for ``identity`` (``anonymous``, ``member`` or a staff role)."""
    from sqlalchemy import select

    from portal.access_policy import ANONYMOUS
    from portal.domain.roles import Role
    from portal.models import StaffUser

    if identity is None:
        return ANONYMOUS
    if identity == "member":
        return Role.MEMBER
    return Role(db.session.scalar(select(StaffUser.role).where(StaffUser.username == identity)))


def rules_open_to(app, identity: str | None, method: str = "GET"):
    """The rules whose policy lets ``identity`` through: the policy check runs before any view, so a
    refused route never reads its arguments (``test_access_policy`` proves the refusals)."""
    from portal.access_policy import POLICY

    who = audience_of(identity)
    return [rule for rule in rules(app, method) if POLICY[rule.endpoint].allows(who)]


def url_for_rule(rule, value: object = 1) -> str:
    """The rule's path with every argument set to ``value`` (an id, a code)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda match: str(value), rule.rule)
