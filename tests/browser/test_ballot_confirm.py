"""Issue 15, finding 4 (the ballot) on the organiser's tablet: 抽签 opens a page that says what the
draw will do before anything happens, and a double tap on 确认抽签 draws once and texts each
family once."""

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from portal import clock
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import ChildcareBallot, Registration, SmsMessage
from tests.factories import create_childcare_class, create_registration, create_staff, create_union

TABLET = {"width": 768, "height": 1024}


def test_the_organiser_sees_what_the_draw_will_do_and_a_double_tap_draws_once(new_page, sign_in):
    union = create_union()
    create_staff("organiser", Role.CHILDCARE_ORGANISER, union=union)
    cls = create_childcare_class(union, today=clock.today(), phase="after_window", seats=2)
    create_registration(cls, category="gig_worker")
    create_registration(cls, category="general")
    create_registration(cls, category="general")

    page = new_page(viewport=TABLET, has_touch=True)
    sign_in.staff(page, "organiser")
    page.goto(f"/childcare/manage/{cls.id}")
    page.get_by_role("link", name="截止报名，分配名额（抽签）").tap()
    page.wait_for_url(re.compile(rf"/childcare/manage/{cls.id}/allocate$"))
    confirm = page.locator("#allocate-confirm")
    expect(confirm).to_contain_text("3份报名将分配2个名额：2人录取，1人进入候补。")
    expect(confirm.locator("#allocate-tiers")).to_contain_text("全部录取")
    expect(confirm.locator("#allocate-tiers")).to_contain_text("抽签决定1个名额，其余1人候补")
    expect(confirm).to_contain_text("将给3个家庭发送短信")
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ChildcareBallot.id))) == 0  # looking drew nothing

    page.get_by_role("button", name="确认抽签").dblclick()  # a double tap on a busy tablet
    page.wait_for_url(re.compile(rf"/childcare/manage/{cls.id}$"))
    expect(page.get_by_text(re.compile(r"名额已分配（随机种子 \w+），结果已短信通知3个家庭。"))).to_be_visible()
    expect(page.get_by_text("没有重复抽签")).to_have_count(0)
    expect(page.get_by_role("link", name="截止报名，分配名额（抽签）")).to_have_count(0)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ChildcareBallot.id))) == 1
    statuses = sorted(db.session.scalars(select(Registration.status)))
    assert statuses == ["confirmed", "confirmed", "waitlisted"]
    texts = db.session.scalar(select(func.count(SmsMessage.id)).where(SmsMessage.kind.like("childcare%")))
    assert texts == 3
