"""Demo singles' events and the collective wedding, organised by the federation (市总工会):

- a "缘起工会 携手逐梦" event held three weeks ago: registered, confirmed by the unions, checked in
  at the door, and participants' choices with a few mutual matches;
- the next event, registration open now (the demo member 虞建国 can register);
- the 百对新人 collective wedding next month, 100 couples, some registered and confirmed.

The demo account ``officer_wx`` (an officer of the federation) runs them; everything goes
through the real services with the dates set, so places, numbers and matches follow the rules.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from portal.clock import CHINA
from portal.demo.core import DEMO_PASSWORD
from portal.domain.identity import compose_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import StaffUser
from portal.services.events import singles, weddings


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHINA)


def _singles(context, *, low: int, high: int, on: date) -> list:
    """Members of the right age for an event (the demo member kept out, to register by hand)."""
    return [m for m in context.members[1:] if m.union is not None and low <= m.age_on(on) <= high]


def load(context) -> None:
    today = context.today
    officer = StaffUser(username="officer_wx", display_name="市总工会经办人", role=Role.UNION_OFFICER,
                        union=context.unions["WX"])
    officer.set_password(DEMO_PASSWORD)
    db.session.add(officer)
    db.session.flush()
    context.staff["officer_wx"] = officer
    context.notes.append(f"联谊活动和集体婚礼: officer_wx (市总工会经办人), 密码 {DEMO_PASSWORD}")

    # --- the event held three weeks ago ---------------------------------------------------
    held = today - timedelta(days=21)
    past = singles.create_event(officer, singles.EventInput(
        title="“缘起工会 携手逐梦”无锡市单身职工联谊活动（第29场）", place="无锡市工人文化宫三楼多功能厅",
        held_on=held, starts_at=time(14, 0), ends_at=time(17, 30), capacity=40, balanced=True,
        registration_opens_on=held - timedelta(days=30), registration_closes_on=held - timedelta(days=5),
        min_age=22, max_age=40, description="破冰游戏、才艺展示、茶歇交流。现场以嘉宾编号相称。"))
    singles.publish_event(officer, past.id, now=_at(held - timedelta(days=31)))
    men = [m for m in _singles(context, low=22, high=40, on=held) if m.gender == "M"][:18]
    women = [m for m in _singles(context, low=22, high=40, on=held) if m.gender == "F"][:18]
    participants = []
    for index, member in enumerate(men + women):
        participants.append(singles.register(member, past.id, declared_single=True, accepted_privacy=True,
                                             now=_at(held - timedelta(days=25 - index % 15))))
    for index, participant in enumerate(participants):
        singles.decide(officer, participant.id, confirm=index % 12 != 5, now=_at(held - timedelta(days=4)))
    attended = []
    for index, participant in enumerate(participants):
        if participant.status == "confirmed" and index % 7 != 3:
            attended.append(singles.check_in(officer, past.id, participant.number, now=_at(held, 14)))
    # Choices on the evening: pairs choosing each other (matches) and one-sided choices.
    half = len(attended) // 2
    for index, (a, b) in enumerate(zip(attended[:half], attended[half:], strict=False)):
        singles.choose(a.member, a.id, b.number, now=_at(held, 18))
        if index % 3 != 2:
            singles.choose(b.member, b.id, a.number, now=_at(held + timedelta(days=1), 9))

    # --- the next event, registration open ------------------------------------------------
    upcoming = today + timedelta(days=20)
    nxt = singles.create_event(officer, singles.EventInput(
        title="“缘起工会 携手逐梦”无锡市单身职工联谊活动（第30场）", place="蠡湖公园游客中心",
        held_on=upcoming, starts_at=time(9, 30), ends_at=time(16, 0), capacity=60, balanced=True,
        registration_opens_on=today - timedelta(days=5), registration_closes_on=upcoming - timedelta(days=6),
        min_age=22, max_age=40, description="环湖健走、团队游戏、自助午餐。"))
    singles.publish_event(officer, nxt.id, now=_at(today - timedelta(days=6)))
    for index, member in enumerate(_singles(context, low=22, high=40, on=upcoming)[40:52]):
        participant = singles.register(member, nxt.id, declared_single=True, accepted_privacy=True,
                                       now=_at(today - timedelta(days=index % 4)))
        if index % 3 == 0:
            singles.decide(officer, participant.id, confirm=True, now=_at(today))

    # --- the collective wedding -----------------------------------------------------------
    day = today + timedelta(days=35)
    wedding = weddings.create_wedding(officer, weddings.WeddingInput(
        title="无锡市百对新人职工集体婚礼", place="无锡市工人文化宫广场", held_on=day, starts_at=time(14, 0),
        capacity=100, registration_opens_on=today - timedelta(days=10), registration_closes_on=day - timedelta(days=10),
        programme="13:30 新人签到、合影\n14:00 新人入场\n14:20 市总工会领导致辞\n14:40 证婚人证婚\n"
                  "15:00 新人宣誓、交换信物\n15:30 文艺演出\n16:30 礼成"))
    weddings.publish_wedding(officer, wedding.id, now=_at(today - timedelta(days=11)))
    grooms = [m for m in context.members[1:] if m.gender == "M" and m.union is not None and 24 <= m.age_on(day) <= 38]
    for index, member in enumerate(grooms[:12]):
        partner_id = compose_id_number("320211", date(1995, 1 + index % 12, 1 + index), 902 + 2 * index)
        couple = weddings.register_couple(member, wedding.id, weddings.CoupleInput(
            partner_name=["陈雨桐", "林可馨", "周诗琪", "吴若汐", "孙语嫣", "郑安琪"][index % 6],
            partner_id_number=partner_id, certificate_on=today - timedelta(days=30 + 20 * index),
            names_in_programme=index % 4 != 1), now=_at(today - timedelta(days=index % 5)))
        if index < 8:
            weddings.decide_couple(officer, couple.id, confirm=True, now=_at(today))
