"""Every text message the portal sends, as a template, and when texts may reach people.

A text is official (it carries the 【职工互助保障】 signature), so its words are ours: each kind
has one template here, marked for translation, with named parameters filled in by
``render_text``. A service never writes a body itself; it names the kind and gives the values.
Staff read the label of each kind in the SMS log. Not at night, except codes someone is waiting for.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_, Msgid, interpolate
from portal.domain.states import StateMachine

QUIET_HOURS_END = time(8, 0)  # texts resume at 08:00 …
QUIET_HOURS_START = time(20, 0)  # … and pause from 20:00
# One-time codes answer what a person is doing right now; holding them until morning is useless.
URGENT_KINDS = frozenset({"login_code", "jobs_parent_verification", "jobs_student_verification",
                          "jobs_student_link", "kiosk_lookup_code", "join_code"})
# Texts a visitor (not signed in) can make the portal send: capped per recipient mobile
# (``SMS_RECIPIENT_PER_HOUR``/``_PER_DAY``). They carry only values the portal made (a code, a
# number), never words a visitor typed: an official text must not carry a stranger's message.
VISITOR_KINDS = frozenset({"login_code", "jobs_parent_verification", "jobs_student_verification",
                           "jobs_student_link", "kiosk_lookup_code", "jobs_enterprise_username_taken",
                           "join_code"})
# What a code looks like in the stored body and the outbox: the code itself is never stored; the
# delivered text is built at send time (``portal.services.sms.delivered_text``).
CODE_MASK = "******"


class SmsStatus(StrEnum):
    QUEUED = "queued"  # waiting for the task queue
    HELD = "held"  # waiting for ``send_after`` (quiet hours)
    SENT = "sent"  # handed to the provider (or stored, for the outbox backend)
    DELIVERED = "delivered"  # the provider confirmed delivery
    FAILED = "failed"


class SmsAction(StrEnum):
    HOLD = "hold"  # wait for the morning (quiet hours, or a retry at night)
    SEND = "send"  # the gateway took it
    FAIL = "fail"  # given up: too many attempts, or the member said no to reminders
    CONFIRM_DELIVERY = "confirm_delivery"  # the provider's receipt
    REPORT_UNDELIVERED = "report_undelivered"  # the provider's receipt: it never reached the phone


SMS_STATUS_LABELS = {
    SmsStatus.QUEUED: N_("待发送"),
    SmsStatus.HELD: N_("定时发送"),
    SmsStatus.SENT: N_("已发送"),
    SmsStatus.DELIVERED: N_("已送达"),
    SmsStatus.FAILED: N_("发送失败"),
}

# A text waiting (queued or held) may be held again, sent or given up; a failed attempt that is
# retried later simply stays where it was. The CHECK on ``sms_messages.status`` comes from the enum.
SMS = StateMachine(
    name="sms", statuses=SmsStatus, labels=SMS_STATUS_LABELS, initial=SmsStatus.QUEUED,
    transitions={
        **{(waiting, SmsAction.HOLD): SmsStatus.HELD for waiting in (SmsStatus.QUEUED, SmsStatus.HELD)},
        **{(waiting, SmsAction.SEND): SmsStatus.SENT for waiting in (SmsStatus.QUEUED, SmsStatus.HELD)},
        **{(waiting, SmsAction.FAIL): SmsStatus.FAILED for waiting in (SmsStatus.QUEUED, SmsStatus.HELD)},
        (SmsStatus.SENT, SmsAction.CONFIRM_DELIVERY): SmsStatus.DELIVERED,
        (SmsStatus.SENT, SmsAction.REPORT_UNDELIVERED): SmsStatus.FAILED,
    },
    action_labels={SmsAction.HOLD: N_("定时发送"), SmsAction.SEND: N_("发送"), SmsAction.FAIL: N_("放弃发送"),
                   SmsAction.CONFIRM_DELIVERY: N_("确认送达"), SmsAction.REPORT_UNDELIVERED: N_("未能送达")},
)
WAITING = (SmsStatus.QUEUED, SmsStatus.HELD)

# What a gateway's delivery report says, in the words of the common Chinese SMS platforms (CMPP
# ``stat`` codes): ``DELIVRD`` reached the phone; anything else in this list did not, for good.
DELIVERED_CODES = frozenset({"DELIVRD", "DELIVERED", "SUCCESS", "0"})
UNDELIVERED_CODES = frozenset({"UNDELIV", "EXPIRED", "DELETED", "REJECTD", "UNKNOWN", "FAILED", "BLACKLIST",
                               "MK:0001", "MA:0001"})


def delivery_outcome(code: str) -> SmsAction | None:
    """The move a provider's status code means for a sent text, or ``None`` for one we do not know
    (kept as reported, the text stays "sent")."""
    code = code.strip().upper()
    if code in DELIVERED_CODES:
        return SmsAction.CONFIRM_DELIVERY
    if code in UNDELIVERED_CODES:
        return SmsAction.REPORT_UNDELIVERED
    return None


def text_send_after(moment: datetime) -> datetime | None:
    """``None`` when a text may go now (08:00–20:00 where ``moment`` is), else the next 08:00."""
    clock = moment.timetz().replace(tzinfo=None)
    if QUIET_HOURS_END <= clock < QUIET_HOURS_START:
        return None
    day = moment.date() if clock < QUIET_HOURS_END else moment.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_HOURS_END, tzinfo=moment.tzinfo)


@dataclass(frozen=True)
class TextTemplate:
    kind: str  # stored on every text (``SmsMessage.kind``); stable
    label: Msgid  # what staff read in the SMS log
    # Chinese, with %(name)s parameters; or, when one kind has several outcomes (an application
    # accepted or declined), one body per outcome, chosen by the ``outcome`` parameter.
    body: Msgid | Mapping[str, Msgid]

    def body_for(self, params: Mapping[str, object]) -> Msgid:
        return self.body if isinstance(self.body, str) else self.body[params["outcome"]]


def _templates(*templates: TextTemplate) -> dict[str, TextTemplate]:
    return {template.kind: template for template in templates}


TEXT_TEMPLATES: dict[str, TextTemplate] = {}

# --- auth --------------------------------------------------------------------------------------
TEXT_TEMPLATES |= _templates(
    TextTemplate("login_code", N_("登录验证码"), N_("您的登录验证码为%(code)s，%(minutes)s分钟内有效。请勿告诉他人。")),
)

# --- joining online (网上入会) --------------------------------------------------------------------
# System values only: the union's name as the federation registered it, a reason's wording from
# ``portal.domain.joining.DECLINE_REASONS``. ``join_already_member`` goes to the mobile the union
# holds, never to the one typed, so the page tells nobody who is a member.
TEXT_TEMPLATES |= _templates(
    TextTemplate("join_code", N_("入会验证码"),
                 N_("您正在申请加入工会（网上入会），验证码为%(code)s，%(minutes)s分钟内有效。如非本人操作请忽略。")),
    TextTemplate("join_already_member", N_("已是工会会员"),
                 N_("有人用您的身份证号码申请网上入会。您已是%(union)s会员，无需重复入会，可直接用身份证号码和本手机号登录平台。"
                    "如非本人操作请忽略。")),
    TextTemplate("join_confirmed", N_("入会申请已确认"),
                 N_("您的入会申请已由%(union)s确认，欢迎加入工会！请用身份证号码和本手机号登录平台，参保或领取符合条件的赠送保障。")),
    TextTemplate("join_declined", N_("入会申请未获确认"),
                 N_("您向%(union)s提交的入会申请未获确认：%(reason)s。如有疑问请联系该工会。")),
)

# --- enrollment (enrolment, campaigns, rosters) -----------------------------------------------
# ``reason`` is what the union officer typed (staff words, cut to 60 characters).
TEXT_TEMPLATES |= _templates(
    TextTemplate("enrollment_confirmed", N_("参保申请已确认"),
                 N_("您的互助保障参保申请已确认，保障期%(starts_on)s至%(ends_on)s。可登录平台查看电子参保凭证。")),
    TextTemplate("enrollment_rejected", N_("参保申请未获确认"),
                 N_("您的互助保障参保申请未获确认：%(reason)s。如有疑问请联系所在工会。")),
    TextTemplate("campaign_claimed", N_("获赠互助保障"),
                 N_("您已获赠“%(campaign)s”互助保障一年（%(starts_on)s起），由%(sponsor)s出资。可登录平台查看电子参保凭证。")),
)

# --- claims and review -------------------------------------------------------------------------
TEXT_TEMPLATES |= _templates(
    TextTemplate("claim_documents", N_("理赔需补充材料"),
                 N_("您的理赔申请%(reference)s需要补充材料：%(detail)s。请登录平台“我的理赔”上传后重新提交。")),
    TextTemplate("claim_rejected", N_("理赔未予核准"),
                 N_("您的理赔申请%(reference)s未予核准，原因：%(reason)s。如有疑问请联系所在工会。")),
    TextTemplate("claim_approved", N_("理赔已核准"),
                 N_("您的理赔申请%(reference)s已核准，金额%(amount)s，将转账至尾号%(last4)s的银行卡。")),
    TextTemplate("claim_paid", N_("理赔款已转账"),
                 N_("您的理赔申请%(reference)s的互助保障金%(amount)s已转账至尾号%(last4)s的银行卡，请注意查收。")),
    # From a hospital-discharge list: the member may not know they can claim (应赔尽赔).
    TextTemplate("claim_invitation", N_("出院理赔邀请"),
                 N_("%(name)s您好：您于%(admitted)s至%(discharged)s在%(hospital)s住院，可申请职工互助保障金。"
                    "我们已为您预填理赔申请（%(reference)s），请登录平台“我的理赔”补充材料后提交。")),
)

# --- jobs (work-study) -------------------------------------------------------------------------
TEXT_TEMPLATES |= _templates(
    TextTemplate("jobs_enterprise_reviewed", N_("爱心企业审核结果"), {
        "approved": N_("%(enterprise)s已通过工会审核，成为“关爱·圆梦”爱心企业。请登录平台发布爱心岗位。"),
        "rejected": N_("%(enterprise)s的爱心企业登记未通过审核：%(note)s。如有疑问请联系%(union)s。"),
    }),
    # ``note`` is what the union officer typed (staff words, cut to 60 characters); ``position`` its number.
    TextTemplate("jobs_position_reviewed", N_("爱心岗位审核结果"), {
        "approved": N_("%(enterprise)s发布的爱心岗位（编号%(position)s）已通过工会审核，现已公开招募。"),
        "rejected": N_("%(enterprise)s发布的爱心岗位（编号%(position)s）未通过审核：%(note)s。可按意见重新发布，"
                       "如有疑问请联系%(union)s。"),
    }),
    # Sent at a visitor's request (a student applying alone): system values only, no name or title.
    # Sent at a visitor's request: the sign-up page answers the same whether a username is taken.
    TextTemplate("jobs_enterprise_username_taken", N_("爱心企业登记未完成"),
                 N_("您提交的“关爱·圆梦”爱心企业登记未能完成：填写的登录用户名已被使用。请换一个用户名重新登记。")),
    TextTemplate("jobs_parent_verification", N_("勤工俭学家长确认码"),
                 N_("有人正以您的会员身份为子女报名勤工俭学爱心岗位（岗位编号%(position)s），确认码%(code)s，"
                    "%(minutes)s分钟内有效。如不是您的子女报名，请勿告知他人。")),
    # To the student's own mobile, typed by a student applying alone or by a member registering a
    # child: system values only; the code proves the student (or whoever has their phone) agrees.
    TextTemplate("jobs_student_verification", N_("勤工俭学学生本人确认码"),
                 N_("您正在报名勤工俭学爱心岗位（岗位编号%(position)s），本人确认码%(code)s，%(minutes)s分钟内有效。"
                    "如不是您本人报名，请勿告知他人。")),
    TextTemplate("jobs_student_link", N_("勤工俭学子女登记确认码"),
                 N_("有会员正登记您为其勤工俭学子女，确认码%(code)s，%(minutes)s分钟内有效。"
                    "只有确是您的父亲或母亲在登记时，才可把确认码告诉对方。")),
    TextTemplate("jobs_application_decided", N_("勤工俭学报名答复"), {
        "accepted": N_("%(student)s同学，%(enterprise)s已录用您到“%(position)s”实践，%(month)s月%(day)s日开始。"
                       "企业将与您签订协议并购买意外保险。您的实践页面（查看进度、反映问题、打印实践证明）：%(link)s"),
        "declined": N_("%(student)s同学，您报名的“%(position)s”（%(enterprise)s）未被录用：%(note)s"),
        "full": N_("%(student)s同学，您报名的“%(position)s”名额已满，感谢报名，欢迎关注其他爱心岗位。"),
    }),
    TextTemplate("jobs_placement_confirmed", N_("勤工俭学上岗确认"),
                 N_("%(student)s同学，您在%(enterprise)s的实践已确认：协议已签，意外保险已投保（%(insurer)s），"
                    "%(month)s月%(day)s日上岗。遇到问题可在实践页面向工会反映。")),
    TextTemplate("jobs_concern_raised", N_("勤工俭学问题提醒"),
                 N_("勤工俭学学生反映问题（%(category)s），请登录平台尽快处理。")),
    TextTemplate("jobs_concern_answered", N_("勤工俭学问题答复"),
                 N_("%(student)s同学，您反映的“%(category)s”问题工会已答复：%(answer)s")),
)

# --- childcare ---------------------------------------------------------------------------------
# ``child`` is the masked name; ``class_name`` the class as its organiser named it.
TEXT_TEMPLATES |= _templates(
    TextTemplate("childcare_requested", N_("暑托班报名已受理"),
                 N_("已收到%(child)s报名“%(class_name)s”的申请（报名序号%(number)s）。%(closes_on)s报名截止后按优先顺序和公开抽签分配名额，结果将短信通知您。")),
    TextTemplate("childcare_confirmed", N_("暑托班录取通知"),
                 N_("%(child)s已录取“%(class_name)s”（报名序号%(number)s），%(starts_on)s开班，每天%(hours)s，地点%(site)s。请按安全须知接送孩子。")),
    TextTemplate("childcare_waitlisted", N_("暑托班候补通知"),
                 N_("“%(class_name)s”名额已满，%(child)s已进入候补（第%(position)s位）。有人取消时将按顺序自动递补并短信通知您。")),
    TextTemplate("childcare_promoted", N_("暑托班候补递补通知"),
                 N_("好消息：%(child)s已从候补转为录取“%(class_name)s”，%(starts_on)s起每天%(hours)s，地点%(site)s。如不再需要请登录平台取消，把名额让给其他孩子。")),
    # ``because`` is empty, or "：" and the reason the organiser typed (their own words).
    TextTemplate("childcare_cancelled", N_("暑托班报名被取消"),
                 N_("您为%(child)s报名的“%(class_name)s”已由托管班取消%(because)s。如有疑问请联系托管班。")),
    # ``notice`` is the organiser's own text, checked by ``portal.domain.childcare.notice_words``:
    # the one childcare text whose words are not ours.
    TextTemplate("childcare_notice", N_("暑托班通知"), N_("【%(class_name)s】%(notice)s")),
)

# --- events (singles' events and the collective wedding) -----------------------------------------
# ``event`` is the title the organiser gave; nothing another participant typed ever goes into these.
TEXT_TEMPLATES |= _templates(
    TextTemplate("singles_registered", N_("联谊活动报名已受理"),
                 N_("已收到您报名“%(event)s”（%(held_on)s）的申请，所在工会确认后将短信通知您。")),
    TextTemplate("singles_decided", N_("联谊活动报名结果"), {
        "confirmed": N_("您报名的“%(event)s”已由工会确认。嘉宾编号%(number)s，%(held_on)s %(hours)s，地点%(place)s。"
                        "编号只告诉您愿意告诉的人。"),
        "declined": N_("您报名的“%(event)s”未能由所在工会确认会员身份，如有疑问请联系所在工会。"),
    }),
    TextTemplate("singles_matched", N_("联谊活动互选成功"),
                 N_("“%(event)s”互选结果：您与%(number)s号嘉宾互相选择，牵手成功。平台不提供对方信息，请按现场约定联系。")),
    TextTemplate("wedding_registered", N_("集体婚礼报名已受理"),
                 N_("已收到您和爱人报名“%(wedding)s”（%(held_on)s）的申请，所在工会确认后将短信通知您。")),
    TextTemplate("wedding_decided", N_("集体婚礼报名结果"), {
        "confirmed": N_("恭喜！您和爱人报名的“%(wedding)s”已由工会确认，新人编号%(number)s，%(held_on)s %(starts_at)s，"
                        "地点%(place)s。"),
        "declined": N_("您报名的“%(wedding)s”未能由所在工会确认会员身份，如有疑问请联系所在工会。"),
    }),
)

# --- sync (kiosks at service stations) ---------------------------------------------------------
TEXT_TEMPLATES |= _templates(
    TextTemplate("kiosk_lookup_code", N_("自助终端查询验证码"),
                 N_("您正在服务站点自助终端查询保障和理赔信息，验证码为%(code)s，%(minutes)s分钟内有效。如非本人操作请忽略。")),
)


def render_text(kind: str, custom: str | None = None, **params) -> str:
    """The body of a ``kind`` text in Chinese with its parameters filled in (dates the Chinese way);
    ``custom`` is an administrator's wording of it (``check_custom_body`` made sure it fits).

    A name that has its own quotation marks (“缘起工会 携手逐梦”联谊活动) inside the template's
    “%(name)s” takes single ones inside, as Chinese writes quotes within quotes: never ““…””."""
    body = custom or TEXT_TEMPLATES[kind].body_for(params)
    return interpolate(body, {name: nested_quotes(value) if f"“%({name})s”" in body else value
                              for name, value in params.items()})


def nested_quotes(value: object) -> object:
    """A quoted name made fit to go inside “…”: its own “ ” become ‘ ’."""
    if not isinstance(value, str):
        return value
    return value.replace("“", "‘").replace("”", "’")


def text_label(kind: str) -> str:
    template = TEXT_TEMPLATES.get(kind)
    return template.label if template else kind


# --- delivery reports from the HTTP gateway ---------------------------------------------------
REPORT_MAX_AGE_SECONDS = 300  # a report signed longer ago (or ahead) than this is refused


def report_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The HMAC-SHA256 (hex) a gateway puts on a delivery report: over ``"<timestamp>." + body``."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def report_is_authentic(secret: str, timestamp: str, body: bytes, signature: str, *, now: float) -> bool:
    """Whether a report carries the shared secret's signature and was signed within the last minutes."""
    if not secret or not timestamp.isdigit() or len(timestamp) > 12 or not signature:
        return False
    if abs(now - int(timestamp)) > REPORT_MAX_AGE_SECONDS:
        return False
    return hmac.compare_digest(report_signature(secret, timestamp, body), signature.strip().lower())


