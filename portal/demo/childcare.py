"""Demo childcare ("工娃小家"): classes in four districts at every stage of a summer.

- 新吴区软件园职工服务中心, 46 seats, 8:00–17:30 (the article's class, run by the demo
  ``organiser``): drawn, running for a week and a half with attendance and pick-ups, a waitlist;
- 惠山经开区: window closed, seats allocated by tier and ballot, a waitlist, starts in a few days;
- 梁溪区: registration window open, requests collected (the demo member 虞建国 has one);
- 滨湖区荣巷街道勤新社区: published, registration opens next week.

Everything follows the real rules (``services.childcare`` helpers) so the ballots re-run true.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from portal.clock import CHINA
from portal.domain.childcare import AttendanceStatus, ClassStatus, PriorityCategory, RegistrationStatus
from portal.domain.identity import compose_id_number, parse_id_number
from portal.extensions import db
from portal.models import Attendance, Child, ChildcareClass, Registration
from portal.services.childcare import allocation, registrations

SAFETY_RULES = (
    "1. 家长须在8:00—8:30送孩子到班，当面交给老师签到；\n"
    "2. 离园时只交给家长登记的授权接送人，接送人须报手机号码核对，名单外的人一律不放行；\n"
    "3. 孩子如有发烧、咳嗽等不适，请在家休息并提前告知老师；\n"
    "4. 请如实填写健康状况和过敏情况，这些信息只有本班负责人可以查看；\n"
    "5. 外出活动统一乘车、全程有老师和志愿者陪同。"
)
CHILD_GIVEN = "子涵 浩然 欣怡 梓萱 宇轩 诗琪 俊杰 雨桐 一诺 思远 可馨 嘉懿 沐阳 若汐 天佑 语嫣 博文 安琪".split()
ELDERS = (("外婆", "F"), ("外公", "M"), ("奶奶", "F"), ("爷爷", "M"))
HEALTH_NOTES = ("轻度哮喘，随身带喷雾", "近视，需戴眼镜", "午睡时容易出汗，请提醒加减衣服")
ALLERGIES = ("花生过敏", "牛奶过敏", "青霉素过敏", "芒果过敏")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CHINA)


def _class(context, union_code, *, name, site, address, seats, opens, closes, starts, ends,
           programme, staff, meals="午餐、下午点心（工会承担）", min_age=6, max_age=12, phone=None):
    union = context.unions[union_code]
    cls = ChildcareClass(
        union=union, district=union.district, name=name, site_name=site, address=address,
        starts_on=starts, ends_on=ends, weekdays="12345", daily_start=time(8), daily_end=time(17, 30),
        seats=seats, seats_taken=0, last_number=0, min_age=min_age, max_age=max_age, fee_fen=0, meals=meals,
        programme=programme, staff_and_volunteers=staff, safety_rules=SAFETY_RULES, contact_phone=phone,
        registration_opens_on=opens, registration_closes_on=closes, status=ClassStatus.PUBLISHED,
        created_by_id=context.staff["organiser"].id if union_code == "XW" else None,
        published_at=_at(opens - timedelta(days=3), 9),
    )
    db.session.add(cls)
    db.session.flush()
    return cls


def _child(context, parent, starts_on: date, used: set[str]) -> Child:
    rng = context.rng
    while True:
        age = rng.randint(6, 12)
        birth = date(starts_on.year - age - 1, rng.randint(1, 12), rng.randint(1, 28))
        number = compose_id_number(parent.id_number[:6], birth, rng.randint(100, 999))
        if number not in used:
            break
    used.add(number)
    child = Child(parent_id=parent.id, name=parent.name[0] + rng.choice(CHILD_GIVEN))
    child.set_identity(parse_id_number(number, today=context.today))
    if rng.random() < 0.15:
        child.health_notes = rng.choice(HEALTH_NOTES)
    if rng.random() < 0.1:
        child.allergies = rng.choice(ALLERGIES)
    relation = "父亲" if parent.gender == "M" else "母亲"
    elder, _ = rng.choice(ELDERS)
    elder_mobile = f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
    registrations.set_pickup_adults(child, [
        registrations.PickupInput(parent.name, relation, parent.mobile),
        registrations.PickupInput(parent.name[0] + "家" + elder, elder, elder_mobile),
    ])
    db.session.add(child)
    return child


def _request(context, cls, parent, when: datetime, used: set[str], *, child=None) -> Registration:
    """A registration in the window, exactly as ``register_child`` makes one, without its texts."""
    declared = PriorityCategory.DUAL_WORKING if context.rng.random() < 0.3 else None
    category, is_declared = registrations.family_category(parent, declared)
    cls.last_number += 1
    registration = Registration(
        childcare_class=cls, child=child or _child(context, parent, cls.starts_on, used), parent=parent,
        parent_id=parent.id, number=cls.last_number, status=RegistrationStatus.REQUESTED, category=category,
        category_declared=is_declared, tier=category.tier, accepted_rules_at=when, requested_at=when,
    )
    db.session.add(registration)
    return registration


def _fill(context, cls, parents, count, used):
    span = max((cls.registration_closes_on - cls.registration_opens_on).days, 1)
    for parent in parents[:count]:
        day = cls.registration_opens_on + timedelta(days=context.rng.randint(0, span))
        _request(context, cls, parent, _at(min(day, context.today), context.rng.randint(7, 22)), used)
    del parents[:count]
    db.session.flush()


def _attendance(context, cls, organiser) -> None:
    """Past class days: most children came and were collected by an authorised adult; today the
    morning check-in is done and nobody has been collected yet."""
    rng = context.rng
    confirmed = [r for r in cls_registrations(cls) if r.status == RegistrationStatus.CONFIRMED]
    for day in cls.schedule.days(until=context.today):
        for registration in confirmed:
            present = rng.random() < 0.92
            mark = Attendance(registration_id=registration.id, class_id=cls.id, day=day,
                              status=AttendanceStatus.PRESENT if present else AttendanceStatus.ABSENT,
                              recorded_by_id=organiser.id)
            if present:
                mark.checked_in_at = _at(day, 7, rng.randint(45, 59)) + timedelta(minutes=rng.randint(0, 30))
                if day < context.today:
                    mark.pickup_adult_id = rng.choice(registration.child.authorised_adults).id
                    mark.picked_up_at = _at(day, 17, rng.randint(0, 40))
            db.session.add(mark)


def cls_registrations(cls) -> list[Registration]:
    return list(db.session.scalars(db.select(Registration).where(Registration.class_id == cls.id)
                                   .order_by(Registration.number)))


def load(context) -> None:
    today, rng = context.today, context.rng
    organiser = context.staff["organiser"]
    demo_member = context.members[0]
    parents = [m for m in context.members[1:] if m.mobile]
    rng.shuffle(parents)
    used: set[str] = set()

    # 1. The article's class: 46 seats at the software park, running with attendance and a waitlist.
    park = _class(
        context, "XW", name="“工惠有你 假日童行”工娃小家", site="新吴区软件园职工服务中心",
        address="新吴区菱湖大道软件园职工服务中心一楼", seats=46, phone="0510-85200000",
        opens=today - timedelta(days=40), closes=today - timedelta(days=26),
        starts=today - timedelta(days=11), ends=today + timedelta(days=24),
        programme="暑期作业辅导、科普实验、绘本阅读、体能游戏；每周一次走进园区企业的职业体验。",
        staff="新吴区总工会工作人员2名、园区企业青年志愿者8名、专业托育老师2名",
    )
    _fill(context, park, parents, 50, used)
    allocation.draw(park, _at(park.registration_closes_on + timedelta(days=1), 9), drawn_by="system",
                  seed=f"{rng.getrandbits(64):016x}")
    db.session.flush()
    _attendance(context, park, organiser)

    # 2. Window closed and seats allocated; starts in a few days.
    huishan = _class(
        context, "HS02", name="“快乐成长，安心‘益’夏”职工子女暑托班", site="惠山经开区职工服务中心",
        address="惠山经济开发区堰新路职工服务中心二楼", seats=30,
        opens=today - timedelta(days=20), closes=today - timedelta(days=6),
        starts=today + timedelta(days=4), ends=today + timedelta(days=39),
        programme="重点面向环卫工人、物流司机等新就业形态劳动者子女；安全教育、书法、趣味编程、参观无锡博物院。",
        staff="经开区总工会工作人员、社区志愿者6名",
    )
    _fill(context, huishan, parents, 36, used)
    allocation.draw(huishan, _at(huishan.registration_closes_on + timedelta(days=1), 9), drawn_by="system",
                  seed=f"{rng.getrandbits(64):016x}")

    # 3. Registration window open: requests collected for the draw, one from the demo member.
    liangxi = _class(
        context, "LX", name="“守护‘溪’望，暖‘新’筑梦”暑期爱心托管班", site="梁溪区职工服务中心",
        address="梁溪区解放南路职工服务中心三楼", seats=40,
        opens=today - timedelta(days=4), closes=today + timedelta(days=10),
        starts=today + timedelta(days=20), ends=today + timedelta(days=55),
        programme="重点面向快递员、外卖送餐员、网约车司机子女；非遗剪纸、运河文化探访、数字电影科技馆体验。",
        staff="区总工会工作人员3名、快递行业工会志愿者10名",
    )
    _fill(context, liangxi, parents, 14, used)
    _request(context, liangxi, demo_member, _at(today, 9), used)

    # 4. Published, registration opens next week.
    _class(
        context, "BH01", name="萌“新”暑托班", site="荣巷街道勤新社区党群服务中心",
        address="滨湖区荣巷街道勤新社区", seats=25,
        opens=today + timedelta(days=7), closes=today + timedelta(days=17),
        starts=today + timedelta(days=25), ends=today + timedelta(days=50),
        programme="“光与影的碰撞”皮影戏主题体验、社区小小志愿者、暑期安全课。",
        staff="社区工会工作人员、大学生志愿者",
    )
    db.session.flush()
    waiting = sum(1 for r in cls_registrations(huishan) if r.status == RegistrationStatus.WAITLISTED)
    context.notes.append(
        "暑托班: organiser 管理新吴区软件园46人班（暑托班管理→班级→今日签到）；"
        f"惠山班已抽签（候补{waiting}人），梁溪班报名中"
    )
