"""Demo claims: one in every state, with small generated documents, and a paid payout batch.

Runs after the enrolment loader and finds covered members by querying, so it follows whatever
covers that loader made. The demo member 虞建国 gets the article's case: a 38-day stay for a
critical illness, 12,100元, approved by two reviewers and paid. A discharge list to import is
generated on demand: made-up people (审核 → 出院名单 → 下载示例名单), or demo members to try the
reminders (``flask --app wsgi discharge-sample FILE --covered-members``, audited).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from portal.demo.core import DEMO_PASSWORD
from portal.domain.claims import (
    FOUR_EYES_THRESHOLD_FEN,
    REJECTION_REASONS,
    ClaimStatus,
    ClaimType,
    PayoutBatchStatus,
)
from portal.domain.money import format_yuan
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Enrollment, EnrollmentStatus, StaffUser
from portal.models.claims import Claim, PayoutBatch, PayoutItem
from portal.services.claims import assessment, documents, filing, timeline

# Valid (Luhn) demo card numbers of the kind Chinese banks issue.
CARDS = ("6222021234567890128", "6217001234567890125", "6228480402564890018", "6214830123456781")
BANKS = ("中国工商银行无锡分行", "中国建设银行无锡分行", "中国农业银行无锡分行", "招商银行无锡分行")
HOSPITALS = ("无锡市人民医院", "无锡市第二人民医院", "江南大学附属医院", "无锡市中医医院")


def _image(text: str, color: tuple[int, int, int], fmt: str) -> bytes:
    image = Image.new("RGB", (360, 240), color)
    ImageDraw.Draw(image).text((20, 20), text, fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _document_bytes(kind: str, number: int) -> tuple[str, bytes]:
    """Small sample files: PDFs for reports, JPEG photos and PNG scans for the rest."""
    color = (230 - number % 5 * 10, 230, 220)
    if kind in ("discharge_summary", "pathology_report", "disability_appraisal"):
        return f"{kind}.pdf", _image(f"DEMO {kind} #{number}", color, "PDF")
    if kind in ("id_card", "bank_card"):
        return f"{kind}.jpg", _image(f"DEMO {kind} #{number}", color, "JPEG")
    return f"{kind}.png", _image(f"DEMO {kind} #{number}", color, "PNG")


def _at(day, hour=10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


class _Builder:
    def __init__(self, context):
        self.context = context
        self.today = context.today
        self.count = 0

    def claim(self, enrollment: Enrollment, claim_type: ClaimType, *, days_ago: int, with_documents: bool = True,
              status: ClaimStatus = ClaimStatus.SUBMITTED, **facts) -> Claim:
        member = enrollment.member
        self.count += 1
        claim = Claim(member=member, union_id=member.union_id, claim_type=claim_type, status=ClaimStatus.DRAFT,
                      filed_by_type="member", filed_by_id=member.id, payee_name=member.name,
                      bank_name=BANKS[self.count % len(BANKS)], flags=[], flag_codes="", **facts)
        card = CARDS[self.count % len(CARDS)]
        claim.bank_card, claim.bank_card_last4 = card, card[-4:]
        db.session.add(claim)
        db.session.flush()
        filed = self.today - timedelta(days=days_ago)
        timeline.add_event(claim, "created", member, timeline.CREATED, {"claim_type": claim.type_label},
                           at=_at(filed, 9))
        if with_documents:
            for kind in assessment.document_kinds(claim):
                filename, data = _document_bytes(kind, claim.id)
                documents.store_document(claim, kind, filename, documents.prepare_upload(data, 10 * 1024 * 1024),
                                         uploaded_by="demo")
        db.session.flush()
        if status is not ClaimStatus.DRAFT:
            claim.status = ClaimStatus.SUBMITTED
            claim.submitted_at = _at(filed, 10)
        assessment.refresh_assessment(claim, today=filed)
        if status is not ClaimStatus.DRAFT:
            timeline.add_event(claim, "submitted", member, timeline.SUBMITTED, at=_at(filed, 10))
            timeline.add_event(claim, "checked", None, *filing.check_summary(claim), at=_at(filed, 10))
        return claim

    def decide(self, claim: Claim, status: ClaimStatus, reviewer: StaffUser, *, days_later: int = 2,
               second: StaffUser | None = None, reason: str | None = None, reason_code: str | None = None) -> None:
        when = claim.submitted_at + timedelta(days=days_later)
        if status is ClaimStatus.NEEDS_DOCUMENTS:
            claim.status, claim.decision_reason = status, reason
            claim.documents_requested = ["invoice"]
            timeline.add_event(claim, "needs_documents", reviewer, timeline.NEEDS_DOCUMENTS,
                               {"detail": f"医疗费用发票；{reason}"}, at=when)
            return
        if status is ClaimStatus.REJECTED:
            claim.status, claim.decision_reason, claim.rejection_code = status, reason, reason_code
            claim.decided_by_id, claim.decided_at = reviewer.id, when
            timeline.add_event(claim, "rejected", reviewer, timeline.REJECTED_NOTE,
                               {"reason": REJECTION_REASONS[reason_code].member_text, "note": reason}, at=when)
            return
        claim.approved_fen = claim.calculated_fen
        if second is not None:
            claim.first_approver_id, claim.first_approved_at = reviewer.id, when
            timeline.add_event(claim, "first_approval", reviewer, timeline.FIRST_APPROVAL,
                               {"amount": format_yuan(claim.approved_fen),
                                "threshold": format_yuan(FOUR_EYES_THRESHOLD_FEN)}, at=when)
            if status is ClaimStatus.AWAITING_SECOND:
                claim.status = status
                return
            reviewer, when = second, when + timedelta(hours=3)
        claim.status = ClaimStatus.APPROVED
        claim.decided_by_id, claim.decided_at = reviewer.id, when
        timeline.add_event(claim, "approved", reviewer, timeline.APPROVED, {"amount": format_yuan(claim.approved_fen)},
                           at=when)


def _covered(today, *, renewal: bool | None = None, min_days: int = 60) -> list[Enrollment]:
    stmt = select(Enrollment).where(Enrollment.status == EnrollmentStatus.ACTIVE,
                                    Enrollment.starts_on <= today - timedelta(days=min_days),
                                    Enrollment.ends_on >= today).order_by(Enrollment.member_id)
    if renewal is not None:
        stmt = stmt.where(Enrollment.is_renewal.is_(renewal))
    return list(db.session.scalars(stmt))


def load(context) -> None:
    today = context.today
    reviewer = context.staff["reviewer"]
    second = StaffUser(username="reviewer2", display_name="互助会复核员", role=Role.REVIEWER)
    second.set_password(DEMO_PASSWORD)
    db.session.add(second)
    context.staff["reviewer2"] = second
    covers = _covered(today, min_days=120)
    if len(covers) < 16:
        context.notes.append("理赔演示数据：有效保障不足，未生成理赔。")
        return
    build = _Builder(context)
    demo_member = context.members[0]
    yu = next((cover for cover in covers if cover.member_id == demo_member.id), covers[0])
    others = [cover for cover in covers if cover is not yu]

    def stay(days_ago: int, days: int, index: int) -> dict:
        admitted = today - timedelta(days=days_ago + days)
        return {"admission_date": admitted, "discharge_date": admitted + timedelta(days=days),
                "hospital": HOSPITALS[index % len(HOSPITALS)]}

    # The article's case: 虞师傅, courier, critical illness, 38 days in hospital → 12,100元, paid.
    start = max(yu.starts_on, today - timedelta(days=120))
    ci = build.claim(yu, ClaimType.CRITICAL_ILLNESS, days_ago=(today - start).days - 40,
                     admission_date=start + timedelta(days=1), discharge_date=start + timedelta(days=39),
                     hospital="无锡市人民医院", disease="恶性肿瘤", diagnosis_date=start + timedelta(days=3))
    build.decide(ci, ClaimStatus.APPROVED, reviewer, second=second)
    paid = [ci]
    for index, cover in enumerate(others[:2]):
        claim = build.claim(cover, ClaimType.HOSPITAL, days_ago=40 + index, diagnosis="社区获得性肺炎",
                            **stay(45 + index, 12, index))
        build.decide(claim, ClaimStatus.APPROVED, reviewer)
        paid.append(claim)
    _paid_batch(paid, reviewer, second, today)

    # Approved, waiting for a payout batch (the reviewer can make one).
    for index, cover in enumerate(others[2:4]):
        claim = build.claim(cover, ClaimType.ACCIDENT, days_ago=12 + index, accident_date=today - timedelta(days=20),
                            accident_description="送件途中电动车侧滑摔倒，右腕骨折",
                            medical_costs_fen=620_000 - index * 300_000)
        build.decide(claim, ClaimStatus.APPROVED, reviewer)
    # Waiting for a second reviewer (above 10,000元).
    claim = build.claim(others[4], ClaimType.ACCIDENT, days_ago=5, accident_date=today - timedelta(days=60),
                        accident_description="工地高处坠落，经鉴定八级伤残", medical_costs_fen=480_000,
                        disability_grade=8)
    build.decide(claim, ClaimStatus.AWAITING_SECOND, reviewer, second=second)
    # Submitted and unflagged: bulk approval material.
    # (The first also typed its out-of-pocket costs: the medical-cost part shows above the deductible.)
    for index, cover in enumerate(others[5:10]):
        build.claim(cover, ClaimType.HOSPITAL, days_ago=3 + index, medical_costs_fen=None if index else 860_000,
                    diagnosis=("急性阑尾炎", "腰椎间盘突出症")[index % 2], **stay(8 + index, 5 + index, index))
    # Submitted with a flag: a document missing.
    build.claim(others[10], ClaimType.HOSPITAL, days_ago=2, with_documents=False, diagnosis="2型糖尿病",
                **stay(6, 7, 1))
    # Needing documents, and rejected.
    claim = build.claim(others[11], ClaimType.HOSPITAL, days_ago=9, diagnosis="冠心病", **stay(15, 9, 2))
    build.decide(claim, ClaimStatus.NEEDS_DOCUMENTS, reviewer, reason="发票照片不清晰，请重新拍摄上传。")
    claim = build.claim(others[12], ClaimType.HOSPITAL, days_ago=20, diagnosis="双眼皮整形术后", **stay(25, 3, 3))
    build.decide(claim, ClaimStatus.REJECTED, reviewer, reason="双眼皮整形术属免责条款第5条。",
                 reason_code="not_medical")
    # Blocked: a second claim for a stay already paid (the reviewer can only reject it), and an
    # illness inside a first enrolment's waiting period (reject, or override with a second reviewer).
    build.claim(others[0], ClaimType.HOSPITAL, days_ago=1, diagnosis="社区获得性肺炎", **stay(45, 12, 0))
    first_year = next((cover for cover in _covered(today, renewal=False, min_days=0)
                       if today - timedelta(days=25) <= cover.starts_on <= today - timedelta(days=5)), None)
    if first_year is not None:
        build.claim(first_year, ClaimType.HOSPITAL, days_ago=0, diagnosis="急性胃肠炎",
                    admission_date=first_year.starts_on + timedelta(days=1),
                    discharge_date=first_year.starts_on + timedelta(days=4), hospital=HOSPITALS[1],
                    medical_costs_fen=320_000)
    # Drafts: one the member started, one 虞建国 has begun.
    build.claim(others[13], ClaimType.HOSPITAL, days_ago=1, with_documents=False, status=ClaimStatus.DRAFT,
                diagnosis="肺炎", **stay(4, 6, 0))
    build.claim(yu, ClaimType.ACCIDENT, days_ago=0, with_documents=False, status=ClaimStatus.DRAFT,
                accident_date=today - timedelta(days=2), accident_description="配送途中被车门撞到左臂")
    context.notes.append(f"理赔: {build.count}件演示申请（各状态），一个已付款的发放批次；"
                         f"第二位审核员 reviewer2 / {DEMO_PASSWORD}")


def _paid_batch(claims: list[Claim], reviewer: StaffUser, second: StaffUser, today) -> None:
    batch = PayoutBatch(status=PayoutBatchStatus.OPEN, created_by_id=reviewer.id)
    db.session.add(batch)
    created = max(claim.decided_at for claim in claims) + timedelta(days=1)
    for claim in claims:
        claim.status = ClaimStatus.PAYOUT_PENDING
        db.session.add(PayoutItem(batch=batch, claim_id=claim.id, amount_fen=claim.approved_fen,
                                  payee_name=claim.payee_name, bank_name=claim.bank_name, bank_card=claim.bank_card))
        timeline.add_event(claim, "batched", reviewer, timeline.BATCHED, at=created)
    db.session.flush()
    paid_at = created + timedelta(days=2)
    batch.claim_count, batch.total_fen = len(claims), sum(claim.approved_fen for claim in claims)
    batch.exported_at, batch.export_count = created + timedelta(hours=1), 1
    batch.status, batch.bank_reference = PayoutBatchStatus.PAID, f"ICBC{paid_at:%Y%m%d}0001"
    batch.paid_at, batch.paid_by_id = paid_at, second.id
    for claim in claims:
        claim.status, claim.paid_at = ClaimStatus.PAID, paid_at
        timeline.add_event(claim, "paid", second, timeline.PAID,
                           {"amount": format_yuan(claim.approved_fen), "last4": claim.bank_card_last4}, at=paid_at)
