"""Staff lists to Excel, the audit log viewer and the SMS log, through the browser's routes."""

from datetime import datetime

from sqlalchemy import select

from portal.clock import CHINA
from portal.domain.roles import Role
from portal.extensions import db
from portal.integrations.spreadsheets import cell_text, read_rows
from portal.models import AuditEvent
from portal.services import audit
from portal.services.sms import queue_text
from portal.services.unit_of_work import transaction
from tests.conftest import post_form
from tests.factories import create_member, create_staff, create_union


def xlsx_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype.endswith("spreadsheetml.sheet")
    content = response.get_data()
    response.close()  # as a server does once sent: the unnamed temporary file is closed
    rows = list(read_rows(content, "export.xlsx"))
    return [[cell_text(cell) for cell in row] for row in rows]


def test_the_audit_log_shows_words_filters_in_place_and_exports_what_is_on_screen(client, auth):
    create_staff("admin", Role.ADMIN)
    with transaction():
        for number in range(3):
            audit.record(None, "claim.approve", "claim", 100 + number)
        audit.record(None, "claim.reject", "claim", 200)
    auth.staff("admin")
    page = client.get("/staff/audit?action=claim.approve", headers={"HX-Request": "true"})
    html = page.get_data(as_text=True)
    assert 'id="audit-table"' in html
    cells = html.split("<tbody>")[1]
    assert cells.count("核准理赔") == 3 and "claim." not in cells
    assert "#200" not in html and html.count("#10") == 3
    assert "<html" not in html  # htmx gets the table only
    sheet = xlsx_rows(client.get("/staff/audit/export.xlsx?action=claim.approve"))
    assert sheet[0][:4] == ["时间", "操作人类型", "操作人", "操作"]
    assert sorted(row[5] for row in sheet[1:]) == ["100", "101", "102"]
    assert {row[3] for row in sheet[1:]} == {"核准理赔"}
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export")).one()
    assert exported.details["rows"] == 3 and exported.details["filters"] == {"action": "claim.approve"}
    assert exported.ip  # from where


def test_only_administrators_open_the_audit_log_and_its_export(client, auth):
    union = create_union("A1")
    create_staff("officer", Role.UNION_OFFICER, union=union)
    auth.staff("officer")
    assert client.get("/staff/audit").status_code == 403
    assert client.get("/staff/audit/export.xlsx").status_code == 403
    assert client.get("/staff/texts/export.xlsx").status_code == 403


def test_the_sms_log_is_searched_by_mobile_and_exported_masked(client, auth):
    create_staff("admin", Role.ADMIN)
    first = create_member(name="王一", mobile="13900001111")
    second = create_member(name="李二", mobile="13900002222")
    with transaction():
        queue_text(first.mobile, kind="login_code", params={"code": "123456", "minutes": 5}, member=first)
        queue_text(second.mobile, kind="login_code", params={"code": "654321", "minutes": 5}, member=second)
    auth.staff("admin")
    searched = post_form(client, "/staff/texts", {"q": "139 0000 1111"})
    # The mobile is POSTed and the address carries it sealed: it never reaches an access log.
    assert searched.status_code == 303 and "s=" in searched.location and "1111" not in searched.location
    html = client.get(searched.location).get_data(as_text=True)
    assert "139****1111" in html and "139****2222" not in html and "登录验证码" in html
    assert "13900001111" not in html
    sheet = xlsx_rows(client.get("/staff/texts/export.xlsx?" + searched.location.split("?", 1)[1]))
    assert len(sheet) == 2 and sheet[1][2] == "139****1111"
    assert "13900001111" not in str(sheet)
    bad = client.get(post_form(client, "/staff/texts", {"q": "12345"}).location)
    assert bad.status_code == 200 and "11位手机号码" in bad.get_data(as_text=True)


def test_the_audit_log_period_follows_china_days(client, auth):
    create_staff("admin", Role.ADMIN)
    with transaction():
        late = audit.record(None, "claim.reject", "claim", 5)
        late.at = datetime(2026, 3, 5, 23, 30, tzinfo=CHINA)
    auth.staff("admin")
    assert "#5" in client.get("/staff/audit?since=2026-03-05&until=2026-03-05").get_data(as_text=True)
    assert "#5" not in client.get("/staff/audit?since=2026-03-06").get_data(as_text=True)
