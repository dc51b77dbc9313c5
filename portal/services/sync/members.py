"""Who an envelope is for: the member block of a kiosk submission, matched against the member record.

No one signs in at a kiosk, so the block (name, ID number, mobile) must match the record exactly
as the person registered it: a different name or mobile is refused (``member_mismatch``), never
"corrected" from a kiosk. Someone unknown to the portal is created unverified; the areas start
no cover until a text confirms the mobile.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_
from portal.domain.identity import parse_id_number, parse_mobile
from portal.extensions import db
from portal.models import Member, Union
from portal.pii import lookup_hash

MISMATCH = N_("姓名、身份证号和手机号与会员登记信息不一致。请核对后重新提交，或到所在工会更正登记信息。")
# The blocks of a payload that name a person: the member (cover, claims, gifts) or the parent
# (childcare, work-study).
PERSON_BLOCKS = ("member", "parent")
_LOADED = "sync_members_loaded"  # session.info: id-number hash -> Member, for the batch being applied


@contextmanager
def loaded_for(envelopes: Iterable, *, now: datetime) -> Iterator[None]:
    """Load the members a batch names in one query, for ``member_for`` to find without one each.

    Only members found are kept: a person unknown when the batch started is still looked for
    by the one query per envelope (an earlier envelope of the batch, or another push meanwhile,
    may have created them). Every check ``member_for`` makes runs as before on what it finds; the
    member is the same session object a query of its own would have returned, with its hardship
    record (childcare and work-study priority read it) loaded in the same go.
    """
    digests = set()
    for raw in envelopes:
        payload = raw.get("payload") if isinstance(raw, dict) else None
        for key in PERSON_BLOCKS:
            block = payload.get(key) if isinstance(payload, dict) else None
            if isinstance(block, dict):
                try:
                    digests.add(lookup_hash(parse_id_number(block.get("id_number"), today=now.date()).value))
                except (InvalidInput, TypeError, ValueError):
                    continue  # refused by member_for with the rule's own message
    session = db.session()
    session.info[_LOADED] = ({member.id_number_hash: member for member in session.scalars(
        select(Member).where(Member.id_number_hash.in_(sorted(digests)))
        .options(selectinload(Member.hardship)))} if digests else {})
    try:
        yield
    finally:
        session.info.pop(_LOADED, None)


def _name(value) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).replace(" ", "").strip()


def member_for(block: dict, *, now: datetime, union: Union | None = None,
               occupation: str | None = None, is_gig_worker: bool | None = None) -> Member:
    """The member the block names, or a new unverified member when the ID number is unknown."""
    parsed = parse_id_number(block.get("id_number"), today=now.date())
    mobile = parse_mobile(block.get("mobile"))
    name = _name(block.get("name"))
    if not name:
        raise InvalidInput(N_("请填写姓名。"), code="member_mismatch", field="name")
    member = db.session().info.get(_LOADED, {}).get(lookup_hash(parsed.value)) or Member.by_id_number(parsed.value)
    if member is not None:
        if _name(member.name) != name or member.mobile_hash != lookup_hash(mobile):
            raise InvalidInput(MISMATCH, code="member_mismatch")
        return member
    member = Member(name=name[:60], union=union, occupation=occupation, is_gig_worker=bool(is_gig_worker),
                    is_verified=False)
    member.set_identity(parsed)
    member.set_mobile(mobile)
    db.session.add(member)
    db.session.flush()
    return member
