"""Issue 15, finding 7 (rosters): the check reported only the first error of a row, and the report
left name and ID blank. Every error of a row is reported, each under its column, with the row's name
and its ID number masked, on the page and in the downloadable report."""

import io
import re
from datetime import date

from sqlalchemy import func, select

from portal.domain import enrollment as rules
from portal.domain.identity import compose_id_number, mask_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.integrations.spreadsheets import read_rows
from portal.models import RosterImport
from tests.conftest import post_form
from tests.factories import TODAY, create_plan, create_staff, create_union

GOOD, TWO_WRONG, NO_MOBILE = (compose_id_number("320213", date(1991, 2, 3), n) for n in (11, 12, 13))
BAD_CHECKSUM = compose_id_number("320213", date(1992, 4, 5), 14)[:-1] + "0"
if BAD_CHECKSUM == compose_id_number("320213", date(1992, 4, 5), 14):
    BAD_CHECKSUM = BAD_CHECKSUM[:-1] + "1"


def test_the_validator_reports_every_problem_of_a_row_with_its_name_and_masked_id():
    validator = rules.RosterValidator(today=TODAY)
    results = list(validator.check(enumerate([
        ["姓名", "身份证号", "手机号", "是否新就业形态劳动者", "是否参加社保"],
        ["王五", TWO_WRONG, "123", "也许", "不清楚"],
        ["张" + GOOD, BAD_CHECKSUM, "", "", ""],  # an ID number typed into the name column too
        ["李四", GOOD, "13900000011", "是", "是"],
    ], start=1)))
    issues = [r for r in results if isinstance(r, rules.RowIssue)]
    assert [(i.row, i.column) for i in issues] == [
        (2, "手机号"), (2, "是否新就业形态劳动者"), (2, "是否参加社保"), (3, "姓名"), (3, "身份证号")]
    assert {(i.name, i.masked_id) for i in issues if i.row == 2} == {("王五", mask_id_number(TWO_WRONG))}
    third = {(i.name, i.masked_id) for i in issues if i.row == 3}
    assert third == {("张" + "*" * 18, mask_id_number(BAD_CHECKSUM))}  # no digit of the typed number shown
    assert validator.data_rows == 3 and [r.row for r in results if isinstance(r, rules.RosterRow)] == [4]


def test_the_page_and_the_report_give_every_error_with_name_and_masked_id(client, auth):
    union = create_union("LX01", "梁溪区快递行业工会联合会")
    create_plan()
    create_staff("officer", Role.UNION_OFFICER, union=union)
    auth.staff("officer")
    body = ("姓名,身份证号,手机号,是否参加社保\n"
            f"张三,{GOOD},13900000011,是\n"
            f"王五,{TWO_WRONG},123,不清楚\n"  # a wrong mobile and a wrong 是/否: two errors
            f"赵六,{BAD_CHECKSUM},456,是\n"  # a wrong ID number and a wrong mobile
            f"钱七,{NO_MOBILE},,否\n"  # not insured, and a new member without a mobile
            ).encode()
    answer = post_form(client, "/enrollment/rosters", {"union_code": "LX01", "roster": (io.BytesIO(body), "名单.csv")},
                       content_type="multipart/form-data")
    location = answer.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    table = page[page.index('id="roster-issues"'):]
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", table, re.S)]
    lines = [tuple(cells[i:i + 4]) for i in range(0, len(cells), 6)]
    assert lines == [
        ("3", "王五", mask_id_number(TWO_WRONG), "手机号"), ("3", "王五", mask_id_number(TWO_WRONG), "是否参加社保"),
        ("4", "赵六", mask_id_number(BAD_CHECKSUM), "身份证号"), ("4", "赵六", mask_id_number(BAD_CHECKSUM), "手机号"),
        ("5", "钱七", mask_id_number(NO_MOBILE), "是否参加社保"), ("5", "钱七", mask_id_number(NO_MOBILE), "手机号"),
    ]
    for number in (GOOD, TWO_WRONG, BAD_CHECKSUM, NO_MOBILE):
        assert number not in page
    counts = re.search(r'<dt>有错误</dt><dd>(\d+)</dd>', page)
    assert counts.group(1) == "3"  # rows with errors, not errors
    roster = db.session.scalar(select(RosterImport))
    assert roster.error_rows == 3 and roster.ok_rows == 1

    rows = list(read_rows(client.get(location + "/report.xlsx").data, "r.xlsx"))
    assert rows[0] == ["行号", "姓名", "身份证号", "结果", "问题所在列", "说明"]
    errors = [(str(int(r[0])), r[1], r[2], r[4]) for r in rows[1:] if r[3] == "有错误"]
    assert sorted(errors) == sorted(lines)
    assert not any(number in str(rows) for number in (GOOD, TWO_WRONG, BAD_CHECKSUM, NO_MOBILE))
    assert db.session.scalar(select(func.count(RosterImport.id))) == 1
