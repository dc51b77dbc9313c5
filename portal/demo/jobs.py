"""Demo work-study data around 惠山区长安街道: a dozen caring enterprises (two still waiting for the
union), several dozen positions (open, full, past their deadline), students with applications in
every state, placements under way (one with an open concern) and finished ones with certificates.

The demo ``enterprise`` account is the contact of the first enterprise; ``officer_hs`` (惠山区总工会)
approves and oversees them all.
"""

from __future__ import annotations

import random
import secrets
from datetime import date, timedelta

from portal.demo import hardship as hardship_demo
from portal.domain.identity import compose_id_number, parse_id_number
from portal.domain.jobs import (
    ApplicationStatus,
    ConcernStatus,
    EnterpriseStatus,
    PlacementStatus,
    PositionStatus,
    certificate_number,
    compose_uscc,
    expected_pay_fen,
    week_starting,
)
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import (
    Application,
    AttendanceReport,
    Concern,
    Enterprise,
    Placement,
    Position,
    StaffUser,
    Student,
)
from portal.models.base import utcnow
from portal.services.jobs.placements import link_token_hash

STREET_CODE = "HS01"  # 惠山区长安街道总工会
DEMO_PASSWORD = "demo-portal-2026"

# (name, address, positions offered: (title, majors, pay yuan, unit))
ENTERPRISES = [
    ("无锡长安精密机械有限公司", "长安街道惠山大道1108号", [("机械制图助理", "机械设计、机械制造", 160, "day"),
                                                         ("质量检验实习生", "质量管理、机械", 150, "day")]),
    ("惠山区长安物流园有限公司", "长安街道堰新路18号", [("仓储数据录入", "物流管理、计算机", 140, "day"),
                                                     ("客服专员助理", "不限专业，普通话标准", 3200, "month")]),
    ("无锡惠腾电子科技有限公司", "长安街道长惠路66号", [("软件测试实习生", "计算机、软件工程", 200, "day"),
                                                      ("电子装配助理", "电子信息、自动化", 150, "day"),
                                                      ("新媒体运营助理", "新闻传播、广告学", 170, "day")]),
    ("长安街道社区卫生服务中心", "长安街道万达广场东侧", [("导医志愿服务岗", "医学、护理", 120, "day")]),
    ("无锡惠民超市连锁有限公司", "长安街道惠峰路200号", [("门店运营助理", "市场营销、工商管理", 3000, "month"),
                                                       ("财务核算助理", "会计、财务管理", 150, "day")]),
    ("无锡长安文化传媒有限公司", "长安街道西漳路9号", [("视频剪辑助理", "数字媒体、影视", 180, "day"),
                                                     ("活动策划助理", "不限专业", 150, "day")]),
    ("惠山区长安街道便民服务中心", "长安街道政和大道88号", [("政务服务引导员", "行政管理、法学", 130, "day")]),
    ("无锡锡惠建设工程有限公司", "长安街道钱藕路16号", [("工程资料员助理", "土木工程、工程管理", 170, "day")]),
    ("无锡惠山新能源科技有限公司", "长安街道惠洲大道300号", [("实验室助理", "化学、材料", 190, "day"),
                                                         ("数据分析实习生", "统计学、数学、计算机", 210, "day")]),
    ("无锡长安儿童托育服务有限公司", "长安街道长安路12号", [("托育助教", "学前教育、心理学", 140, "day")]),
    ("无锡惠山汽车零部件有限公司", "长安街道工业园三路5号", [("生产计划助理", "工业工程、物流", 160, "day")]),
    ("无锡长安餐饮管理有限公司", "长安街道万达广场3楼", [("门店管理助理", "酒店管理、不限专业", 2800, "month")]),
]
PENDING = 2  # the last enterprises are still waiting for the union
SCHOOLS = [("江南大学", "会计学"), ("江南大学", "计算机科学与技术"), ("无锡职业技术学院", "机械制造"),
           ("南京大学", "新闻传播学"), ("苏州大学", "统计学"), ("无锡学院", "电子信息工程"),
           ("河海大学", "土木工程"), ("南京师范大学", "学前教育")]
YEARS = ("大一", "大二", "大三", "大四", "研一")
CONCERN_TEXT = "上周加班到晚上九点，企业说暑期工没有加班费，也没有排休。"


def _position(enterprise, title, majors, pay_yuan, unit, *, starts_on, apply_by, places, weeks=5):
    position = Position(
        enterprise_id=enterprise.id, union_id=enterprise.union_id, title=title,
        description=f"在{enterprise.name}带教老师指导下从事{title}相关工作，熟悉岗位流程，完成实践任务。",
        district="惠山区", address=enterprise.address, majors=majors, places=places, filled=0,
        pay_fen=pay_yuan * 100, pay_unit=unit, starts_on=starts_on,
        ends_on=starts_on + timedelta(weeks=weeks) - timedelta(days=3),
        apply_by=apply_by, hours="周一至周五 9:00—17:00（午休1小时）", min_age=16,
        safety_notes="上岗前安全培训；不安排高处、夜间和有毒有害作业；带教老师全程指导。",
        agreement_confirmed=True, status=PositionStatus.OPEN,
    )
    db.session.add(position)
    return position


