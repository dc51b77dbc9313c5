"""Students: a parent registers a child at university, or a student applies alone and the parent
confirms with a code texted to the member's mobile."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from portal import clock
from portal.domain import jobs as rules
from portal.domain.errors import Conflict, InvalidInput
from portal.domain.i18n import N_
from portal.domain.identity import IdNumber, parse_id_number, parse_mobile
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Application, Member, Student, StudentVerification
from portal.models.base import utcnow
from portal.pii import lookup_hash
from portal.services import audit
from portal.services.access import require_role
from portal.services.jobs import access, applications
from portal.services.sms import count_visitor_request, new_code, queue_text
from portal.services.unit_of_work import independent_unit, unit_of_work

VERIFICATION_TTL = timedelta(minutes=10)
VERIFICATION_MAX_ATTEMPTS = 5
YEARS_OF_STUDY = ("大一", "大二", "大三", "大四", "大五", "研一", "研二", "研三")
CODE_FAILED = N_("确认码不正确或已过期。请让家长核对短信，或重新提交报名。")
OTHER_PARENT = N_("该学生已由另一位家长登记。如有疑问请联系所在工会。")


@dataclass
class StudentDetails:
    name: str
    id_number: str
    mobile: str
    school: str
    major: str
    year_of_study: str


def _checked_details(details: StudentDetails, *, today: date) -> tuple[IdNumber, str]:
    parsed = parse_id_number(details.id_number, today=today)
    mobile = parse_mobile(details.mobile)
    if not details.name.strip():
        raise InvalidInput(N_("请填写学生姓名。"), field="name")
    if not details.school.strip():
        raise InvalidInput(N_("请填写就读学校。"), field="school")
    if not details.major.strip():
        raise InvalidInput(N_("请填写所学专业。"), field="major")
    if details.year_of_study not in YEARS_OF_STUDY:
        raise InvalidInput(N_("请选择年级。"), field="year_of_study")
    if parsed.age_on(today) < rules.MIN_STUDENT_AGE - 2:
        # Far too young to be at university: almost always a parent's or sibling's number by mistake.
        raise InvalidInput(N_("按身份证号码计算，该学生年龄过小，请核对是否填写了学生本人的身份证号码。"),
                           code="student_too_young", field="id_number")
    return parsed, mobile


def _registered(id_number: str) -> Student | None:
    return db.session.scalar(select(Student).where(Student.id_number_hash == lookup_hash(id_number)))


def _add_student(parent: Member, *, name: str, id_number: IdNumber, mobile: str, school: str, major: str,
                 year_of_study: str, via: str) -> Student:
    student = Student(parent_member_id=parent.id, name=name, school=school, major=major,
                      year_of_study=year_of_study, registered_via=via)
    student.set_identity(id_number)
    student.set_mobile(mobile)
    db.session.add(student)
    db.session.flush()
    audit.record(parent, "jobs.student_register", "student", student.id, **({"via": via} if via != "member" else {}))
    return student


@unit_of_work
def register_student(member, details: StudentDetails, *, today: date | None = None, via: str = "member") -> Student:
    """A member registers their child (age is checked against each position's start date later)."""
    today = today or clock.today()
    require_role(member, Role.MEMBER)
    parsed, mobile = _checked_details(details, today=today)
    existing = _registered(parsed.value)
    if existing is not None:
        if existing.parent_member_id == member.id:
            raise Conflict(N_("该学生您已登记过，可直接为其报名岗位。"), code="student_exists", field="id_number")
        raise Conflict(OTHER_PARENT, code="student_other_parent", field="id_number")
    if parsed.value == member.id_number:
        raise InvalidInput(N_("这是您本人的身份证号码，请填写学生本人的身份证号码。"), field="id_number")
    return _add_student(member, name=details.name.strip(), id_number=parsed, mobile=mobile,
                        school=details.school.strip(), major=details.major.strip(),
                        year_of_study=details.year_of_study, via=via)


# ---------------------------------------------------------------- a student applying alone

def _code_hash(public_id: str, code: str) -> str:
    return lookup_hash(f"jobs-verification:{public_id}:{code}")


@unit_of_work
def start_student_application(position_id, details: StudentDetails, *, parent_id_number: str,
                              parent_mobile: str, motivation: str = "", now: datetime | None = None) -> str:
    """A student applies alone: everything is checked, then the parent gets a code by text.

    The answer (a verification id) is the same whether or not the parent is a member, so the
    form cannot be used to find out who is one.
    """
    now = now or utcnow()
    today = now.astimezone(clock.CHINA).date()
    position = access.public_position(position_id)
    parsed, mobile = _checked_details(details, today=today)
    rules.check_student_age(parsed, position.starts_on, minimum_age=position.min_age)
    rules.check_can_apply(closed_reason=position.closed_reason_on(today), already_applied=False, live_applications=0)
    parent_parsed = parse_id_number(parent_id_number, today=today)
    parent_phone = parse_mobile(parent_mobile)
    if parent_parsed.value == parsed.value:
        raise InvalidInput(N_("请填写父亲或母亲（工会会员）的身份证号码，而不是学生本人的。"), field="parent_id_number")
    parent = Member.by_id_number(parent_parsed.value)
    matches = parent is not None and parent.mobile_hash == lookup_hash(parent_phone)
    count_visitor_request(parent_phone, "jobs_parent_verification", field="parent_mobile", now=now)
    public_id = str(uuid.uuid4())
    seed, code = new_code()
    payload = {"name": details.name.strip(), "id_number": parsed.value, "mobile": mobile,
               "school": details.school.strip(), "major": details.major.strip(),
               "year_of_study": details.year_of_study, "motivation": motivation.strip()[:1000]}
    db.session.add(StudentVerification(
        public_id=public_id, position_id=position.id, parent_member_id=parent.id if matches else None,
        payload=json.dumps(payload, ensure_ascii=False), code_hash=_code_hash(public_id, code),
        expires_at=now + VERIFICATION_TTL, created_at=now,
    ))
    if matches:
        queue_text(parent_phone, kind="jobs_parent_verification", member=parent, subject=("position", position.id),
                   params={"position": position.id, "minutes": int(VERIFICATION_TTL.total_seconds() // 60)},
                   code_seed=seed)
    return public_id


@unit_of_work
def confirm_student_application(public_id: str, code: str, *, now: datetime | None = None) -> Application:
    """The code the parent received comes back: the student is registered and the application made.

    Every attempt is counted at once, in its own transaction, so a refused application cannot
    give a guesser the attempt back; a wrong code is refused before anything else happens.
    """
    now = now or utcnow()
    today = now.astimezone(clock.CHINA).date()
    verification_id = _count_attempt(public_id, code, now=now)
    if verification_id is None:
        raise InvalidInput(CODE_FAILED, code="code_failed", field="code")
    verification = db.session.get(StudentVerification, verification_id)
    parent = db.session.get(Member, verification.parent_member_id)
    data = json.loads(verification.payload)
    student = _registered(data["id_number"])
    if student is not None and student.parent_member_id != parent.id:
        _use_up(verification_id, now=now)
        raise Conflict(OTHER_PARENT, code="student_other_parent")
    used = db.session.execute(
        update(StudentVerification).where(StudentVerification.id == verification_id,
                                          StudentVerification.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if not used:  # the same code came back twice at once: the first one used it
        raise InvalidInput(CODE_FAILED, code="code_failed", field="code")
    if student is None:
        student = _add_student(parent, name=data["name"], id_number=parse_id_number(data["id_number"], today=today),
                               mobile=data["mobile"], school=data["school"], major=data["major"],
                               year_of_study=data["year_of_study"], via="student")
    position = access.public_position(verification.position_id)
    return applications.submit(student, position, motivation=data.get("motivation", ""), channel="student",
                               actor=parent, today=today)


def _count_attempt(public_id: str, code: str, *, now: datetime) -> int | None:
    """Count one attempt at the code (kept whatever happens next); the verification's id when the
    code is right and may still be used, else ``None``."""
    typed = "".join(ch for ch in str(code) if ch.isdigit())
    with independent_unit() as session:
        verification = session.scalar(
            select(StudentVerification).where(StudentVerification.public_id == str(public_id)).with_for_update())
        if (verification is None or verification.used_at is not None or verification.expires_at <= now
                or verification.attempts >= VERIFICATION_MAX_ATTEMPTS):
            return None
        verification.attempts += 1
        right = verification.parent_member_id is not None and secrets.compare_digest(
            verification.code_hash, _code_hash(verification.public_id, typed))
        return verification.id if right else None


def _use_up(verification_id: int, *, now: datetime) -> None:
    """Spend a code that can never succeed (the student belongs to another family), whatever the action does."""
    with independent_unit() as session:
        session.execute(update(StudentVerification).where(StudentVerification.id == verification_id)
                        .values(used_at=now))
