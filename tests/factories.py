"""Builders for test data: real rows through the real models, with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import date

from portal.domain.identity import compose_id_number, parse_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Member, StaffUser, Union, UnionKind, add_union

PASSWORD = "correct-horse-42"
TODAY = date(2026, 7, 1)
_sequence = itertools.count(1)


def create_union(code: str | None = None, name: str | None = None, parent: Union | None = None,
                 kind: UnionKind = UnionKind.GRASSROOTS) -> Union:
    number = next(_sequence)
    union = add_union(code or f"U{number:04d}", name or f"测试工会{number}", kind, parent)
    db.session.commit()
    return union


def create_member(*, union: Union | None = None, name: str = "张三", birth: date = date(1990, 3, 15),
                  region: str = "320213", mobile: str | None = None, is_hardship_family: bool = False,
                  **fields) -> Member:
    """A member; ``is_hardship_family`` puts the family on the hardship register (grassroots level)."""
    number = next(_sequence)
    member = Member(name=name, union=union, **fields)
    member.set_identity(parse_id_number(compose_id_number(region, birth, 100 + number), today=TODAY))
    member.set_mobile(mobile or f"138{number:08d}")
    db.session.add(member)
    db.session.commit()
    if is_hardship_family:
        create_hardship_family(member)
    return member


def create_hardship_family(member: Member, *, level: str = "grassroots", status: str = "registered",
                           union: Union | None = None, review_on: date = date(2027, 6, 1), reason: str = "因病致困"):
    """``member``'s family on the hardship register, kept by ``union`` (the member's, or a test union)."""
    from portal.models import HardshipEvent, HardshipFamily

    union = union or member.union or create_union()
    family = HardshipFamily(member=member, union=union, level=level, reason=reason, registered_on=date(2026, 1, 10),
                            review_on=review_on, status=status)
    family.events.append(HardshipEvent(action="register", status=status, level=level, note=reason, actor_label="test"))
    db.session.add(family)
    db.session.commit()
    return family


def create_staff(username: str | None = None, role: Role = Role.ADMIN, union: Union | None = None,
                 password: str = PASSWORD, *, two_factor: bool | None = None) -> StaffUser:
    """A staff account. Administrators and reviewers come enrolled in two-factor (their role requires
    it; ``Auth.staff`` answers the code step), others not, unless ``two_factor`` says otherwise."""
    import pyotp

    from portal.domain.roles import TWO_FACTOR_REQUIRED_ROLES

    user = StaffUser(username=username or f"{role.value}{next(_sequence)}", display_name="测试人员",
                     role=role, union=union)
    user.set_password(password)
    if two_factor if two_factor is not None else role in TWO_FACTOR_REQUIRED_ROLES:
        from portal.models.base import utcnow

        user.totp_secret, user.totp_enabled_at = pyotp.random_base32(), utcnow()
    db.session.add(user)
    db.session.commit()
    return user


# ---------------------------------------------------------------- enrollment (plans, covers, rosters, campaigns)

def create_plan(code: str = "SANHEYI", name: str = "职工住院+重疾+意外三合一互助保障", **figures):
    """A plan version with the demo figures (``BenefitSchedule`` defaults), overridable per test."""
    from portal.domain.plans import BenefitSchedule
    from portal.models import Plan

    plan = Plan.from_schedule(code, name, BenefitSchedule(**figures))
    db.session.add(plan)
    db.session.commit()
    return plan


def create_enrollment(member: Member, plan=None, *, starts_on: date = date(2026, 1, 1), is_renewal: bool = False,
                      status: str = "active", union: Union | None = None):
    """A confirmed one-year cover of ``member`` from ``starts_on``."""
    from datetime import timedelta

    from portal.domain.plans import cover_period
    from portal.models import Enrollment

    plan = plan or create_plan(code=f"P{next(_sequence)}")
    start, end = cover_period(starts_on - timedelta(days=1))
    enrollment = Enrollment(member=member, plan=plan, union=union or member.union, plan_year=start.year,
                            status=status, channel="roster", payer="union", is_renewal=is_renewal,
                            contribution_fen=plan.contribution_fen, starts_on=start, ends_on=end)
    db.session.add(enrollment)
    db.session.commit()
    return enrollment


CHILDCARE_PHASE_DAYS = {
    # phase: (opens, closes, starts, ends) in days from ``today``
    "window_open": (-3, 5, 10, 40),
    "after_window": (-20, -1, 10, 40),
    "running": (-40, -20, -7, 30),
}


# ---------------------------------------------------------------- claims and review (claims, payouts, discharges)

CARD = "6222021234567890128"  # a valid (Luhn) debit card number
HOSPITAL_FACTS = {"admission_date": date(2026, 6, 1), "discharge_date": date(2026, 6, 13),
                  "hospital": "无锡市人民医院", "diagnosis": "社区获得性肺炎"}


def _china_noon():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime(TODAY.year, TODAY.month, TODAY.day, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


CLAIM_NOON = _china_noon()  # when claims are filed by default: noon in China on ``TODAY``


def jpeg_bytes(color=(200, 30, 30), with_gps=True) -> bytes:
    """A phone photo: JPEG with EXIF (and GPS unless told otherwise)."""
    import io

    from PIL import ExifTags, Image

    image = Image.new("RGB", (64, 48), color)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCam"
    if with_gps:
        exif.get_ifd(ExifTags.IFD.GPSInfo).update({ExifTags.GPS.GPSLatitudeRef: "N",
                                                   ExifTags.GPS.GPSLatitude: (31.0, 34.0, 0.0)})
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def png_bytes(color=(30, 30, 200)) -> bytes:
    """A scan as PNG; a different ``color`` makes a different file."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), color).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes(color=(30, 200, 30)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), color).save(buffer, format="PDF")
    return buffer.getvalue()


