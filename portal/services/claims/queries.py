"""What the claims pages read: a claim for its viewer, the member's and the union's lists, the timeline."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import load_only, selectinload

from portal import clock
from portal.domain.bounds import record_id
from portal.domain.claims import document_label
from portal.domain.errors import InvalidInput, PermissionDenied
from portal.domain.identity import parse_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Member
from portal.models.claims import Claim, ClaimEvent
from portal.services.access import role_of, union_scope
from portal.services.claims import access, assessment


def load_claim(actor, claim_id: int) -> Claim:
    """A claim for someone allowed to see it; to a member, someone else's claim does not exist."""
    claim = access.get_claim(claim_id)
    access.require_claim_access(actor, claim)
    return claim


# What the member's list of claims (claims/index.html) shows: only ``hospital`` of the encrypted
# columns is decrypted (not the diagnosis, disease, accident, bank card, flags or breakdown).
MEMBER_LIST_COLUMNS = (Claim.id, Claim.member_id, Claim.claim_type, Claim.status, Claim.event_date, Claim.hospital,
                       Claim.calculated_fen, Claim.approved_fen, Claim.version_id)


# Built once (the member id is a parameter): building the ``load_only`` options and the statement's
# cache key again on every visit cost a third of the query's own time.
_MEMBER_CLAIMS = (select(Claim).where(Claim.member_id == bindparam("member_id"))
                  .options(load_only(*MEMBER_LIST_COLUMNS)).order_by(Claim.id.desc()))


def member_claims(member) -> list[Claim]:
    """Every claim of the signed-in member, newest first."""
    return list(db.session.scalars(_MEMBER_CLAIMS, {"member_id": member.id}))


def union_claims(actor, *, status: str | None = None, query: str | None = None, page: int = 1,
                 per_page: int = 50, today: date | None = None) -> tuple[list[Claim], int]:
    """The claims of the officer's union subtree (federation-wide for reviewers)."""
    if role_of(actor) not in (Role.UNION_OFFICER, *access.REVIEW_ROLES):
        raise PermissionDenied()
    stmt = union_scope(select(Claim), actor, Claim.union_id)
    if status:
        stmt = stmt.where(Claim.status == status)
    if query:
        stmt = stmt.where(or_(Claim.member_id == _member_id(query, today=today or clock.today()),
                              Claim.id == _reference_id(query)))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.options(selectinload(Claim.member)).order_by(Claim.id.desc())
                              .offset((page - 1) * per_page).limit(per_page))
    return list(rows), total


def _member_id(text: str, *, today: date) -> int:
    """The member an ID number typed in the search box names, or -1 (nobody)."""
    try:
        member = Member.by_id_number(parse_id_number(text, today=today).value)
    except InvalidInput:
        member = None
    return member.id if member else -1


def _reference_id(text: str) -> int:
    found = record_id(text.strip().upper().removeprefix("LP"))
    return found if found is not None else -1


def member_timeline(claim: Claim, actor) -> list[ClaimEvent]:
    """Events the viewer may read: members see the ones meant for them, staff see all."""
    if role_of(actor) is Role.MEMBER:
        return [event for event in claim.events if event.visible_to_member]
    return list(claim.events)


def document_choices(claim: Claim) -> list[tuple[str, str]]:
    """The kinds of document the claimant is asked for, with their labels, for the upload form."""
    return [(kind, document_label(kind)) for kind in assessment.document_kinds(claim)]


def missing_document_kinds(claim: Claim) -> list[str]:
    """What the checklist still lacks, for the "还缺少" notes on the claim's pages."""
    return assessment.missing_document_kinds(claim)
