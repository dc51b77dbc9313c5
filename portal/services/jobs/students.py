"""Students: a parent registers a child at university, or a student applies alone and the parent
confirms with a code texted to the member's mobile.

Whether another parent already registered a student is told only to someone who brought back a
code texted to the student's mobile: before that, every answer depends on the asker's own data
alone, so knowing a young person's ID number is not enough to learn whether some other member
registered them."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from portal import clock
from portal.domain import jobs as rules
from portal.domain.errors import Conflict, InvalidInput, NotFound
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
CODE_FAILED = N_("确认码不正确或已过期。请核对家长和学生本人收到的短信，或重新提交报名。")
LINK_CODE_FAILED = N_("确认码不正确或已过期。请让学生核对短信，或重新登记。")
OTHER_PARENT = N_("该学生已由另一位家长登记。如有疑问请联系所在工会。")
ALREADY_YOURS = N_("该学生您已登记过，可直接为其报名岗位。")
NOT_YOUR_MOBILE = N_("请填写学生本人的手机号码，不能填写您自己的。")
NOT_PARENT_MOBILE = N_("请填写学生本人的手机号码，不能与家长的手机号码相同。")


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


def _own_student(member: Member, id_number: str) -> Student | None:
    """The member's own registration of this student (never another parent's)."""
    return db.session.scalar(select(Student).where(Student.id_number_hash == lookup_hash(id_number),
                                                   Student.parent_member_id == member.id))


def _payload(details: StudentDetails, id_number: IdNumber, mobile: str, motivation: str = "") -> str:
    return json.dumps({"name": details.name.strip(), "id_number": id_number.value, "mobile": mobile,
                       "school": details.school.strip(), "major": details.major.strip(),
                       "year_of_study": details.year_of_study, "motivation": motivation.strip()[:1000]},
                      ensure_ascii=False)


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


# ---------------------------------------------------------------- a member registering a child

def _link_code_hash(public_id: str, code: str) -> str:
    return lookup_hash(f"jobs-student-link:{public_id}:{code}")


@unit_of_work
def request_student_link(member, details: StudentDetails, *, now: datetime | None = None) -> str:
    """A member registers their child: everything typed is checked, then the student gets a code
    by text at the mobile typed; the registration waits for it (``confirm_student_link``).

    The answer (a link id, one text to the student's mobile) is the same whether or not another
    parent registered the student: only the member's own data is looked at here.
    """
    now = now or utcnow()
    today = now.astimezone(clock.CHINA).date()
    require_role(member, Role.MEMBER)
    parsed, mobile = _checked_details(details, today=today)
    if parsed.value == member.id_number:
        raise InvalidInput(N_("这是您本人的身份证号码，请填写学生本人的身份证号码。"), field="id_number")
    if _own_student(member, parsed.value) is not None:
        raise Conflict(ALREADY_YOURS, code="student_exists", field="id_number")
    if lookup_hash(mobile) == member.mobile_hash:
        raise InvalidInput(NOT_YOUR_MOBILE, field="mobile")
    count_visitor_request(mobile, "jobs_student_link", field="mobile", now=now)
    public_id = str(uuid.uuid4())
    seed, code = new_code()
    db.session.add(StudentVerification(
        public_id=public_id, position_id=None, parent_member_id=member.id, payload=_payload(details, parsed, mobile),
        code_hash=_link_code_hash(public_id, code), expires_at=now + VERIFICATION_TTL, created_at=now,
    ))
    queue_text(mobile, kind="jobs_student_link", params={"minutes": int(VERIFICATION_TTL.total_seconds() // 60)},
               code_seed=seed)
    audit.record(member, "jobs.student_link_request", "member", member.id)
    return public_id


@unit_of_work
def confirm_student_link(member, public_id: str, code: str, *, now: datetime | None = None) -> Student:
    """The code the student received comes back: the student is registered to the member, or,
    now that the member proved they reach the student's phone, told that another parent did."""
    now = now or utcnow()
    today = now.astimezone(clock.CHINA).date()
    require_role(member, Role.MEMBER)
    verification_id = _count_attempt(public_id, code, now=now, linking_member=member)
    if verification_id is None:
        raise InvalidInput(LINK_CODE_FAILED, code="code_failed", field="code")
    verification = db.session.get(StudentVerification, verification_id)
    data = json.loads(verification.payload)
    student = _registered(data["id_number"])
    if student is not None:
        _use_up(verification_id, now=now)
        if student.parent_member_id == member.id:  # two links for the same child, both confirmed
            raise Conflict(ALREADY_YOURS, code="student_exists", field="code")
        raise Conflict(OTHER_PARENT, code="student_other_parent", field="code")
    if not _mark_used(verification_id, now=now):
        raise InvalidInput(LINK_CODE_FAILED, code="code_failed", field="code")
    return _add_student(member, name=data["name"], id_number=parse_id_number(data["id_number"], today=today),
                        mobile=data["mobile"], school=data["school"], major=data["major"],
                        year_of_study=data["year_of_study"], via="member")


def pending_link(member, public_id: str, *, now: datetime | None = None) -> StudentVerification:
    """The member's own link still waiting for the student's code (another member's is not found)."""
    require_role(member, Role.MEMBER)
    now = now or utcnow()
    verification = db.session.scalar(select(StudentVerification).where(
        StudentVerification.public_id == str(public_id), StudentVerification.position_id.is_(None),
        StudentVerification.parent_member_id == member.id))
    if verification is None or verification.used_at is not None or verification.expires_at <= now:
        raise NotFound(N_("这条登记已确认或已过期，请重新登记子女。"))
    return verification


# ---------------------------------------------------------------- a student applying alone

def _code_hash(public_id: str, code: str) -> str:
    return lookup_hash(f"jobs-verification:{public_id}:{code}")


def _student_code_hash(public_id: str, code: str) -> str:
    return lookup_hash(f"jobs-student-verification:{public_id}:{code}")


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
    if parent_phone == mobile:
        raise InvalidInput(NOT_PARENT_MOBILE, field="mobile")
    parent = Member.by_id_number(parent_parsed.value)
    matches = parent is not None and parent.mobile_hash == lookup_hash(parent_phone)
    count_visitor_request(parent_phone, "jobs_parent_verification", field="parent_mobile", now=now)
    count_visitor_request(mobile, "jobs_student_verification", field="mobile", now=now)
    public_id = str(uuid.uuid4())
    seed, code = new_code()
    student_seed, student_code = new_code()
    db.session.add(StudentVerification(
        public_id=public_id, position_id=position.id, parent_member_id=parent.id if matches else None,
        payload=_payload(details, parsed, mobile, motivation), code_hash=_code_hash(public_id, code),
        student_code_hash=_student_code_hash(public_id, student_code),
        expires_at=now + VERIFICATION_TTL, created_at=now,
    ))
    minutes = int(VERIFICATION_TTL.total_seconds() // 60)
    queue_text(mobile, kind="jobs_student_verification", subject=("position", position.id),
               params={"position": position.id, "minutes": minutes}, code_seed=student_seed)
    if matches:
        queue_text(parent_phone, kind="jobs_parent_verification", member=parent, subject=("position", position.id),
                   params={"position": position.id, "minutes": minutes}, code_seed=seed)
    return public_id


@unit_of_work
def confirm_student_application(public_id: str, code: str, student_code: str = "", *,
                                now: datetime | None = None) -> Application:
    """The codes the parent and the student received come back: the student is registered and the
    application made. Only then is a student another parent registered refused as such.

    Every attempt is counted at once, in its own transaction, so a refused application cannot
    give a guesser the attempt back; a wrong code is refused before anything else happens.
    """
    now = now or utcnow()
    today = now.astimezone(clock.CHINA).date()
    verification_id = _count_attempt(public_id, code, now=now, student_code=student_code)
    if verification_id is None:
        raise InvalidInput(CODE_FAILED, code="code_failed", field="code")
    verification = db.session.get(StudentVerification, verification_id)
    parent = db.session.get(Member, verification.parent_member_id)
    data = json.loads(verification.payload)
    student = _registered(data["id_number"])
    if student is not None and student.parent_member_id != parent.id:
        _use_up(verification_id, now=now)
        raise Conflict(OTHER_PARENT, code="student_other_parent")
    if not _mark_used(verification_id, now=now):  # the same code came back twice at once
        raise InvalidInput(CODE_FAILED, code="code_failed", field="code")
    if student is None:
        student = _add_student(parent, name=data["name"], id_number=parse_id_number(data["id_number"], today=today),
                               mobile=data["mobile"], school=data["school"], major=data["major"],
                               year_of_study=data["year_of_study"], via="student")
    position = access.public_position(verification.position_id)
    return applications.submit(student, position, motivation=data.get("motivation", ""), channel="student",
                               actor=parent, today=today)


def _digits(code) -> str:
    return "".join(ch for ch in str(code or "") if ch.isdigit())


def _count_attempt(public_id: str, code: str, *, now: datetime, student_code: str = "",
                   linking_member: Member | None = None) -> int | None:
    """Count one attempt at the code(s) (kept whatever happens next); the verification's id when
    they are right and may still be used, else ``None``.

    With ``linking_member``: a member's link to a child (the student's code), found only among
    that member's own links; without: a student's own application (the parent's code and the
    student's)."""
    with independent_unit() as session:
        verification = session.scalar(
            select(StudentVerification).where(StudentVerification.public_id == str(public_id)).with_for_update())
        if (verification is None or verification.used_at is not None or verification.expires_at <= now
                or verification.attempts >= VERIFICATION_MAX_ATTEMPTS
                or (verification.position_id is None) != (linking_member is not None)):
            return None
        if linking_member is not None:
            if verification.parent_member_id != linking_member.id:
                return None
            verification.attempts += 1
            right = secrets.compare_digest(verification.code_hash,
                                           _link_code_hash(verification.public_id, _digits(code)))
            return verification.id if right else None
        verification.attempts += 1
        right = verification.parent_member_id is not None and secrets.compare_digest(
            verification.code_hash, _code_hash(verification.public_id, _digits(code)))
        if verification.student_code_hash is not None:  # every application since the student's code
            right = secrets.compare_digest(
                verification.student_code_hash,
                _student_code_hash(verification.public_id, _digits(student_code))) and right
        return verification.id if right else None


def _mark_used(verification_id: int, *, now: datetime) -> bool:
    """Use the code once: ``False`` when the same code came back twice at once and the other used it."""
    return bool(db.session.execute(
        update(StudentVerification).where(StudentVerification.id == verification_id,
                                          StudentVerification.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount)


def _use_up(verification_id: int, *, now: datetime) -> None:
    """Spend a code that can never succeed (the student belongs to another family), whatever the action does."""
    with independent_unit() as session:
        session.execute(update(StudentVerification).where(StudentVerification.id == verification_id)
                        .values(used_at=now))