def covered_member(union: Union | None = None, *, plan=None, starts_on: date = date(2026, 1, 1),
                   is_renewal: bool = True, **fields) -> Member:
    """A member of ``union`` (a new one by default) with a renewed cover from ``starts_on``."""
    union = union or create_union()
    member = create_member(union=union, **fields)
    create_enrollment(member, plan or create_plan(code=f"SANHEYI{member.id}"), starts_on=starts_on,
                      is_renewal=is_renewal)
    return member


def file_claim(actor, member: Member | None = None, *, claim_type: str = "hospital", facts: dict | None = None,
               documents: bool = True, submit: bool = True, now=None, key: str | None = None):
    """A claim through the real services: draft, facts, every document, submission.

    ``actor`` is the member or, naming ``member``, their union officer.
    """
    from portal.models.claims import Claim
    from portal.services.claims import documents as claim_documents
    from portal.services.claims import filing, queries

    now = now or CLAIM_NOON
    claim = filing.start_claim(actor, claim_type, request_key=key or f"k{next(_sequence)}",
                               id_number=member.id_number if member is not None else None, today=now.date())
    filing.save_claim(actor, claim.id, dict(facts or HOSPITAL_FACTS), bank_card=CARD, today=now.date())
    if documents:
        for number, (kind, _) in enumerate(queries.document_choices(claim)):
            claim_documents.upload_document(actor, claim.id, kind=kind, filename=f"{kind}.png",
                                            data=png_bytes((number * 20, 10, 10)), today=now.date())
    if submit:
        filing.submit_claim(actor, claim.id, now=now)
    return db.session.get(Claim, claim.id)


def approved_claims(reviewer, count: int = 2, *, now=None) -> list:
    """``count`` claims of new covered members, filed and approved by ``reviewer`` (800元 each)."""
    from portal.services.review import decisions

    claims = [file_claim(covered_member()) for _ in range(count)]
    for claim in claims:
        decisions.decide_claim(reviewer, claim.id, "approve", version=claim.version_id, now=now or CLAIM_NOON)
    return claims


def create_payout_batch(reviewer, count: int = 2, *, now=None):
    """A payout batch of ``count`` freshly approved claims."""
    from portal.services.review import payouts

    approved_claims(reviewer, count, now=now)
    return payouts.create_batch(reviewer, now=now or CLAIM_NOON)


DISCHARGE_HEADERS = ["身份证号", "入院日期", "出院日期", "医院", "诊断"]


def discharge_row(member: Member, admitted: date = date(2026, 6, 1), days: int = 6, *,
                  hospital: str = "无锡市人民医院", diagnosis: str = "肺炎") -> list:
    """One line of a hospital-discharge list: ``member``'s stay from ``admitted``."""
    from datetime import timedelta

    return [member.id_number, admitted.isoformat(), (admitted + timedelta(days=days)).isoformat(), hospital,
            diagnosis]


