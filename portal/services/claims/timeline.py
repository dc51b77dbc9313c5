"""The claim's timeline and the texts about it: what the member reads, step by step.

Each step is stored as text (the timeline is a record: it says what was said then), written from a
marked template filled in Chinese; a step without parameters stays a bare msgid, which pages
translate for English readers. Texts about a claim are official: their words are templates in
``portal.domain.texts``, and each one sent is a step of the timeline too.
"""

from __future__ import annotations

from datetime import datetime

from portal import clock
from portal.domain.i18n import N_, interpolate
from portal.domain.roles import Role
from portal.domain.texts import text_send_after
from portal.extensions import db
from portal.models.claims import Claim, ClaimEvent
from portal.services.access import role_of
from portal.services.claims.access import REVIEW_ROLES
from portal.services.sms import queue_text

CREATED = N_("开始填写%(claim_type)s理赔申请（草稿已保存）。")
PREFILLED = N_("根据医保出院信息为您预填了住院理赔申请，请核对并补充材料后提交。")
SUBMITTED = N_("申请已提交，等待审核。")
RESUBMITTED = N_("已补充材料并重新提交。")
CHECK_PASSED = N_("自动检查通过。")
CHECK_PASSED_AMOUNT = N_("自动检查通过。系统测算金额%(amount)s。")
CHECK_FLAGGED = N_("自动检查发现需人工核实：%(flags)s")
CHECK_FLAGGED_AMOUNT = N_("自动检查发现需人工核实：%(flags)s系统测算金额%(amount)s。")
IN_REVIEW = N_("审核员已开始审核。")
SAMPLED = N_("批量审核时被随机抽中，转人工逐项审核。")
REJECTED = N_("未予核准。原因：%(reason)s。")
REJECTED_NOTE = N_("未予核准。原因：%(reason)s。审核说明：%(note)s")
OVERRIDE_FIRST_APPROVAL = N_("初审通过，金额%(amount)s。该申请需由第二位审核员复核。")
OVERRIDE_NOTE = N_("例外核准（须第二位审核员复核）：自动检查发现“%(findings)s”，理由：%(justification)s")
NEEDS_DOCUMENTS = N_("需要补充材料：%(detail)s")
FIRST_APPROVAL = N_("初审通过，金额%(amount)s。超过%(threshold)s，等待第二位审核员复核。")
FIRST_APPROVAL_ADJUSTED = N_(
    "初审通过，金额%(amount)s，调整原因：%(reason)s。超过%(threshold)s，等待第二位审核员复核。")
APPROVED = N_("审核通过，核准金额%(amount)s。将转入发放。")
APPROVED_ADJUSTED = N_("审核通过，核准金额%(amount)s（调整原因：%(reason)s）。将转入发放。")
SECOND_APPROVED = N_("复核通过，核准金额%(amount)s。将转入发放。")
SECOND_APPROVED_ADJUSTED = N_("复核通过，核准金额%(amount)s（调整原因：%(reason)s）。将转入发放。")
BATCHED = N_("已列入发放批次，等待银行转账。")
PAID = N_("已转账%(amount)s至尾号%(last4)s的银行卡。")
INVITED = N_("已发送短信，邀请您补充材料并提交申请。")
TEXTED = N_("已发送短信提醒：%(body)s")


def add_event(claim: Claim, kind: str, actor, message: str, params: dict | None = None, *, visible: bool = True,
              at: datetime | None = None) -> ClaimEvent:
    """Add a step to the claim's timeline: ``message`` is one of the templates above, filled in."""
    event = ClaimEvent(claim=claim, kind=kind, actor_label=public_actor(actor),
                       message=interpolate(message, params or {})[:500], visible_to_member=visible)
    if at is not None:
        event.at = at
    db.session.add(event)
    return event


def public_actor(actor) -> str:
    """How the member reads who acted: their own name, "工会经办人", "审核员", never a username."""
    role = role_of(actor)
    if role is Role.MEMBER:
        return N_("本人")
    if role is Role.UNION_OFFICER:
        return N_("工会经办人")
    if role in REVIEW_ROLES:
        return N_("互助会审核员")
    return N_("系统")


def text_claimant(claim: Claim, kind: str, params: dict, *, now: datetime | None = None, bulk: bool = False):
    """Text the claimant about their claim, never in quiet hours.

    ``bulk`` (a payout batch's thousands of texts): the text is held for the minute's delivery
    sweep (``deliver_due_texts``) rather than handed to the queue one task each, which paces
    the provider and keeps the settlement's transactions short.

    Texts answering the member's own claim (documents needed, decision, payment) are service
    messages and go whatever the marketing consent (invitations, which need it, are sent by the
    discharge-list import).
    """
    member = claim.member
    if not member.mobile:
        return None
    now = (now or clock.now()).astimezone(clock.CHINA)
    send_after = text_send_after(now) or (now if bulk else None)
    message = queue_text(member.mobile, kind=kind, params={"reference": claim.reference, **params}, member=member,
                         subject=("claim", claim.id), send_after=send_after)
    add_event(claim, "texted", None, TEXTED, {"body": message.body}, at=now)
    return message
