"""A union officer uploads a messy Excel roster, watches it being checked, reads why rows were
refused, confirms, and sees the people enrolled: the page follows the task queue by htmx polling."""

import re
from datetime import date

import pytest
import xlsxwriter
from playwright.sync_api import expect

from portal.domain.identity import compose_id_number, mask_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Enrollment, RosterImport
from portal.services.enrollment import rosters
from tests.factories import create_plan, create_staff, create_union


@pytest.fixture
def held_queue(app, monkeypatch):
    """Tests run tasks in-line, so a person would never see the progress bar. Hold the roster tasks
    back instead and let the test run them while the page is open, as a consumer would."""
    held = []
    tasks = app.extensions["task_queue"].tasks
    monkeypatch.setitem(tasks, "check_roster", held.append)
    monkeypatch.setitem(tasks, "import_roster", held.append)
    return held


def write_roster(path, rows):
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("名单")
    text = workbook.add_format({"num_format": "@"})
    for number, cells in enumerate(rows):
        for column, value in enumerate(cells):
            sheet.write_string(number, column, value, text)
    workbook.close()
    return path


def test_officer_uploads_a_roster_reads_the_reasons_confirms_and_sees_the_enrolments(
        new_page, sign_in, held_queue, tmp_path):
    union = create_union(name="惠山区快递行业工会")
    create_staff("officer", Role.UNION_OFFICER, union=union)
    create_plan()
    wang = compose_id_number("320206", date(1991, 4, 2), 11)
    li = compose_id_number("320211", date(1985, 9, 30), 22)
    zhao = compose_id_number("320213", date(1979, 1, 15), 33)
    zhao_mistyped = zhao[:-1] + ("0" if zhao[-1] != "0" else "1")
    path = write_roster(tmp_path / "快递员名单.xlsx", [
        ["2026年度职工互助保障参保名单（惠山区快递行业工会）"],  # row 1: a title above the header
        ["手机号", "身份证号", "职业", "姓名"],  # row 2: the header, columns not in the template's order
        ["13900000011", wang, "快递员", "王小军"],  # row 3
        ["13900000022", li, "外卖骑手", "李红"],  # row 4
        ["13900000033", zhao_mistyped, "快递员", "赵强"],  # row 5: wrong check digit
        ["13900000011", wang, "快递员", "王小军"],  # row 6: row 3 again
    ])

    page = new_page()
    sign_in.staff(page, "officer")
    page.goto("/enrollment/rosters")
    page.get_by_label("参保工会").select_option(label=f"{union.name}（{union.code}）")
    page.get_by_label("名单文件").set_input_files(path)
    page.get_by_role("button", name="上传并校验").click()
    page.wait_for_url(re.compile(r"/enrollment/rosters/\d+$"))
    roster_id = int(page.url.rsplit("/", 1)[1])

    progress = page.get_by_role("progressbar", name="正在逐行校验，请稍候……")
    expect(progress).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")
    assert len(held_queue) == 1
    rosters.check_roster(held_queue.pop())  # the consumer picks the check up

    counts = page.locator("#roster-counts")
    expect(counts).to_be_visible()  # swapped in by the poll
    expect(progress).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True, "the report came with a full reload"
    expect(counts).to_contain_text(re.compile(r"数据行\s*4\s*可参保\s*2\s*有错误\s*2"))
    issues = page.locator("#roster-issues tbody tr")
    expect(issues).to_have_count(2)
    # Each line names the row's person, the ID number masked as everywhere (issue 15, finding 7).
    expect(issues.nth(0)).to_contain_text(re.compile(
        r"^\s*5\s*赵强\s*" + re.escape(mask_id_number(zhao_mistyped)) + r"\s*身份证号\s*错误\s*身份证号码校验位不正确"))
    expect(issues.nth(1)).to_contain_text(re.compile(
        r"^\s*6\s*王小军\s*" + re.escape(mask_id_number(wang)) + r"\s*身份证号\s*错误\s*与第3行的身份证号重复"))
    assert zhao_mistyped not in page.content() and wang not in page.content()

    page.get_by_role("button", name="确认导入 2 人").click()
    importing = page.get_by_role("progressbar", name="正在导入，请稍候……")
    expect(importing).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")
    assert len(held_queue) == 1
    rosters.run_import(held_queue.pop())
    expect(page.get_by_text("导入完成：2 人参保，保障从次日开始。")).to_be_visible()
    expect(counts).to_contain_text(re.compile(r"新登记会员\s*2"))
    assert page.evaluate("window.stillTheSamePage") is True

    page.goto("/enrollment/")
    table = page.locator("#enrollment-table")
    expect(table).to_contain_text("王小军")
    expect(table).to_contain_text("李红")
    expect(table).not_to_contain_text("赵强")
    db.session.expire_all()
    assert db.session.query(Enrollment).filter_by(roster_import_id=roster_id).count() == 2
    assert db.session.get(RosterImport, roster_id).status == "done"