def discharge_list(*rows) -> bytes:
    """A discharge list as the medical-insurance side sends it (Excel, ID numbers as text)."""
    from portal.integrations.spreadsheets import write_xlsx

    return write_xlsx(DISCHARGE_HEADERS, list(rows), text_columns=(0,))



# ---------------------------------------------------------------- childcare

def create_childcare_class(union: Union, *, today: date = TODAY, phase: str = "window_open", seats: int = 46,
                           **fields):
    """A published childcare class whose dates put it in ``phase`` on ``today``."""
    from datetime import time, timedelta

    from portal.models import ChildcareClass

    opens, closes, starts, ends = (today + timedelta(days=d) for d in CHILDCARE_PHASE_DAYS[phase])
    values = dict(
        name=f"测试暑托班{next(_sequence)}", site_name="职工服务中心", address="测试路1号", district="测试区",
        starts_on=starts, ends_on=ends, weekdays="12345", daily_start=time(8), daily_end=time(17, 30),
        seats=seats, seats_taken=0, last_number=0, min_age=6, max_age=12, fee_fen=0, meals="午餐",
        programme="手工、阅读", staff_and_volunteers="社工2名", safety_rules="须由授权成人接送。",
        registration_opens_on=opens, registration_closes_on=closes, status="published",
    )
    values.update(fields)
    cls = ChildcareClass(union=union, **values)
    db.session.add(cls)
    db.session.commit()
    return cls


def child_input(*, name: str = "小明", birth: date = date(2018, 5, 1), region: str = "320214",
                sequence: int | None = None, adults: list[tuple[str, str, str]] | None = None, **fields):
    """What a parent types for a child (``sequence`` odd for a boy); a new child each call by default."""
    from portal.services.childcare import registrations

    number = compose_id_number(region, birth, sequence if sequence is not None else 2 * next(_sequence) + 1)
    adults = adults or [("王芳", "母亲", "13912345678")]
    return registrations.ChildInput(name=name, id_number=number,
                                    pickup_adults=[registrations.PickupInput(*adult) for adult in adults], **fields)


def create_child(parent: Member, *, name: str = "王小明", birth: date = date(2018, 5, 1), region: str = "320214",
                 adults: list[tuple[str, str, str]] | None = None, health_notes: str | None = None,
                 allergies: str | None = None):
    """A child of ``parent`` (7 when a ``TODAY`` class starts, a boy) with the adults who may collect them."""
    from portal.models import Child
    from portal.services.childcare import registrations

    child = Child(parent_id=parent.id, name=name, health_notes=health_notes, allergies=allergies)
    child.set_identity(parse_id_number(compose_id_number(region, birth, 2 * next(_sequence) + 1), today=TODAY))
    registrations.set_pickup_adults(child, [registrations.PickupInput(*adult)
                                            for adult in adults or [("王芳", "母亲", "13912345678")]])
    db.session.add(child)
    db.session.commit()
    return child


def create_registration(cls, parent: Member | None = None, *, child=None, status: str = "requested",
                        category: str = "general", declared: bool = False, when=None):
    """A registration of ``cls`` in ``status`` as the services leave it: the class's next number, a
    confirmed one holding a seat, a wait-listed one at the end of the queue."""
    from datetime import datetime

    from portal.clock import CHINA
    from portal.domain.childcare import PriorityCategory
    from portal.models import Registration

    parent = parent or (child.parent if child is not None else create_member(union=cls.union))
    child = child or create_child(parent)
    when = when or datetime(TODAY.year, TODAY.month, TODAY.day, 9, tzinfo=CHINA)
    cls.last_number += 1
    registration = Registration(childcare_class=cls, child=child, parent_id=parent.id, number=cls.last_number,
                                status=status, category=category, category_declared=declared,
                                tier=PriorityCategory(category).tier, accepted_rules_at=when, requested_at=when)
    if status == "confirmed":
        registration.seat_source, registration.confirmed_at = "first_come", when
        cls.seats_taken += 1
    elif status == "waitlisted":
        registration.queue_number = cls.last_number
    elif status == "cancelled":
        registration.cancelled_at = when
    db.session.add(registration)
    db.session.commit()
    return registration