# --- templates administrators may reword ------------------------------------------------------
# An administrator may reword a template, keeping to the values the portal fills in for its kind
# (the placeholders of our own wording): no new value can be made to appear, so a text a visitor
# can trigger still carries only values the portal made, and a code text keeps its code.
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
MAX_CUSTOM_LENGTH = 300
KEPT_PLACEHOLDERS = frozenset({"code"})  # a code text without its code would be useless
# What a placeholder looks like in the preview.
SAMPLE_VALUES = {
    "code": "123456", "minutes": "5", "reference": "LP0001234", "amount": "800.00元", "last4": "6789",
    "name": "王*国", "student": "李*", "child": "王*明", "enterprise": "无锡长安爱心科技有限公司",
    "union": "梁溪区总工会", "position": "128", "campaign": "锡新保", "sponsor": "无锡市总工会",
    "class_name": "工娃小家（梁溪站）", "event": "鹊桥会", "wedding": "集体婚礼", "note": "材料不全",
    "reason": "不在保障期内", "detail": "出院小结", "starts_on": "2026年7月1日", "ends_on": "2027年6月30日",
    "held_on": "2026年8月8日", "month": "7", "day": "15", "hours": "8:00—17:30", "site": "梁溪区职工服务中心",
}


# The words for each outcome a template can have several wordings for (shown to administrators).
OUTCOME_LABELS: dict[str, Msgid] = {
    "accepted": N_("已受理"),
    "approved": N_("已通过"),
    "confirmed": N_("已确认"),
    "declined": N_("已婉拒"),
    "full": N_("名额已满"),
    "rejected": N_("未通过"),
}


