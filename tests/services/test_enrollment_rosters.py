"""Union rosters end to end on the real database: report, bulk insert, nothing twice, nothing on failure."""

import io
import json
from datetime import date

import xlsxwriter
from sqlalchemy import func, select, text

from portal.domain.identity import compose_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Enrollment, Member, RosterImport, RosterImportStatus
from portal.services.enrollment import roster_rows, rosters
from tests.factories import TODAY, create_enrollment, create_member, create_plan, create_staff, create_union


def xlsx(rows, merged=()):
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    for (top, left), (bottom, right), value in merged:
        sheet.merge_range(top, left, bottom, right, value)
    for number, row in enumerate(rows):
        for column, value in enumerate(row):
            if value is None or any(top <= number <= bottom and left <= column <= right
                                    for (top, left), (bottom, right), _ in merged):
                continue
            if isinstance(value, (int, float)):
                sheet.write_number(number, column, value)
            else:
                sheet.write_string(number, column, value)
    workbook.close()
    return buffer.getvalue()


def person(n, year=1990):
    """A roster's person n. Born in 新吴区 (320214), where ``tests.factories`` makes only children: with the
    factories' 梁溪区 (320213) the suite's running counter made, sooner or later, a member of the test itself
    with person(14)'s number (born 1990-03-15, sequence 514), and the test failed by run order."""
    return compose_id_number("320214", date(year, 1 + n % 12, 1 + n % 28), 500 + n)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def run(union, data, filename="名单.xlsx", *, write=True):
    outcome = roster_rows.process_roster(roster_rows.open_roster(data, filename), union=union, plan=_plan(),
                                         today=TODAY, write=write)
    db.session.commit()
    return outcome


def _plan():
    from portal.domain.errors import NotFound
    from portal.services.enrollment.plans import current_plan

    try:
        return current_plan()
    except NotFound:
        return create_plan()


def test_a_messy_roster_is_reported_row_by_row_as_the_spreadsheet_numbers_rows():
    union = create_union("LX01", "梁溪区快递行业工会联合会")
    data = xlsx(
        [
            [None], [None],
            ["序号", "手机号", "身份证号", "姓名", "职业"],
            [1, "13900000001", person(1), "张三", "快递员"],
            [2, "13900000002", float(person(2)), "李四", ""],
            [None],
            [3, "13900000003", person(1), "王五", ""],
            [4, "13900000004", person(4).lower(), "赵六", "外卖配送员"],
        ],
        merged=[((0, 0), (1, 4), "梁溪区快递行业工会联合会 2026年度参保名单")],
    )
    outcome = run(union, data, write=False)
    assert outcome.total_rows == 4 and outcome.ok_rows == 2
    errors = {issue.row: issue for issue in outcome.errors}
    assert set(errors) == {5, 7}
    assert "文本格式" in errors[5].message and errors[5].column == "身份证号"
    assert "与第4行的身份证号重复" in errors[7].message
    assert count(Member) == 0 and count(Enrollment) == 0  # checking writes nothing


def test_valid_rows_become_members_and_active_enrolments_in_the_uploading_union():
    union = create_union("LX01")
    known = create_member(union=create_union(), name="老会员")
    data = xlsx([
        ["姓名", "身份证号", "手机号", "职业", "是否新就业形态劳动者", "是否参加社保"],
        ["新会员", person(7), "13900000007", "货车司机", "是", "是"],
        ["老会员", known.id_number, "", "", "", ""],
        ["没手机", person(8), "", "", "", ""],
    ])
    outcome = run(union, data)
    assert outcome.created == 2 and outcome.members_created == 1
    assert [(i.row, i.column) for i in outcome.errors] == [(4, "手机号")]
    new = Member.by_id_number(person(7))
    assert (new.union_id, new.mobile, new.occupation, new.is_gig_worker, new.has_social_insurance) == \
        (union.id, "13900000007", "货车司机", True, True)
    stored = db.session.execute(text("SELECT id_number FROM members WHERE id = :id"), {"id": new.id}).scalar()
    assert person(7) not in stored  # encrypted at rest
    cover = Enrollment.covering(new.id, date(2026, 7, 2))
    assert (cover.union_id, cover.status, cover.channel, cover.payer) == (union.id, "active", "roster", "union")
    assert (cover.starts_on, cover.ends_on) == (date(2026, 7, 2), date(2027, 7, 1))
    assert db.session.get(Member, known.id).union_id != union.id  # an existing member keeps their union