def create_attendance(registration, day: date | None = None, *, status: str = "present", picked_up: bool = False):
    """The mark of ``registration``'s child on ``day`` (the class's first day by default); with
    ``picked_up``, collected at 17:00 by the first adult the parent listed."""
    from datetime import datetime

    from portal.clock import CHINA
    from portal.models import Attendance

    day = day or registration.childcare_class.starts_on
    mark = Attendance(registration_id=registration.id, class_id=registration.class_id, day=day, status=status)
    if status == "present":
        mark.checked_in_at = datetime(day.year, day.month, day.day, 8, tzinfo=CHINA)
        if picked_up:
            mark.pickup_adult_id = registration.child.authorised_adults[0].id
            mark.picked_up_at = datetime(day.year, day.month, day.day, 17, tzinfo=CHINA)
    db.session.add(mark)
    db.session.commit()
    return mark


# ---------------------------------------------------------------- work-study (jobs)

def create_enterprise(*, union: Union | None = None, name: str | None = None, status: str = "approved",
                      contact_username: str | None = None):
    """A caring enterprise (approved by default) and, with ``contact_username``, its contact's account."""
    from portal.domain.jobs import compose_uscc
    from portal.models import Enterprise

    number = next(_sequence)
    union = union or create_union(kind=UnionKind.STREET)
    enterprise = Enterprise(name=name or f"测试爱心企业{number}", uscc=compose_uscc("320206", number),
                            district="惠山区", address="长安街道测试路1号", union=union, contact_name="企业联系人",
                            status=status)
    enterprise.set_contact_mobile(f"139{number:08d}")
    db.session.add(enterprise)
    db.session.flush()
    if contact_username:
        user = StaffUser(username=contact_username, display_name="企业联系人", role=Role.ENTERPRISE,
                         enterprise_id=enterprise.id, is_active_account=status == "approved")
        user.set_password(PASSWORD)
        db.session.add(user)
    db.session.commit()
    return enterprise


def create_position(enterprise, *, places: int = 2, starts_on: date = date(2026, 7, 15),
                    ends_on: date = date(2026, 8, 15), apply_by: date = date(2026, 7, 10), pay_fen: int = 15_000,
                    pay_unit: str = "day", **fields):
    """An open position of ``enterprise`` (dates fit ``TODAY``)."""
    from portal.models import Position

    values = dict(title="行政助理", description="协助整理档案。", district=enterprise.district,
                  address=enterprise.address, majors="行政管理、文秘", hours="周一至周五 9:00—17:00", min_age=16,
                  safety_notes="不安排高处和夜间作业。", agreement_confirmed=True, status="open")
    values.update(fields)
    position = Position(enterprise_id=enterprise.id, union_id=enterprise.union_id, places=places, filled=0,
                        pay_fen=pay_fen, pay_unit=pay_unit, starts_on=starts_on, ends_on=ends_on, apply_by=apply_by,
                        **values)
    db.session.add(position)
    db.session.commit()
    return position


def create_student(parent: Member | None = None, *, name: str = "李明", birth: date = date(2005, 3, 1),
                   region: str = "320206"):
    """A university student registered by ``parent`` (a new member by default; 19 on ``TODAY``)."""
    from portal.models import Student

    parent = parent or create_member()
    number = next(_sequence)
    student = Student(parent_member_id=parent.id, name=name, school="江南大学", major="会计学", year_of_study="大二")
    student.set_identity(parse_id_number(compose_id_number(region, birth, 100 + number), today=TODAY))
    student.set_mobile(f"137{number:08d}")
    db.session.add(student)
    db.session.commit()
    return student


def create_application(position=None, student=None, *, status: str = "submitted", note: str | None = None):
    """``student``'s application to ``position`` (new ones by default), as the parent sent it."""
    from portal.models import Application

    position = position or create_position(create_enterprise())
    student = student or create_student()
    application = Application(student_id=student.id, position_id=position.id, status=status, channel="member",
                              is_priority=student.is_hardship_family, decision_note=note)
    db.session.add(application)
    db.session.commit()
    return application


def create_placement(application=None, *, status: str = "confirmed", insurer: str = "人保财险"):
    """The placement that follows an accepted application.

    Past "confirmed" the agreement and insurance are recorded (on the first day), as the
    enterprise does before a student may start.
    """
    from portal.models import Placement

    application = application or create_application(status="accepted")
    application.status = "accepted"
    position = application.position
    position.filled += 1
    placement = Placement(application_id=application.id, position_id=position.id, student_id=application.student_id,
                          enterprise_id=position.enterprise_id, union_id=position.union_id, status=status,
                          starts_on=position.starts_on, ends_on=position.ends_on)
    if status != "confirmed":
        placement.agreement_signed_on = position.starts_on
        placement.insurer, placement.insurance_policy_no = insurer, f"PICC-{next(_sequence)}"
    db.session.add(placement)
    db.session.commit()
    return placement


