"""Who an envelope is for: the member block of a kiosk submission, matched against the member record.

No one signs in at a kiosk, so the block (name, ID number, mobile) must match the record exactly
as the person registered it: a different name or mobile is refused (``member_mismatch``), never
"corrected" from a kiosk. Someone unknown to the portal is created unverified; the areas start
no cover until a text confirms the mobile.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_
from portal.domain.identity import parse_id_number, parse_mobile
from portal.extensions import db
from portal.models import Member, Union
from portal.pii import lookup_hash

MISMATCH = N_("姓名、身份证号和手机号与会员登记信息不一致。请核对后重新提交，或到所在工会更正登记信息。")


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
    member = Member.by_id_number(parsed.value)
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