def variants(kind: str) -> list[str]:
    """The outcomes a kind's template has (``[""]`` for a template with one wording)."""
    body = TEXT_TEMPLATES[kind].body
    return [""] if isinstance(body, str) else list(body)


def default_body(kind: str, outcome: str = "") -> Msgid:
    template = TEXT_TEMPLATES[kind]
    return template.body if isinstance(template.body, str) else template.body[outcome]


def placeholders(body: str) -> set[str]:
    return set(PLACEHOLDER.findall(body))


def custom_fits(kind: str, outcome: str, body: str) -> bool:
    """Whether a stored wording still fits the kind's values (a later release may change them)."""
    try:
        check_custom_body(kind, outcome, body)
    except InvalidInput:
        return False
    return True


def check_custom_body(kind: str, outcome: str, body: str) -> str:
    """An administrator's wording, trimmed, or ``InvalidInput`` saying what to change."""
    if kind not in TEXT_TEMPLATES or outcome not in variants(kind):
        raise InvalidInput(N_("没有这种短信。"), field="body")
    body = (body or "").strip()
    if not body:
        raise InvalidInput(N_("请填写短信内容。"), field="body")
    if len(body) > MAX_CUSTOM_LENGTH:
        raise InvalidInput(N_("短信内容不能超过%(max)s个字。"), field="body", max=MAX_CUSTOM_LENGTH)
    if any(ord(ch) < 0x20 for ch in body):
        raise InvalidInput(N_("短信内容不能包含换行或控制字符。"), field="body")
    allowed = placeholders(default_body(kind, outcome))
    unknown = sorted(placeholders(body) - allowed)
    if unknown:
        raise InvalidInput(N_("这种短信不能使用占位符：%(names)s。可用的占位符：%(allowed)s。"), field="body",
                           names="、".join(f"%({name})s" for name in unknown),
                           allowed="、".join(f"%({name})s" for name in sorted(allowed)) or "—")
    if "%" in PLACEHOLDER.sub("", body):
        raise InvalidInput(N_("百分号只能用在占位符里（如验证码的占位符），请删去其他百分号。"), field="body")
    missing = sorted((allowed & KEPT_PLACEHOLDERS) - placeholders(body))
    if missing:
        raise InvalidInput(N_("这种短信必须保留占位符：%(names)s。"), field="body",
                           names="、".join(f"%({name})s" for name in missing))
    return body


def preview(kind: str, outcome: str, body: str) -> str:
    """The text as a phone would show it, with sample values."""
    body = check_custom_body(kind, outcome, body)
    return interpolate(body, {name: SAMPLE_VALUES.get(name, f"〔{name}〕") for name in placeholders(body)})
