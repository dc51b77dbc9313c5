"""Joining online (网上入会): a worker on no union roster asks a union to take them as a member.

A join request is made by someone who proved their mobile with a texted code; the union they
chose (or one above it) confirms it, which makes them a member of that union, or declines it with
one of the reasons below, whose member-facing words go into the text (an official text carries
our words only, never an officer's or a visitor's).

Nobody learns from these pages who is a member: a member who "joins" sees the same pages as a
stranger and is told by text, on the mobile the union holds, that they are a member already.
"""

from __future__ import annotations

from enum import StrEnum

from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_
from portal.domain.states import StateMachine

EMPLOYER_MAX = 60  # platform or employer, as the person writes it (shown to staff only)


class JoinStatus(StrEnum):
    SUBMITTED = "submitted"  # waiting for the union
    CONFIRMED = "confirmed"  # a member of the union now
    DECLINED = "declined"  # with a reason


class JoinAction(StrEnum):
    CONFIRM = "confirm"
    DECLINE = "decline"


JOIN_STATUS_LABELS = {
    JoinStatus.SUBMITTED: N_("待工会确认"),
    JoinStatus.CONFIRMED: N_("已入会"),
    JoinStatus.DECLINED: N_("未予确认"),
}

JOIN = StateMachine(
    name="join_request", statuses=JoinStatus, labels=JOIN_STATUS_LABELS, initial=JoinStatus.SUBMITTED,
    transitions={
        (JoinStatus.SUBMITTED, JoinAction.CONFIRM): JoinStatus.CONFIRMED,
        (JoinStatus.SUBMITTED, JoinAction.DECLINE): JoinStatus.DECLINED,
    },
    action_labels={JoinAction.CONFIRM: N_("确认入会"), JoinAction.DECLINE: N_("不予确认")},
)


class DeclineReason(StrEnum):
    """Why a union does not take someone: the words are what the person reads in the text."""

    OUTSIDE_AREA = "outside_area"
    NOT_A_WORKER = "not_a_worker"
    DETAILS_UNCLEAR = "details_unclear"
    ANOTHER_UNION = "another_union"


DECLINE_REASONS = {
    DeclineReason.OUTSIDE_AREA: N_("工作地点不在本工会服务范围内，请向工作所在地的工会申请"),
    DeclineReason.NOT_A_WORKER: N_("暂不符合入会条件（须为以工资收入为主要生活来源的职工或新就业形态劳动者）"),
    DeclineReason.DETAILS_UNCLEAR: N_("职业或工作单位信息无法核实，请补充工作证明后重新申请"),
    DeclineReason.ANOTHER_UNION: N_("您所在的企业已建立工会，请向企业工会申请入会"),
}


def decline_reason(code: str) -> DeclineReason:
    """The chosen reason, or ``InvalidInput`` under the reason field."""
    try:
        return DeclineReason(code)
    except ValueError:
        raise InvalidInput(N_("请选择不予确认的原因，申请人会收到这条说明。"), field="reason") from None


def clean_employer(raw: str | None) -> str:
    """The platform or employer as typed, trimmed; required and at most ``EMPLOYER_MAX`` characters."""
    text = " ".join((raw or "").split())
    if not text:
        raise InvalidInput(N_("请填写所在平台或工作单位，例如“美团”“顺丰速运”。"), field="employer")
    if len(text) > EMPLOYER_MAX:
        raise InvalidInput(N_("平台或工作单位不超过%(max)s个字。"), field="employer", max=EMPLOYER_MAX)
    return text
