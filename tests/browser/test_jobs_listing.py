"""An anonymous visitor on a phone narrows the public position list: it changes in place, and the
address bar keeps the filter so that the link (or a reload) shows the same list."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

from playwright.sync_api import expect

from portal import clock
from tests.factories import create_enterprise, create_position


def query_of(url: str) -> dict:
    return parse_qs(urlsplit(url).query)


def test_filters_update_the_list_in_place_and_the_address_survives_a_reload(phone):
    today = clock.today()
    dates = dict(apply_by=today + timedelta(days=10), starts_on=today + timedelta(days=15),
                 ends_on=today + timedelta(days=45))
    huishan = create_enterprise(name="惠山爱心物流有限公司")
    liangxi = create_enterprise(name="梁溪爱心会计师事务所")
    create_position(huishan, title="档案整理助理", pay_fen=15_000, **dates)
    create_position(huishan, title="仓库盘点助理", pay_fen=8_000, **dates)
    create_position(liangxi, title="财务实习生", district="梁溪区", pay_fen=20_000, **dates)

    phone.goto("/jobs/")
    jobs = phone.locator("#position-list article")
    expect(jobs).to_have_count(3)
    expect(phone.locator("#position-list")).to_contain_text("共 3 个招募中的岗位")
    phone.evaluate("window.stillTheSamePage = true")

    phone.get_by_label("区域").select_option("梁溪区")
    expect(jobs).to_have_count(1)
    expect(jobs.first).to_contain_text("财务实习生")
    expect(phone.locator("#position-list")).to_contain_text("共 1 个招募中的岗位")
    expect(phone).to_have_url(re.compile(re.escape("district=" + quote("梁溪区"))))
    assert query_of(phone.url)["district"] == ["梁溪区"]
    assert phone.evaluate("window.stillTheSamePage") is True, "the filter reloaded the whole page"

    phone.get_by_label("区域").select_option("惠山区")
    phone.get_by_label("最低日薪（元）").fill("100")
    expect(jobs).to_have_count(1)
    expect(jobs.first).to_contain_text("档案整理助理")
    expect(phone).to_have_url(re.compile(r"[?&]min_pay=100(&|$)"))
    assert query_of(phone.url)["district"] == ["惠山区"]
    assert phone.evaluate("window.stillTheSamePage") is True
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the list scrolls sideways"

    phone.reload()
    assert phone.evaluate("window.stillTheSamePage") is None  # a real reload this time
    expect(jobs).to_have_count(1)
    expect(jobs.first).to_contain_text("档案整理助理")
    expect(phone.get_by_label("区域")).to_have_value("惠山区")
    expect(phone.get_by_label("最低日薪（元）")).to_have_value("100")
    expect(phone.locator("head title")).to_have_count(1)  # the whole page, not the fragment alone
