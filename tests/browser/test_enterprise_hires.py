"""Issue 15, finding 10: the enterprise's position head said "已录用 1/2" after the second hire until
the page was reloaded. A decision swaps its own application in place and, with the same answer, the
head's count (out of band), the applications a filled position declined, and takes away 停止报名."""

from datetime import timedelta

from playwright.sync_api import expect

from portal import clock
from tests.factories import create_application, create_enterprise, create_position, create_student


def test_the_head_counts_each_hire_without_a_reload(new_page, sign_in):
    today = clock.today()
    enterprise = create_enterprise(name="惠山爱心物流有限公司", contact_username="firm")
    position = create_position(enterprise, places=2, title="档案整理助理", apply_by=today + timedelta(days=10),
                               starts_on=today + timedelta(days=15), ends_on=today + timedelta(days=45))
    first, second, third = (create_application(position, create_student(name=name))
                            for name in ("李明", "王芳", "赵强"))

    page = new_page()
    sign_in.staff(page, "firm")
    page.goto(f"/jobs/enterprise/positions/{position.id}")
    summary = page.locator("#position-summary")
    expect(summary).to_contain_text("已录用 0 / 2")
    expect(summary).to_contain_text("招募中")
    page.evaluate("window.stillTheSamePage = true")

    page.locator(f"#application-{first.id}").get_by_role("button", name="录用", exact=True).click()
    expect(page.locator(f"#application-{first.id}")).to_contain_text("已录用")
    expect(summary).to_contain_text("已录用 1 / 2")

    page.locator(f"#application-{second.id}").get_by_role("button", name="录用", exact=True).click()
    expect(page.locator(f"#application-{second.id}")).to_contain_text("已录用")
    expect(summary).to_contain_text("已录用 2 / 2")
    expect(summary).not_to_contain_text("招募中")
    # The third family was answered by the filled position: their row says so, with no buttons left.
    third_row = page.locator(f"#application-{third.id}")
    expect(third_row).to_contain_text("未录用")
    expect(third_row.get_by_role("button", name="录用", exact=True)).to_have_count(0)
    expect(page.locator("#close-position")).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True, "the page was reloaded"

    page.reload()  # what the server says now is what the page showed
    expect(page.locator("#position-summary")).to_contain_text("已录用 2 / 2")
