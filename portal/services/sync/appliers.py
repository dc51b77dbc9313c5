"""The appliers of the envelope kinds: each turns a kiosk's payload into the call a web page makes
to its area's service, so every rule (cover, seats, deadlines, ages, document types) is decided
once, in that service, whichever door a person came through.

No one signs in at a kiosk: the person is the member the payload's block names
(``members.member_for``: matched on name, ID number and registered mobile, or created
unverified), and acts as that member. A refusal is the area's own ``DomainError`` with its
Chinese message; ``envelopes`` turns it into a ``rejected`` answer and undoes what the applier
wrote. What comes back is the reference the person quotes later (a claim number, a registration
number) and a sentence saying where things stand.

Imported by ``envelopes`` so the registry is filled wherever envelopes are applied.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from portal import clock
from portal.domain.childcare import RegistrationStatus
from portal.domain.errors import InvalidInput, NotFound
from portal.domain.i18n import N_, interpolate
from portal.domain.identity import parse_id_number
from portal.domain.sync import EnvelopeKind
from portal.extensions import db
from portal.models import Student, Union
from portal.models.enrollment import EnrollmentChannel
from portal.models.members import GIG_OCCUPATIONS
from portal.pii import lookup_hash
from portal.services.childcare import queries as childcare_queries
from portal.services.childcare import registrations
from portal.services.claims import documents, filing
from portal.services.enrollment import campaigns, enrolments
from portal.services.jobs import applications
from portal.services.sync import blobs, members
from portal.services.sync.handlers import Applied, EnvelopeContext, handles
from portal.services.unit_of_work import savepoint

CLAIM_EVENT_DATES = ("admission_date", "discharge_date", "diagnosis_date", "accident_date")
CLAIM_EVENT_FIELDS = ("hospital", "diagnosis", "disease", "accident_description", "medical_costs_fen",
                      "disability_grade", "is_death")

CLAIM_SUBMITTED = N_("理赔申请已提交，编号%(reference)s。审核结果会以短信通知，也可凭编号查询进度。")
CLAIM_BAD_DATE = N_("日期“%(value)s”无法识别，请按年-月-日填写。")
CLAIM_DOCUMENT_KIND = N_("附件“%(name)s”的材料类型不适用于这类申请，请重新选择材料类型后提交。")
SEAT_CONFIRMED = N_("报名成功，已获得名额（报名序号%(number)s）。开班前会短信通知。")
SEAT_WAITLISTED = N_("名额已满，已进入候补名单，第%(place)s位（报名序号%(number)s）。有人退出时按顺序递补并短信通知。")
SEAT_REQUESTED = N_("报名已收到（报名序号%(number)s）。报名截止后按优先顺序和抽签分配名额，结果以短信通知。")
COVER_APPLIED = N_("参保申请已提交，编号%(reference)s。由所在工会确认后生效，结果以短信通知。")
UNION_UNKNOWN = N_("找不到代码为“%(union_code)s”的工会，请核对后重新提交，或不填工会由工作人员确认。")
CAMPAIGN_UNKNOWN = N_("找不到该赠送项目，可能已经结束。")
GIFT_CLAIMED = N_("已领取“%(campaign)s”互助保障，%(starts_on)s起保障一年，编号%(reference)s。")
STUDENT_NOT_YOURS = N_(
    "您还没有登记这名学生。请先在门户网站“我的勤工俭学”中“登记子女”（需学生手机收到的确认码），再来报名。")
JOB_APPLIED = N_("已报名“%(title)s”，编号%(reference)s。企业答复后会短信通知学生。")


def _today(context: EnvelopeContext) -> date:
    return _now(context).astimezone(clock.CHINA).date()


def _now(context: EnvelopeContext) -> datetime:
    return context.now or clock.now()


# --- claim.submit -----------------------------------------------------------------------------


def _claim_facts(event: dict) -> dict:
    """The event block as the filing service takes it: dates as dates, the rest as sent."""
    facts = {}
    for name in CLAIM_EVENT_DATES:
        if event.get(name):
            try:
                facts[name] = date.fromisoformat(event[name])
            except (TypeError, ValueError):
                raise InvalidInput(CLAIM_BAD_DATE, code="payload_invalid", field=name, value=event[name]) from None
    for name in CLAIM_EVENT_FIELDS:
        if name in event:
            facts[name] = event[name]
    return facts


@handles(EnvelopeKind.CLAIM_SUBMIT)
def apply_claim(context: EnvelopeContext) -> Applied:
    """Start, fill, attach the documents to and submit a claim, as the member would on the web."""
    payload, now, today = context.payload, _now(context), _today(context)
    member = members.member_for(payload["member"], now=now)
    # One kiosk submission, one draft: the key ties the draft to the envelope.
    claim = filing.start_claim(member, payload["type"], request_key=f"sync:{context.kiosk.id}:{context.envelope_id}",
                               today=today)
    facts = _claim_facts(payload["event"])
    facts["payee_name"] = payload["payee_name"]
    if payload.get("bank_name"):
        facts["bank_name"] = payload["bank_name"]
    # The attachments' kinds are checked against the cover the preview finds; without any, the
    # submission's checks are the only ones needed.
    filing.save_claim(member, claim.id, facts, bank_card=payload["bank_card"], today=today,
                      preview=bool(context.attachments))
    for attachment in context.attachments:
        try:
            with savepoint():
                documents.upload_document(member, claim.id, kind=attachment.role or "", filename=attachment.name,
                                          data=blobs.read_blob(attachment.blob), today=today)
        except InvalidInput as error:
            if error.field != "kind":
                raise
            raise InvalidInput(CLAIM_DOCUMENT_KIND, code="document_kind", field="attachments",
                               name=attachment.name or attachment.blob.sha256[:12]) from None
    filing.submit_claim(member, claim.id, now=now)
    return Applied(receipt=claim.reference, message=interpolate(CLAIM_SUBMITTED, {"reference": claim.reference}))


# --- childcare.register -----------------------------------------------------------------------


@handles(EnvelopeKind.CHILDCARE_REGISTER)
def apply_childcare(context: EnvelopeContext) -> Applied:
    """Register the child as the parent would on the web; the seat (or the waitlist) is decided
    here, under the class's lock, in the order envelopes arrive."""
    payload, now = context.payload, _now(context)
    parent = members.member_for(payload["parent"], now=now)
    child = payload["child"]
    data = registrations.ChildInput(
        name=child["name"], id_number=child["id_number"], health_notes=child.get("health_notes") or "",
        allergies=child.get("allergies") or "",
        pickup_adults=[registrations.PickupInput(adult.get("name", ""), adult.get("relation") or "",
                                                 adult.get("mobile", ""))
                       for adult in child.get("pickup_adults") or []])
    registration = registrations.register_child(
        parent, payload["class_id"], data, accepted_rules=payload.get("accepted_rules", True),
        declared_category=payload.get("declared_category"), now=now)
    receipt = f"TB{registration.class_id}-{registration.number}"
    params = {"number": registration.number}
    if registration.status == RegistrationStatus.CONFIRMED:
        return Applied(receipt=receipt, message=interpolate(SEAT_CONFIRMED, params))
    if registration.status == RegistrationStatus.WAITLISTED:
        params["place"] = childcare_queries.waitlist_position(registration)
        return Applied(receipt=receipt, message=interpolate(SEAT_WAITLISTED, params))
    return Applied(receipt=receipt, message=interpolate(SEAT_REQUESTED, params))


