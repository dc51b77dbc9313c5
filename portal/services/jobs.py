"""Work-study "关爱·圆梦": enterprises, positions, the public listing, students and applications.

Placements, concerns and the union's figures are in ``portal.services.jobs_placements``.
Every function takes the acting user first, checks role and scope, audits, and commits.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal import clock
from portal.domain import jobs as rules
from portal.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from portal.domain.i18n import N_
from portal.domain.identity import parse_id_number, parse_mobile
from portal.domain.jobs import ApplicationStatus, EnterpriseStatus, PayUnit, PositionStatus
from portal.domain.money import yuan_to_fen
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Application, Enterprise, Member, Position, StaffUser, Student, StudentVerification, Union
from portal.models.base import utcnow
from portal.models.unions import UnionKind
from portal.pii import lookup_hash
from portal.services import audit
from portal.services.access import require_role, require_union_in_scope, role_of, union_scope
from portal.services.sms import queue_text
from portal.services.staff import MIN_PASSWORD_LENGTH

UNION_ROLES = (Role.UNION_OFFICER, Role.ADMIN)
VERIFICATION_TTL = timedelta(minutes=10)
VERIFICATION_MAX_ATTEMPTS = 5
REPOST_WINDOW = timedelta(minutes=10)  # the same position posted again this soon is a double submit
YEARS_OF_STUDY = ("大一", "大二", "大三", "大四", "大五", "研一", "研二", "研三")


# ---------------------------------------------------------------- access helpers

def enterprise_of(actor) -> Enterprise:
    """The approved enterprise an enterprise contact acts for; refused otherwise."""
    require_role(actor, Role.ENTERPRISE)
    enterprise = db.session.get(Enterprise, actor.enterprise_id) if actor.enterprise_id else None
    if enterprise is None:
        raise PermissionDenied(N_("该账号未关联爱心企业，请联系工会经办人。"))
    if enterprise.status != EnterpriseStatus.APPROVED:
        raise PermissionDenied(N_("企业尚未通过工会审核，审核通过后才能发布岗位和处理报名。"))
    return enterprise


def own_position(actor, position_id: int, *, lock: bool = False) -> Position:
    """A position of the actor's own enterprise; another enterprise's position is refused."""
    enterprise = enterprise_of(actor)
    position = db.session.get(Position, position_id, with_for_update=lock or None)
    if position is None:
        raise NotFound(N_("找不到该岗位。"))
    if position.enterprise_id != enterprise.id:
        raise PermissionDenied(N_("该岗位不属于您的企业，不能查看或处理。"))
    return position


def require_union_staff(actor) -> None:
    require_role(actor, *UNION_ROLES)


def enterprise_in_scope(actor, enterprise_id: int) -> Enterprise:
    require_union_staff(actor)
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(N_("找不到该企业。"))
    require_union_in_scope(actor, enterprise.union)
    return enterprise


def oversight_unions(actor=None) -> list[Union]:
    """Unions an enterprise may register under: districts and streets (where officers approve)."""
    stmt = select(Union).where(Union.kind.in_((UnionKind.DISTRICT, UnionKind.STREET))).order_by(Union.code)
    if actor is not None and role_of(actor) in UNION_ROLES:
        stmt = union_scope(stmt, actor, Union.id)
    return list(db.session.scalars(stmt))


# ---------------------------------------------------------------- enterprises

@dataclass
class EnterpriseDetails:
    name: str
    uscc: str
    district: str
    address: str
    union_id: int
    contact_name: str
    contact_mobile: str
    description: str = ""


def register_enterprise(actor, details: EnterpriseDetails, *, username: str, password: str,
                        now: datetime | None = None) -> Enterprise:
    """Register a caring enterprise and its contact's account.

    Self-registration (``actor`` None) leaves both pending until a union officer approves; an
    officer registering on the enterprise's behalf vouches for it, so it is approved at once.
    """
    now = now or utcnow()
    by_staff = actor is not None
    if by_staff:
        require_union_staff(actor)
    code = rules.parse_uscc(details.uscc)
    try:
        mobile = parse_mobile(details.contact_mobile)
    except InvalidInput as error:
        raise InvalidInput(error.message, code=error.code, field="contact_mobile") from None
    name = details.name.strip()
    if not name:
        raise InvalidInput(N_("请填写企业名称（与营业执照一致）。"), field="name")
    if not details.address.strip():
        raise InvalidInput(N_("请填写企业地址。"), field="address")
    if not details.contact_name.strip():
        raise InvalidInput(N_("请填写联系人姓名。"), field="contact_name")
    union = db.session.get(Union, details.union_id)
    if union is None or union.kind not in (UnionKind.DISTRICT, UnionKind.STREET):
        raise InvalidInput(N_("请选择企业所在的街道（园区）或区总工会。"), field="union_id")
    if by_staff:
        require_union_in_scope(actor, union)
    username = username.strip()
    if not username:
        raise InvalidInput(N_("请填写登录用户名。"), field="username")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"密码至少{MIN_PASSWORD_LENGTH}位。", field="password")
    if db.session.scalar(select(Enterprise.id).where(Enterprise.uscc == code)):
        raise Conflict(N_("该统一社会信用代码已登记为爱心企业。如需新增联系人或修改信息，请联系所在工会经办人。"),
                       code="uscc_taken", field="uscc")
    if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise Conflict(f"用户名 {username} 已被使用，请换一个。", code="username_taken", field="username")
    enterprise = Enterprise(
        name=name, uscc=code, district=details.district.strip() or (union.district or ""),
        address=details.address.strip(), description=details.description.strip() or None, union=union,
        contact_name=details.contact_name.strip(),
        status=EnterpriseStatus.APPROVED if by_staff else EnterpriseStatus.PENDING,
        registered_by_id=actor.id if by_staff else None,
        reviewed_by_id=actor.id if by_staff else None, reviewed_at=now if by_staff else None,
    )
    enterprise.set_contact_mobile(mobile)
    db.session.add(enterprise)
    db.session.flush()
    account = StaffUser(username=username, display_name=enterprise.contact_name, role=Role.ENTERPRISE,
                        enterprise_id=enterprise.id, is_active_account=by_staff)
    account.set_password(password)
    db.session.add(account)
    try:
        db.session.flush()
    except IntegrityError:  # the same code or username, registered a moment ago
        db.session.rollback()
        raise Conflict(N_("该企业或用户名刚刚已被登记，请勿重复提交。"), code="uscc_taken") from None
    audit.record(actor, "jobs.enterprise_register", "enterprise", enterprise.id, uscc=code, by_staff=by_staff)
    db.session.commit()
    return enterprise


def review_enterprise(actor, enterprise_id: int, *, approve: bool, note: str = "",
                      now: datetime | None = None) -> Enterprise:
    """A union officer approves (or turns down, with a reason) an enterprise of its area."""
    now = now or utcnow()
    enterprise = enterprise_in_scope(actor, enterprise_id)
    if enterprise.status != EnterpriseStatus.PENDING:
        raise Conflict(f"该企业已审核（{enterprise.status_label}），无需再次处理。", code="already_reviewed")
    note = note.strip()
    if not approve and not note:
        raise InvalidInput(N_("不通过时请写明原因，企业会收到短信。"), field="note")
    enterprise.status = EnterpriseStatus.APPROVED if approve else EnterpriseStatus.REJECTED
    enterprise.reviewed_by_id = actor.id
    enterprise.reviewed_at = now
    enterprise.review_note = note[:200] or None
    accounts = db.session.scalars(select(StaffUser).where(StaffUser.enterprise_id == enterprise.id))
    for account in accounts:
        account.is_active_account = approve
    if approve:
        body = f"{enterprise.name}已通过工会审核，成为“关爱·圆梦”爱心企业。请登录平台发布爱心岗位。"
    else:
        body = f"{enterprise.name}的爱心企业登记未通过审核：{note[:60]}。如有疑问请联系{enterprise.union.name}。"
    queue_text(enterprise.contact_mobile, body, kind="jobs_enterprise_reviewed", subject=("enterprise", enterprise.id))
    audit.record(actor, "jobs.enterprise_approve" if approve else "jobs.enterprise_reject",
                 "enterprise", enterprise.id, note=note or None)
    db.session.commit()
    return enterprise


# ---------------------------------------------------------------- positions

@dataclass
class PositionDetails:
    title: str
    description: str
    district: str
    address: str
    majors: str
    places: int
    pay_yuan: str
    pay_unit: str
    starts_on: date
    ends_on: date
    apply_by: date
    hours: str
    min_age: int
    safety_notes: str
    agreement_confirmed: bool


def post_position(actor, details: PositionDetails, *, today: date | None = None) -> Position:
    """An approved enterprise publishes a position; it is open at once in the public listing."""
    today = today or clock.today()
    enterprise = enterprise_of(actor)
    try:
        pay_unit = PayUnit(details.pay_unit)
    except ValueError:
        raise InvalidInput(N_("请选择报酬单位（元/天或元/月）。"), field="pay_unit") from None
    try:
        pay_fen = yuan_to_fen(details.pay_yuan)
    except InvalidInput as error:
        raise InvalidInput(error.message, code=error.code, field="pay") from None
    for field, label in (("title", "岗位名称"), ("description", "岗位内容"), ("address", "工作地点"),
                         ("majors", "适合专业或技能"), ("hours", "工作时间"), ("safety_notes", "安全须知")):
        if not str(getattr(details, field) or "").strip():
            raise InvalidInput(f"请填写{label}。", field=field)
    rules.PositionTerms(
        places=details.places, pay_fen=pay_fen, pay_unit=pay_unit, starts_on=details.starts_on,
        ends_on=details.ends_on, apply_by=details.apply_by, min_age=details.min_age,
        agreement_and_insurance_confirmed=details.agreement_confirmed,
    ).check(today=today)
    repeat = db.session.scalar(select(Position).where(
        Position.enterprise_id == enterprise.id, Position.title == details.title.strip(),
        Position.starts_on == details.starts_on, Position.ends_on == details.ends_on,
        Position.places == details.places, Position.pay_fen == pay_fen,
        Position.created_at > utcnow() - REPOST_WINDOW).limit(1))
    if repeat is not None:
        return repeat  # a double submit: the position is already published, once
    position = Position(
        enterprise_id=enterprise.id, union_id=enterprise.union_id, title=details.title.strip(),
        description=details.description.strip(), district=details.district.strip() or enterprise.district,
        address=details.address.strip(), majors=details.majors.strip(), places=details.places, filled=0,
        pay_fen=pay_fen, pay_unit=pay_unit, starts_on=details.starts_on, ends_on=details.ends_on,
        apply_by=details.apply_by, hours=details.hours.strip(), min_age=details.min_age,
        safety_notes=details.safety_notes.strip(), agreement_confirmed=True, status=PositionStatus.OPEN,
        posted_by_id=actor.id,
    )
    db.session.add(position)
    db.session.flush()
    audit.record(actor, "jobs.position_post", "position", position.id, places=position.places, pay_fen=pay_fen)
    db.session.commit()
    return position


def close_position(actor, position_id: int, *, reason: str = "") -> Position:
    """Take a position down: its enterprise (no longer needed) or the union (unsafe, misleading)."""
    if role_of(actor) == Role.ENTERPRISE:
        position = own_position(actor, position_id)
        closed_reason = "withdrawn"
    else:
        require_union_staff(actor)
        position = db.session.get(Position, position_id)
        if position is None:
            raise NotFound(N_("找不到该岗位。"))
        require_union_in_scope(actor, db.session.get(Union, position.union_id))
        closed_reason = "union"
    if position.status == PositionStatus.CLOSED:
        raise Conflict(N_("该岗位已停止报名。"), code="already_closed")
    position.status = PositionStatus.CLOSED
    position.closed_reason = closed_reason
    audit.record(actor, "jobs.position_close", "position", position.id, reason=reason.strip() or None)
    db.session.commit()
    return position


def close_expired_positions(*, today: date | None = None) -> int:
    """Close every open position whose deadline has passed (run daily by the CLI/scheduler)."""
    today = today or clock.today()
    result = db.session.execute(
        update(Position).where(Position.status == PositionStatus.OPEN, Position.apply_by < today)
        .values(status=PositionStatus.CLOSED, closed_reason="deadline")
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        audit.record(None, "jobs.positions_expire", "position", None, count=result.rowcount, day=today.isoformat())
    db.session.commit()
    return result.rowcount


@dataclass
class PositionFilters:
    district: str = ""
    major: str = ""
    min_pay_yuan: str = ""  # per day; a monthly pay counts as a 21-day month
    available_from: date | None = None
    available_to: date | None = None

    def as_args(self) -> dict[str, str]:
        args = {"district": self.district, "major": self.major, "min_pay": self.min_pay_yuan,
                "from": self.available_from.isoformat() if self.available_from else "",
                "to": self.available_to.isoformat() if self.available_to else ""}
        return {key: value for key, value in args.items() if value}


DAYS_PER_MONTH = 21


def _open_positions(today: date):
    return (
        select(Position).join(Enterprise, Enterprise.id == Position.enterprise_id)
        .where(Position.status == PositionStatus.OPEN, Position.apply_by >= today,
               Position.filled < Position.places, Enterprise.status == EnterpriseStatus.APPROVED)
    )


def search_positions(filters: PositionFilters, *, today: date | None = None, page: int = 1,
                     per_page: int = 20) -> tuple[list[Position], int]:
    """Open positions anyone may browse, filtered; ``InvalidInput`` for a filter that makes no sense."""
    today = today or clock.today()
    stmt = _open_positions(today)
    if filters.district:
        stmt = stmt.where(Position.district == filters.district)
    if filters.major.strip():
        pattern = f"%{filters.major.strip()}%"
        stmt = stmt.where(or_(Position.majors.ilike(pattern), Position.title.ilike(pattern)))
    if filters.min_pay_yuan.strip():
        try:
            minimum = yuan_to_fen(filters.min_pay_yuan)
        except InvalidInput:
            raise InvalidInput(N_("最低日薪请填写数字，例如 120。"), field="min_pay") from None
        daily = case((Position.pay_unit == PayUnit.DAY, Position.pay_fen), else_=Position.pay_fen / DAYS_PER_MONTH)
        stmt = stmt.where(daily >= minimum)
    if filters.available_from and filters.available_to and filters.available_to < filters.available_from:
        raise InvalidInput(N_("“可实践至”不能早于“可实践自”。"), field="to")
    if filters.available_from:
        stmt = stmt.where(Position.starts_on >= filters.available_from)
    if filters.available_to:
        stmt = stmt.where(Position.ends_on <= filters.available_to)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.options(joinedload(Position.enterprise)).order_by(Position.starts_on, Position.id)
        .offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), total


def listing_districts(*, today: date | None = None) -> list[str]:
    today = today or clock.today()
    stmt = _open_positions(today).with_only_columns(Position.district).distinct().order_by(Position.district)
    return list(db.session.scalars(stmt))


def public_position(position_id: int) -> Position:
    """Any position of an approved enterprise (closed ones too: a shared link still explains itself)."""
    position = db.session.get(Position, position_id)
    if position is None or position.enterprise.status != EnterpriseStatus.APPROVED:
        raise NotFound(N_("找不到该岗位，可能已被撤下。"))
    return position


# ---------------------------------------------------------------- students

@dataclass
class StudentDetails:
    name: str
    id_number: str
    mobile: str
    school: str
    major: str
    year_of_study: str


def _check_student_details(details: StudentDetails, *, today: date):
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


def register_student(member, details: StudentDetails, *, today: date | None = None,
                     via: str = "member") -> Student:
    """A member registers their child (age is checked against each position's start date later)."""
    today = today or clock.today()
    require_role(member, Role.MEMBER)
    parsed, mobile = _check_student_details(details, today=today)
    existing = db.session.scalar(select(Student).where(Student.id_number_hash == lookup_hash(parsed.value)))
    if existing is not None:
        if existing.parent_member_id == member.id:
            raise Conflict(N_("该学生您已登记过，可直接为其报名岗位。"), code="student_exists", field="id_number")
        raise Conflict(N_("该学生已由另一位家长登记。如有疑问请联系所在工会。"), code="student_other_parent",
                       field="id_number")
    if parsed.value == member.id_number:
        raise InvalidInput(N_("这是您本人的身份证号码，请填写学生本人的身份证号码。"), field="id_number")
    student = Student(parent_member_id=member.id, name=details.name.strip(), school=details.school.strip(),
                      major=details.major.strip(), year_of_study=details.year_of_study, registered_via=via)
    student.set_identity(parsed)
    student.set_mobile(mobile)
    db.session.add(student)
    db.session.flush()
    audit.record(member, "jobs.student_register", "student", student.id)
    db.session.commit()
    return student


def students_of(member) -> list[Student]:
    require_role(member, Role.MEMBER)
    return list(db.session.scalars(select(Student).where(Student.parent_member_id == member.id).order_by(Student.id)))


def _child(member, student_id: int) -> Student:
    student = db.session.get(Student, student_id)
    if student is None or student.parent_member_id != member.id:
        raise PermissionDenied(N_("只能为本人登记的子女报名。"))
    return student


# ---------------------------------------------------------------- applications

def _submit(student: Student, position: Position, *, motivation: str, channel: str, actor, today: date) -> Application:
    """The checks and the row every channel shares (member, student with verification, kiosk)."""
    rules.check_student_age(_parsed_identity(student, today), position.starts_on, minimum_age=position.min_age)
    already = db.session.scalar(select(Application.id).where(
        Application.student_id == student.id, Application.position_id == position.id))
    live = db.session.scalar(select(func.count(Application.id)).where(
        Application.student_id == student.id, Application.status.in_(rules.LIVE_APPLICATION_STATUSES)))
    rules.check_can_apply(closed_reason=position.closed_reason_on(today), already_applied=already is not None,
                          live_applications=live)
    application = Application(student_id=student.id, position_id=position.id, status=ApplicationStatus.SUBMITTED,
                              motivation=motivation.strip()[:1000] or None, channel=channel,
                              is_priority=student.is_hardship_family)
    db.session.add(application)
    try:
        db.session.flush()
    except IntegrityError:  # a double submit racing the check above
        db.session.rollback()
        raise Conflict(N_("该学生已报名过这个岗位，无需重复报名。"), code="duplicate_application") from None
    audit.record(actor, "jobs.apply", "application", application.id, position_id=position.id, channel=channel)
    return application


def _parsed_identity(student: Student, today: date):
    return parse_id_number(student.id_number, today=today)


def apply_for_child(member, student_id: int, position_id: int, *, motivation: str = "",
                    today: date | None = None) -> Application:
    """A member applies for their registered child."""
    today = today or clock.today()
    require_role(member, Role.MEMBER)
    student = _child(member, student_id)
    position = public_position(position_id)
    application = _submit(student, position, motivation=motivation, channel="member", actor=member, today=today)
    db.session.commit()
    return application


def withdraw_application(member, application_id: int) -> Application:
    require_role(member, Role.MEMBER)
    application = db.session.get(Application, application_id)
    if application is None or application.student.parent_member_id != member.id:
        raise NotFound(N_("找不到该报名。"))
    changed = db.session.execute(
        update(Application).where(Application.id == application.id, Application.status == ApplicationStatus.SUBMITTED)
        .values(status=ApplicationStatus.WITHDRAWN).execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise Conflict(N_("企业已答复该报名，不能撤回。如需放弃实践，请联系企业和工会。"), code="already_decided")
    audit.record(member, "jobs.withdraw", "application", application.id)
    db.session.commit()
    db.session.refresh(application)
    return application


def applications_of_member(member) -> list[Application]:
    require_role(member, Role.MEMBER)
    return list(db.session.scalars(
        select(Application).join(Student).where(Student.parent_member_id == member.id)
        .options(joinedload(Application.position).joinedload(Position.enterprise))
        .order_by(Application.id.desc())
    ))


def _verification_code_hash(public_id: str, code: str) -> str:
    return lookup_hash(f"jobs-verification:{public_id}:{code}")


def start_student_application(position_id: int, details: StudentDetails, *, parent_id_number: str,
                              parent_mobile: str, motivation: str = "", now: datetime | None = None) -> str:
    """A student applies alone: everything is checked, then the parent gets a code by text.

    The answer (a verification id) is the same whether or not the parent is a member, so the
    form cannot be used to find out who is one.
    """
    now = now or utcnow()
    today = now.astimezone(clock.CHINA).date()
    position = public_position(position_id)
    parsed, mobile = _check_student_details(details, today=today)
    rules.check_student_age(parsed, position.starts_on, minimum_age=position.min_age)
    reason = position.closed_reason_on(today)
    rules.check_can_apply(closed_reason=reason, already_applied=False, live_applications=0)
    parent_parsed = parse_id_number(parent_id_number, today=today)
    parent_phone = parse_mobile(parent_mobile)
    if parent_parsed.value == parsed.value:
        raise InvalidInput(N_("请填写父亲或母亲（工会会员）的身份证号码，而不是学生本人的。"), field="parent_id_number")
    parent = Member.by_id_number(parent_parsed.value)
    matches = parent is not None and parent.mobile_hash == lookup_hash(parent_phone)
    public_id = str(uuid.uuid4())
    code = f"{secrets.randbelow(1_000_000):06d}"
    payload = {"name": details.name.strip(), "id_number": parsed.value, "mobile": mobile,
               "school": details.school.strip(), "major": details.major.strip(),
               "year_of_study": details.year_of_study, "motivation": motivation.strip()[:1000]}
    db.session.add(StudentVerification(
        public_id=public_id, position_id=position.id, parent_member_id=parent.id if matches else None,
        payload=json.dumps(payload, ensure_ascii=False), code_hash=_verification_code_hash(public_id, code),
        expires_at=now + VERIFICATION_TTL, created_at=now,
    ))
    if matches:
        queue_text(parent_phone, f"{details.name.strip()}正以您的会员身份报名勤工俭学岗位“{position.title}”，"
                                 f"确认码{code}，10分钟内有效。如非您的子女，请勿告知他人。",
                   kind="jobs_parent_verification", member=parent, subject=("position", position.id))
    db.session.commit()
    return public_id


def confirm_student_application(public_id: str, code: str, *, now: datetime | None = None) -> Application:
    """The code the parent received comes back: the student is registered and the application made."""
    now = now or utcnow()
    today = now.astimezone(clock.CHINA).date()
    verification = db.session.scalar(
        select(StudentVerification).where(StudentVerification.public_id == public_id).with_for_update())
    failed = "确认码不正确或已过期。请让家长核对短信，或重新提交报名。"
    if (verification is None or verification.used_at is not None or verification.expires_at <= now
            or verification.attempts >= VERIFICATION_MAX_ATTEMPTS):
        raise InvalidInput(failed, code="code_failed", field="code")
    verification.attempts += 1
    typed = "".join(ch for ch in str(code) if ch.isdigit())
    if verification.parent_member_id is None or not secrets.compare_digest(
            verification.code_hash, _verification_code_hash(public_id, typed)):
        db.session.commit()
        raise InvalidInput(failed, code="code_failed", field="code")
    verification.used_at = now
    parent = db.session.get(Member, verification.parent_member_id)
    data = json.loads(verification.payload)
    student = db.session.scalar(select(Student).where(Student.id_number_hash == lookup_hash(data["id_number"])))
    if student is not None and student.parent_member_id != parent.id:
        db.session.commit()
        raise Conflict(N_("该学生已由另一位家长登记。如有疑问请联系所在工会。"), code="student_other_parent")
    if student is None:
        student = Student(parent_member_id=parent.id, name=data["name"], school=data["school"], major=data["major"],
                          year_of_study=data["year_of_study"], registered_via="student")
        student.set_identity(parse_id_number(data["id_number"], today=today))
        student.set_mobile(data["mobile"])
        db.session.add(student)
        db.session.flush()
        audit.record(parent, "jobs.student_register", "student", student.id, via="student")
    position = public_position(verification.position_id)
    application = _submit(student, position, motivation=data.get("motivation", ""), channel="student",
                          actor=parent, today=today)
    db.session.commit()
    return application


# ---------------------------------------------------------------- enterprise pages

def enterprise_positions(actor) -> tuple[Enterprise, list[tuple[Position, int]]]:
    """The enterprise's positions with the number of applications waiting for an answer."""
    enterprise = enterprise_of(actor)
    waiting = (select(Application.position_id, func.count(Application.id).label("n"))
               .where(Application.status == ApplicationStatus.SUBMITTED).group_by(Application.position_id).subquery())
    rows = db.session.execute(
        select(Position, func.coalesce(waiting.c.n, 0)).outerjoin(waiting, waiting.c.position_id == Position.id)
        .where(Position.enterprise_id == enterprise.id).order_by(Position.id.desc())
    ).all()
    return enterprise, [(position, count) for position, count in rows]


def position_applications(actor, position_id: int) -> tuple[Position, list[Application]]:
    """Applications to one of the enterprise's positions: waiting ones first, hardship families first."""
    position = own_position(actor, position_id)
    applications = list(db.session.scalars(
        select(Application).where(Application.position_id == position.id)
        .options(joinedload(Application.student).joinedload(Student.parent))
    ))
    applications.sort(key=lambda a: (a.status != ApplicationStatus.SUBMITTED,
                                     rules.priority_key(is_hardship_family=a.is_priority, applied_order=a.id)))
    return position, applications
