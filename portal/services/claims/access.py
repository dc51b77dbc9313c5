"""Who may see or change a claim: the member it belongs to, an officer of its union, reviewers."""

from __future__ import annotations

from portal.domain.claims import EDITABLE_BY_CLAIMANT
from portal.domain.errors import Conflict, NotFound, PermissionDenied
from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.models.claims import Claim, ClaimDocument
from portal.services import audit
from portal.services.access import require_union_in_scope, role_of
from portal.services.records import get_or_not_found

# Roles that see every claim (and its documents); officers see their union's, members their own.
REVIEW_ROLES = (Role.REVIEWER, Role.ADMIN)
CLAIM_NOT_FOUND = N_("找不到该理赔申请，请从“我的理赔”列表进入。")
NOT_EDITABLE = N_("该申请当前状态为“%(status)s”，不能再修改。如有疑问请联系所在工会。")
STALE = N_("该申请刚刚已被他人处理或修改，请刷新页面查看最新状态后再操作。")


def get_claim(claim_id) -> Claim:
    return get_or_not_found(Claim, claim_id, CLAIM_NOT_FOUND)


def get_document(document_id) -> ClaimDocument:
    return get_or_not_found(ClaimDocument, document_id, N_("找不到该材料。"))


def require_claim_access(actor, claim: Claim) -> None:
    """The member it belongs to, an officer of its union (subtree), or a reviewer/administrator."""
    role = role_of(actor)
    if role is Role.MEMBER:
        if claim.member_id != actor.id:
            raise NotFound(CLAIM_NOT_FOUND)  # do not confirm it exists
        return
    if role in REVIEW_ROLES:
        return
    if role is Role.UNION_OFFICER:
        require_union_in_scope(actor, claim.union)
        return
    raise PermissionDenied()


def require_claimant(actor, claim: Claim) -> None:
    """Filing and editing: the member themself or their union officer, not reviewers."""
    if role_of(actor) not in (Role.MEMBER, Role.UNION_OFFICER):
        raise PermissionDenied(N_("理赔申请由会员本人或所在工会经办人填写。"))
    require_claim_access(actor, claim)


def require_editable(claim: Claim) -> None:
    if claim.status not in EDITABLE_BY_CLAIMANT:
        raise Conflict(NOT_EDITABLE, code="claim_state", status=claim.status_label)


def check_version(claim: Claim, version: int | None) -> None:
    """Refuse a write based on an older page than the claim now is (someone acted meanwhile)."""
    if version is not None and not same_version(version, claim.version_id):
        raise Conflict(STALE, code="stale")


def same_version(seen: object, current: int) -> bool:
    """Whether the version a page was built on is the current one; a garbled one never is."""
    try:
        return int(seen) == current
    except (TypeError, ValueError):
        return False


def actor_label(actor) -> str:
    """Who did it, for the staff's records (a document's uploader)."""
    return audit.actor_label(actor)[:80]
