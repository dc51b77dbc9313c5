"""The attendance tablet page in a real browser: one tap per child, swapped by htmx, no reload."""

from datetime import timedelta

from portal import clock
from portal.domain.roles import Role
from portal.extensions import db
from portal.services.childcare import registrations
from tests.factories import PASSWORD, child_input, create_childcare_class, create_member, create_staff, create_union

TABLET = {"width": 1024, "height": 768}


def test_organiser_checks_in_and_records_pickup_without_a_reload(browser, live_server, tmp_path):
    union = create_union()
    create_staff("organiser", Role.CHILDCARE_ORGANISER, union=union)
    today = clock.today()
    cls = create_childcare_class(union, today=today, phase="after_window", seats=5, weekdays="1234567")
    parent = create_member(union=union)
    registration = registrations.register_child(parent, cls.id, child_input(adults=[("王芳", "母亲", "13912345678")]),
                                          accepted_rules=True)
    assert registration.status == "confirmed"
    cls.starts_on = today - timedelta(days=2)  # the class has been running since the day before yesterday
    db.session.commit()

    context = browser.new_context(viewport=TABLET, base_url=live_server, locale="zh-CN", has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/auth/staff/login")
    page.fill("#username", "organiser")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/childcare/manage/{cls.id}/attendance")
    page.evaluate("window.stillTheSamePage = true")

    card = page.locator(f"#attendance-{registration.id}")
    card.get_by_role("button", name="到", exact=True).tap()
    card.get_by_text("已到").wait_for()
    card.locator("input[name=mobile]").fill("13700000000")
    card.get_by_role("button", name="核对").tap()
    card.get_by_text("不在家长授权的接送名单").wait_for()
    card.get_by_role("button", name="王*接走").tap()
    card.get_by_text("由王*（母亲）接走").wait_for()
    page.screenshot(path=str(tmp_path / "attendance.png"), full_page=True)

    assert page.evaluate("window.stillTheSamePage") is True  # every tap was an htmx swap
    assert "由王*（母亲）接走" in card.inner_text()
    context.close()