def test_rows_the_plan_does_not_cover_are_refused_with_the_reason_under_their_column():
    """The 三合一 plan is for employees who pay social insurance, of working age (issue 11): a row
    saying 是否参加社保 = 否, or a person past 65 when cover starts, is an error row, not a cover."""
    union = create_union("LX01")
    known = create_member(union=create_union(), name="老会员")
    data = xlsx([
        ["姓名", "身份证号", "手机号", "是否参加社保"],
        ["未参保", person(9), "13900000009", "否"],
        ["老会员", known.id_number, "", "否"],
        ["退休了", person(10, year=1955), "13900000010", "是"],
        ["参保了", person(11), "13900000011", "是"],
    ])
    outcome = run(union, data)
    assert (outcome.created, outcome.members_created, outcome.ok_rows) == (1, 1, 1)
    errors = {issue.row: issue for issue in outcome.errors}
    assert (errors[2].column, errors[3].column, errors[4].column) == ("是否参加社保", "是否参加社保", "身份证号")
    assert "未参加社保" in errors[2].message and "65周岁及以下" in errors[4].message
    assert Member.by_id_number(person(9)) is None
    assert Enrollment.covering(known.id, date(2026, 7, 2)) is None
    assert Enrollment.covering(Member.by_id_number(person(11)).id, date(2026, 7, 2)) is not None


def test_people_covered_by_another_union_are_reported_with_that_union():
    union = create_union("LX01")
    other = create_union("HS01", "惠山区长安街道总工会")
    member = create_member(union=other)
    create_enrollment(member, _plan(), starts_on=date(2026, 3, 1), union=other)
    outcome = run(union, xlsx([["姓名", "身份证号"], ["张三", member.id_number]]))
    assert outcome.created == 0
    assert [issue.row for issue in outcome.covered] == [2]
    assert "惠山区长安街道总工会" in outcome.covered[0].message
    assert count(Enrollment) == 1


def test_uploading_the_same_roster_twice_creates_nothing_new(app):
    union = create_union("LX01")
    officer = create_staff("officer", Role.UNION_OFFICER, union=union)
    _plan()
    data = xlsx([["姓名", "身份证号", "手机号"], ["张三", person(3), "13900000003"]])
    first, is_new = rosters.upload_roster(officer, union, data, "名单.xlsx")
    assert is_new and db.session.get(RosterImport, first.id).status == RosterImportStatus.VALIDATED
    rosters.confirm_roster(officer, first.id)
    assert db.session.get(RosterImport, first.id).status == RosterImportStatus.DONE
    again, is_new = rosters.upload_roster(officer, union, data, "名单（1）.xlsx")
    assert (again.id, is_new) == (first.id, False)
    assert count(Enrollment) == 1 and count(RosterImport) == 1


def test_a_failed_import_writes_nothing(app):
    union = create_union("LX01")
    officer = create_staff("officer", Role.UNION_OFFICER, union=union)
    plan = _plan()
    late = create_member(union=union, name="迟到者")
    data = xlsx([["姓名", "身份证号", "手机号"], ["新人", person(9), "13900000009"], ["迟到者", late.id_number, ""]])
    roster, _ = rosters.upload_roster(officer, union, data, "名单.xlsx")
    assert db.session.get(RosterImport, roster.id).ok_rows == 2
    # Between the check and the import, the person gets covered in a way the import cannot see
    # in advance (a concurrent transaction): the unique index stops the import as a whole.
    from portal.services.enrollment import enrolments

    original = enrolments.blocking_stmt
    roster_rows.blocking_stmt = lambda start: original(start).where(Enrollment.id < 0)
    try:
        create_enrollment(late, plan, starts_on=date.today(), union=union).plan_year = date.today().year
        db.session.commit()
        rosters.confirm_roster(officer, roster.id)
    finally:
        roster_rows.blocking_stmt = original
    failed = db.session.get(RosterImport, roster.id)
    assert failed.status == RosterImportStatus.FAILED and "有人为名单中的人员办理了参保" in failed.failure
    assert Member.by_id_number(person(9)) is None
    assert count(Enrollment) == 1


def test_a_file_that_is_not_a_spreadsheet_fails_with_a_reason(app):
    union = create_union("LX01")
    officer = create_staff("officer", Role.UNION_OFFICER, union=union)
    _plan()
    roster, _ = rosters.upload_roster(officer, union, b"PK\x03\x04 not really", "名单.xlsx")
    failed = db.session.get(RosterImport, roster.id)
    assert failed.status == RosterImportStatus.FAILED and "另存为.xlsx" in failed.failure