def _students(context, rng, count):
    """Children of demo members old enough to have a child at university."""
    parents = [m for m in context.members[1:] if m.birth_date.year <= context.today.year - 42] or context.members[1:]
    rng.shuffle(parents)
    students = []
    for index in range(count):
        parent = parents[index % len(parents)]  # a small demo gives some families two students
        school, major = SCHOOLS[index % len(SCHOOLS)]
        birth = date(context.today.year - rng.randint(18, 22), rng.randint(1, 12), rng.randint(1, 28))
        region = parent.id_number[:6]
        student = Student(parent_member_id=parent.id, parent=parent,
                          name=parent.name[0] + rng.choice("晨阳子涵浩然欣怡雨轩思远"),
                          school=school, major=major, year_of_study=rng.choice(YEARS))
        student.set_identity(parse_id_number(compose_id_number(region, birth, 600 + index), today=context.today))
        student.set_mobile(f"15{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}")
        db.session.add(student)
        students.append(student)
    if students:
        # One hardship family, shown with priority (already on the register, or registered now).
        hardship_demo.register(students[0].parent, "grassroots", "子女就学困难", context.today)
    db.session.flush()
    return students


def _apply(student, position, status, *, note=None, when=None):
    application = Application(student_id=student.id, position_id=position.id, status=status,
                              is_priority=student.is_hardship_family, channel="member",
                              motivation="希望利用暑假积累实践经验，也为家里减轻一点负担。", decision_note=note,
                              decided_at=when)
    db.session.add(application)
    db.session.flush()
    return application


def _place(application, position, enterprise, *, status, today, rng, days_worked=None):
    token = secrets.token_urlsafe(24)
    placement = Placement(application_id=application.id, position_id=position.id,
                          student_id=application.student_id, enterprise_id=enterprise.id, union_id=enterprise.union_id,
                          status=status, starts_on=position.starts_on, ends_on=position.ends_on,
                          access_token_hash=link_token_hash(token))
    position.filled += 1
    if status != PlacementStatus.CONFIRMED:
        placement.agreement_signed_on = position.starts_on - timedelta(days=2)
        placement.insurer = rng.choice(["中国人保财险无锡分公司", "太平洋财险无锡中心支公司", "平安财险无锡分公司"])
        placement.insurance_policy_no = f"AX{position.starts_on:%Y}{rng.randint(100000, 999999)}"
    db.session.add(placement)
    db.session.flush()
    if status == PlacementStatus.FINISHED:
        last_week = week_starting(position.ends_on)
    else:  # weeks already over; a confirmed placement has not started
        last_week = week_starting(today) - timedelta(days=7 if status == PlacementStatus.UNDER_WAY else 10_000)
    week = week_starting(position.starts_on)
    while week <= last_week:
        db.session.add(AttendanceReport(placement_id=placement.id, week_starting=week,
                                        days_present=rng.choice((4, 5, 5)), hours_worked=rng.choice((32, 40, 40))))
        week += timedelta(days=7)
    if status == PlacementStatus.FINISHED:
        placement.days_worked = days_worked
        placement.pay_received_fen = expected_pay_fen(pay_fen=position.pay_fen, pay_unit=position.pay_unit,
                                                      days_worked=days_worked)
        placement.finished_at = utcnow() - timedelta(days=(today - position.ends_on).days)
        placement.certificate_no = certificate_number(position.ends_on.year, placement.id)
    return placement, token


