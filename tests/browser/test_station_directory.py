"""A worker on a phone looks for a station: the list narrows in place, the address keeps the
filters (a link to share), and a station's page leads to its poster with a QR code."""

import re
from urllib.parse import parse_qs, quote, urlsplit

from playwright.sync_api import expect

from portal.models import UnionKind
from tests.factories import create_kiosk, create_station, create_union


def test_a_worker_narrows_the_directory_on_a_phone_and_opens_a_poster(phone):
    federation = create_union("WX", "无锡市总工会", kind=UnionKind.FEDERATION)
    liangxi = create_union("LX", "梁溪区总工会", parent=federation, kind=UnionKind.DISTRICT)
    binhu = create_union("BH", "滨湖区总工会", parent=federation, kind=UnionKind.DISTRICT)
    create_station(liangxi, name="南禅寺驿站", district="梁溪区", services=("water", "charging"))
    create_station(liangxi, name="清名桥驿站", district="梁溪区", services=("water",))
    lake = create_station(binhu, name="蠡湖清凉驿站", district="滨湖区", services=("rest",))
    create_kiosk(lake)

    phone.goto("/stations/")
    cards = phone.locator("#station-list article")
    expect(cards).to_have_count(3)
    phone.evaluate("window.stillTheSamePage = true")

    phone.locator("select[name=district]").select_option("梁溪区")
    expect(cards).to_have_count(2)
    phone.locator("select[name=service]").select_option("charging")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("南禅寺驿站")
    expect(phone).to_have_url(re.compile(re.escape("district=" + quote("梁溪区"))))
    assert parse_qs(urlsplit(phone.url).query)["service"] == ["charging"]
    assert phone.evaluate("window.stillTheSamePage") is True, "the filter reloaded the whole page"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the list scrolls sideways"

    phone.goto(phone.url)  # the shared link shows the same list
    expect(cards).to_have_count(1)
    expect(phone.locator("select[name=service]")).to_have_value("charging")

    phone.locator("select[name=district]").select_option("滨湖区")
    phone.locator("select[name=service]").select_option("kiosk")
    expect(cards).to_have_count(1)
    cards.first.get_by_role("link", name="蠡湖清凉驿站").click()
    expect(phone.locator("h1")).to_have_text("蠡湖清凉驿站")
    phone.get_by_role("link", name="打印站点二维码海报").click()
    expect(phone.locator("#poster svg")).to_be_visible()
    expect(phone.locator("#poster")).to_contain_text(f"/stations/{lake.id}")