# --- job.apply --------------------------------------------------------------------------------


def _student(parent, block: dict, today: date) -> Student:
    """The parent's own registered child with this ID number.

    A kiosk cannot take the student's code, so it registers no one: a student not among the
    parent's own is refused with one sentence that depends on the parent's own data only, the
    same whether nobody or another parent registered that student (no "another parent" oracle).
    """
    identity = parse_id_number(block["id_number"], today=today)
    student = db.session.scalar(select(Student).where(Student.parent_member_id == parent.id,
                                                      Student.id_number_hash == lookup_hash(identity.value)))
    if student is None:
        raise InvalidInput(STUDENT_NOT_YOURS, code="student_not_registered", field="student")
    return student


@handles(EnvelopeKind.JOB_APPLY)
def apply_job(context: EnvelopeContext) -> Applied:
    """Apply for a child the parent registered on the web (see ``_student``); a filled, closed or
    withdrawn position is refused with the area's reason."""
    payload, today = context.payload, _today(context)
    parent = members.member_for(payload["parent"], now=_now(context))
    student = _student(parent, payload["student"], today)
    application = applications.apply_for_child(parent, student.id, payload["position_id"],
                                               motivation=payload.get("motivation") or "", today=today,
                                               channel="kiosk")
    reference = f"QG{application.id:07d}"
    return Applied(receipt=reference, message=interpolate(JOB_APPLIED, {"title": application.position.title,
                                                                        "reference": reference}))


# --- enrollment.apply and campaign.claim ------------------------------------------------------


@handles(EnvelopeKind.ENROLLMENT_APPLY)
def apply_enrollment(context: EnvelopeContext) -> Applied:
    """Ask the member's union for a year's cover, as the member would on the web; the union's
    confirmation (or refusal) comes later and reaches the person by text."""
    payload, now, today = context.payload, _now(context), _today(context)
    union = None
    if payload.get("union_code"):
        union = db.session.scalar(select(Union).where(Union.code == payload["union_code"]))
        if union is None:
            raise InvalidInput(UNION_UNKNOWN, code="union_unknown", field="union_code",
                               union_code=payload["union_code"])
    member = members.member_for(payload["member"], now=now, union=union, occupation=payload["occupation"],
                                is_gig_worker=payload["is_gig_worker"])
    enrollment = enrolments.apply_for_cover(member, channel=EnrollmentChannel.KIOSK, today=today)
    reference = f"CB{enrollment.id:07d}"
    return Applied(receipt=reference, message=interpolate(COVER_APPLIED, {"reference": reference}))


@handles(EnvelopeKind.CAMPAIGN_CLAIM)
def apply_campaign(context: EnvelopeContext) -> Applied:
    """Claim a gifted cover through the campaign's own rules (who qualifies, the quota)."""
    payload, now, today = context.payload, _now(context), _today(context)
    code = str(payload["campaign_code"])
    if not code.isdigit() or len(code) > 9:
        raise NotFound(CAMPAIGN_UNKNOWN, code="campaign_unknown")
    occupation = payload["occupation"]
    member = members.member_for(payload["member"], now=now, occupation=occupation,
                                is_gig_worker=occupation in GIG_OCCUPATIONS)
    enrollment = campaigns.claim_gift(member, int(code), channel=EnrollmentChannel.KIOSK, today=today)
    reference = f"CB{enrollment.id:07d}"
    return Applied(receipt=reference, message=interpolate(GIFT_CLAIMED, {
        "campaign": enrollment.campaign.name, "starts_on": enrollment.starts_on, "reference": reference}))