def test_csv_in_gb18030_with_title_rows(app):
    union = create_union("LX01")
    text = f"2026年参保名单\n姓名,身份证号,手机号\n张三,{person(11)},13900000011\n李四,{person(12)},\n"
    outcome = run(union, text.encode("gb18030"), "名单.csv", write=False)
    assert outcome.ok_rows == 1
    assert [(i.row, i.column) for i in outcome.errors] == [(4, "手机号")]


def test_cli_prints_json_and_exits_zero_even_with_row_errors(runner, tmp_path):
    create_union("LX01")
    _plan()
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx([["姓名", "身份证号", "手机号"], ["张三", person(21), "13900000021"],
                           ["李四", "3.20213E+17", "13900000022"]]))
    dry = runner.invoke(args=["import-roster", str(path), "--union", "LX01", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output) == {"created": 0, "already_covered": 0, "dry_run": True, "would_create": 1,
                                      "error_rows": 1,
                                      "errors": [{"row": 3, "name": "李四", "id_number": "3.2****E+17",
                                                  "column": "身份证号",
                                                  "message": roster_rows.rules.EXCEL_NUMBER_MESSAGE}]}
    assert count(Enrollment) == 0
    first = runner.invoke(args=["import-roster", str(path), "--union", "LX01", "--json"])
    assert json.loads(first.output)["created"] == 1
    second = runner.invoke(args=["import-roster", str(path), "--union", "LX01", "--json"])
    assert second.exit_code == 0
    assert json.loads(second.output)["created"] == 0 and json.loads(second.output)["already_covered"] == 1
    assert count(Enrollment) == 1


def test_cli_exit_code_is_non_zero_only_when_the_file_cannot_be_read(runner, tmp_path):
    create_union("LX01")
    _plan()
    path = tmp_path / "roster.xlsx"
    path.write_bytes(b"garbage")
    result = runner.invoke(args=["import-roster", str(path), "--union", "LX01", "--json"])
    assert result.exit_code == 2
    assert "另存为" in json.loads(result.output)["error"]
    headerless = tmp_path / "roster.csv"
    headerless.write_text("a,b\n1,2\n")
    assert runner.invoke(args=["import-roster", str(headerless), "--union", "LX01"]).exit_code == 2
    unknown = runner.invoke(args=["import-roster", str(path), "--union", "NOPE"])
    assert unknown.exit_code != 0 and "NOPE" in unknown.output


def test_each_new_member_gets_their_own_enrolment_in_a_bulk_import():
    union = create_union("LX01")
    earlier = create_member(union=union, name="先来的人")  # ids already taken before the import
    names = [f"成员{a}{b}" for a in "甲乙丙" for b in "子丑寅卯辰巳午未申酉"]
    rows = [["姓名", "身份证号", "手机号"]]
    rows += [[name, person(100 + n), f"139000{n:05d}"] for n, name in enumerate(names)]
    outcome = run(union, xlsx(rows))
    assert outcome.created == 30
    for n, name in enumerate(names):
        member = Member.by_id_number(person(100 + n))
        assert (member.name, member.mobile) == (name, f"139000{n:05d}")
        assert Enrollment.covering(member.id, date(2026, 7, 2)) is not None
    assert Enrollment.covering(earlier.id, date(2026, 7, 2)) is None  # no cover slipped onto a neighbour


def test_a_roster_a_crash_left_importing_is_failed_and_can_be_checked_again(app):
    from datetime import timedelta

    from portal.models.base import utcnow

    union = create_union("LX01")
    officer = create_staff("officer", Role.UNION_OFFICER, union=union)
    _plan()
    stuck, _ = rosters.upload_roster(officer, union, xlsx([["姓名", "身份证号"], ["张三", person(31)]]), "a.xlsx")
    busy, _ = rosters.upload_roster(officer, union, xlsx([["姓名", "身份证号"], ["李四", person(32)]]), "b.xlsx")
    db.session.execute(text("UPDATE roster_imports SET status = 'importing', updated_at = :at WHERE id = :id"),
                       {"at": (utcnow() - timedelta(hours=1)).replace(tzinfo=None), "id": stuck.id})
    db.session.execute(text("UPDATE roster_imports SET status = 'importing' WHERE id = :id"), {"id": busy.id})
    db.session.commit()
    assert rosters.fail_stalled() == 1
    db.session.expire_all()
    assert (stuck.status, busy.status) == (RosterImportStatus.FAILED, RosterImportStatus.IMPORTING)
    assert "重新校验" in stuck.failure
    assert rosters.recheck_roster(officer, stuck.id).status in (RosterImportStatus.QUEUED, RosterImportStatus.VALIDATED)
    assert count(Enrollment) == 0