def load(context) -> None:
    today = context.today
    rng = random.Random(5_28)  # its own generator: later loaders see the same sequence as before
    street = context.unions[STREET_CODE]
    officer = context.staff.get("officer_hs")
    enterprises = []
    for index, (name, address, _) in enumerate(ENTERPRISES):
        pending = index >= len(ENTERPRISES) - PENDING
        enterprise = Enterprise(name=name, uscc=compose_uscc("320206", 7_000 + index), district="惠山区",
                                address=address,
                                union=street, contact_name=f"{'周吴郑王冯陈褚卫蒋沈韩杨'[index]}经理",
                                status=EnterpriseStatus.PENDING if pending else EnterpriseStatus.APPROVED,
                                reviewed_by_id=None if pending or officer is None else officer.id,
                                reviewed_at=None if pending else utcnow() - timedelta(days=40),
                                description="长期关心职工子女成长，参加“关爱·圆梦”爱心企业行动。")
        enterprise.set_contact_mobile(f"1395100{index:04d}")
        db.session.add(enterprise)
        enterprises.append(enterprise)
    db.session.flush()
    demo_contact = context.staff["enterprise"]
    demo_contact.enterprise_id = enterprises[0].id
    demo_contact.display_name = enterprises[0].contact_name
    for index, enterprise in enumerate(enterprises[1:], start=1):
        account = StaffUser(username=f"enterprise{index:02d}", display_name=enterprise.contact_name,
                            role=Role.ENTERPRISE, enterprise_id=enterprise.id,
                            is_active_account=enterprise.status == EnterpriseStatus.APPROVED)
        account.set_password(DEMO_PASSWORD)
        db.session.add(account)

    # Three rounds per enterprise: last summer (finished), this round (under way), the next (open).
    finished_start = today - timedelta(days=75)
    running_start = today - timedelta(days=16)
    open_start = today + timedelta(days=30)
    rounds = {"finished": [], "running": [], "open": [], "expired": []}
    for enterprise, (_, _, offers) in zip(enterprises, ENTERPRISES, strict=True):
        if enterprise.status != EnterpriseStatus.APPROVED:
            continue
        for title, majors, pay, unit in offers:
            offer = (enterprise, title, majors, pay, unit)
            rounds["finished"].append((enterprise, _position(*offer, starts_on=finished_start,
                                                             apply_by=finished_start - timedelta(days=10), places=2)))
            rounds["running"].append((enterprise, _position(*offer, starts_on=running_start,
                                                            apply_by=running_start - timedelta(days=7), places=2)))
            rounds["open"].append((enterprise, _position(enterprise, title, majors, pay, unit, starts_on=open_start,
                                                         apply_by=today + timedelta(days=rng.randint(7, 20)),
                                                         places=rng.randint(2, 6))))
    for enterprise, position in rounds["finished"][:4]:
        rounds["expired"].append((enterprise, position))
    db.session.flush()

    students = _students(context, rng, 40)
    pool = iter(students)
    decided = utcnow() - timedelta(days=20)
    finished_count = running_count = 0
    for enterprise, position in rounds["finished"][:8]:
        student = next(pool)
        application = _apply(student, position, ApplicationStatus.ACCEPTED, note="欢迎加入！", when=decided)
        _place(application, position, enterprise, status=PlacementStatus.FINISHED, today=today, rng=rng,
               days_worked=rng.randint(18, 24))
        finished_count += 1
    running_placements = []
    for enterprise, position in rounds["running"][:8]:
        student = next(pool)
        application = _apply(student, position, ApplicationStatus.ACCEPTED, note="请按时报到。", when=decided)
        status = PlacementStatus.CONFIRMED if len(running_placements) == 7 else PlacementStatus.UNDER_WAY
        running_placements.append(_place(application, position, enterprise, status=status, today=today, rng=rng))
        running_count += 1
    # A running position filled to the last place, its other applicant answered.
    enterprise, full = rounds["running"][0]
    _apply(next(pool), full, ApplicationStatus.ACCEPTED, note="欢迎加入！", when=decided)
    extra = db.session.query(Application).filter_by(position_id=full.id).order_by(Application.id.desc()).first()
    _place(extra, full, enterprise, status=PlacementStatus.UNDER_WAY, today=today, rng=rng)
    full.status, full.closed_reason = PositionStatus.CLOSED, "full"
    _apply(next(pool), full, ApplicationStatus.DECLINED, note="名额已满，感谢报名，欢迎关注其他爱心岗位。",
           when=decided)

    # The demo enterprise's open position: applications waiting (the hardship family first), a decline, a withdrawal.
    demo_open = [p for e, p in rounds["open"] if e is enterprises[0]][0]
    _apply(students[0], demo_open, ApplicationStatus.SUBMITTED)
    for status, note in ((ApplicationStatus.SUBMITTED, None), (ApplicationStatus.SUBMITTED, None),
                         (ApplicationStatus.DECLINED, "本岗位需要机械类专业，建议报名仓储数据录入岗位。"),
                         (ApplicationStatus.WITHDRAWN, None)):
        _apply(next(pool), demo_open, status, note=note, when=decided if status == ApplicationStatus.DECLINED else None)
    for _, position in rounds["open"][2:8]:
        _apply(next(pool), position, ApplicationStatus.SUBMITTED)
    for _, position in rounds["expired"]:
        position.status, position.closed_reason = PositionStatus.CLOSED, "deadline"

    # A concern on a running placement, waiting for the officer; an answered one on another.
    (open_placement, open_token), (answered_placement, _) = running_placements[0], running_placements[1]
    db.session.add(Concern(placement_id=open_placement.id, union_id=open_placement.union_id, category="hours",
                           description=CONCERN_TEXT, raised_via="student", status=ConcernStatus.OPEN))
    db.session.add(Concern(placement_id=answered_placement.id, union_id=answered_placement.union_id,
                           category="unpaid_wages", description="第一周的报酬还没有发。", raised_via="member",
                           status=ConcernStatus.ANSWERED, answer="已与企业核实：报酬按月发放，7月底前到账。",
                           answered_by_id=officer.id if officer else None, answered_at=utcnow() - timedelta(days=3)))
    context.notes.append(
        f"勤工俭学: {len(enterprises)} 家爱心企业（{PENDING} 家待审核）, "
        f"{sum(len(v) for k, v in rounds.items() if k != 'expired')} 个岗位, {finished_count} 人已结束实践, "
        f"{running_count + 1} 人在岗; enterprise 账号属于“{enterprises[0].name}”; "
        f"学生实践页面（含待处理问题）: /jobs/s/{open_token}"
    )