def create_concern(placement=None, *, category: str = "unpaid_wages", description: str = "两周工资还没有发放",
                   status: str = "open", answer: str | None = None):
    """A concern the student raised about ``placement`` (a placement under way by default)."""
    from portal.models import Concern

    placement = placement or create_placement(status="under_way")
    concern = Concern(placement_id=placement.id, union_id=placement.union_id, category=category,
                      description=description, raised_via="student", status=status, answer=answer)
    db.session.add(concern)
    db.session.commit()
    return concern


# ---------------------------------------------------------------- auth, members, staff, texts


# ---------------------------------------------------------------- events (singles' events, the collective wedding)

EVENT_DAY = date(2026, 7, 20)  # registration open on TODAY (2026-07-01)


def create_singles_event(union: Union, *, capacity: int = 10, balanced: bool = False, held_on: date = EVENT_DAY,
                         status: str = "published", **fields):
    """A singles' event of ``union`` whose registration window is open on ``TODAY``."""
    from datetime import time, timedelta

    from portal.models import SinglesEvent

    values = dict(title=f"测试联谊活动{next(_sequence)}", place="工人文化宫", held_on=held_on, starts_at=time(14),
                  ends_at=time(17), capacity=capacity, balanced=balanced, min_age=22, max_age=40,
                  registration_opens_on=TODAY - timedelta(days=10), registration_closes_on=held_on - timedelta(days=3),
                  status=status, places_taken=0, men_taken=0, women_taken=0, last_number=0, description="")
    values.update(fields)
    event = SinglesEvent(union=union, **values)
    db.session.add(event)
    db.session.commit()
    return event


def create_single(union: Union, *, gender: str = "M", birth: date = date(1995, 4, 1), **fields) -> Member:
    """A member of dating age; ``gender`` sets the ID number's sequence parity."""
    number = next(_sequence)
    sequence = 100 + 2 * number + (1 if gender == "M" else 0)
    member = Member(name=fields.pop("name", "李四"), union=union, **fields)
    member.set_identity(parse_id_number(compose_id_number("320213", birth, sequence % 1000), today=TODAY))
    member.set_mobile(f"139{number:08d}")
    db.session.add(member)
    db.session.commit()
    return member


def create_wedding(union: Union, *, capacity: int = 100, held_on: date = EVENT_DAY, status: str = "published",
                   **fields):
    from datetime import time, timedelta

    from portal.models import Wedding

    values = dict(title="百对新人职工集体婚礼", place="工人文化宫广场", held_on=held_on, starts_at=time(14),
                  capacity=capacity, registration_opens_on=TODAY - timedelta(days=10),
                  registration_closes_on=held_on - timedelta(days=5), status=status, couples_taken=0, last_number=0,
                  programme="14:00 新人入场\n15:00 证婚")
    values.update(fields)
    wedding = Wedding(union=union, **values)
    db.session.add(wedding)
    db.session.commit()
    return wedding


# ---------------------------------------------------------------- stations (directory, kiosks)

def create_station(union: Union, *, code: str | None = None, name: str | None = None, kind: str = "outdoor_workers",
                   district: str | None = "梁溪区", services=("water", "rest"), **fields):
    """A completed station offering ``services``; pass ``season_starts_on``/``season_ends_on`` for a seasonal one."""
    from portal.models import Station, StationOffer

    number = next(_sequence)
    station = Station(code=code or f"ST{number:04d}", name=name or f"测试驿站{number}", kind=kind, union=union,
                      district=district, address=f"测试路{number}号", opening_hours="每天 7:00—21:00", **fields)
    station.offers = [StationOffer(service=service) for service in services]
    db.session.add(station)
    db.session.commit()
    return station


def create_kiosk(station, *, status: str = "active", name: str = "一号机"):
    """A kiosk row at ``station`` (no keys: enough for what the directory derives from it)."""
    import uuid

    from portal.models import Kiosk

    kiosk = Kiosk(id=str(uuid.uuid4()), station=station, name=name, status=status)
    db.session.add(kiosk)
    db.session.commit()
    return kiosk
