"""An uploaded roster (full ID numbers and mobiles) is deleted once imported; its report still works
from the stored rows; a roster whose file is gone asks for the file again instead of failing."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.extensions import db
from portal.integrations.spreadsheets import read_rows
from portal.models import RosterImport, RosterImportStatus
from portal.services.enrollment import rosters
from tests.conftest import post_form
from tests.factories import create_plan, create_staff, create_union
from tests.services.test_enrollment_rosters import person, xlsx


def _stored(roster) -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "rosters" / roster.stored_name


def _roster(officer, union, *rows, name="名单.xlsx"):
    data = xlsx([["姓名", "身份证号", "手机号"], *rows])
    roster, _ = rosters.upload_roster(officer, union, data, name)
    return db.session.get(RosterImport, roster.id), data


def test_an_imported_roster_s_file_is_deleted_and_its_report_comes_from_stored_rows(client, auth):
    union = create_union("LX01")
    officer = create_staff("officer", Role.UNION_OFFICER, union=union)
    create_plan()
    roster, _ = _roster(officer, union, ["张三", person(1), "13900000001"], ["李四", person(2), "13900000002"],
                        ["王五", "320213199913320000", "13900000003"])
    assert _stored(roster).exists()  # kept while the officer reads the report and confirms
    rosters.confirm_roster(officer, roster.id)
    roster = db.session.get(RosterImport, roster.id)
    assert roster.status == RosterImportStatus.DONE and roster.file_removed_at is not None
    assert not _stored(roster).exists()

    auth.staff("officer")
    page = client.get(f"/enrollment/rosters/{roster.id}").get_data(as_text=True)
    assert "导入完成" in page and "身份证号" in page  # the counts and the issues are still there
    report = client.get(f"/enrollment/rosters/{roster.id}/report.xlsx")
    assert report.status_code == 200
    rows = list(read_rows(report.data, "r.xlsx"))
    assert rows[0][:4] == ["行号", "姓名", "身份证号", "结果"]
    results = sorted((str(row[1]), str(row[3])) for row in rows[1:])
    # Every row names its person, the refused one too (issue 15: the report no longer leaves it blank).
    assert results == [("张三", "已导入"), ("李四", "已导入"), ("王五", "有错误")]
    assert any(str(row[0]).startswith("4") and row[4] == "身份证号" for row in rows[1:])
    assert person(1) not in str(rows)  # masked, as in the report built from the file
    assert all(not row[2] or "*" in row[2] for row in rows[1:])


def test_a_roster_imported_from_the_command_line_leaves_no_file(runner, tmp_path):
    union = create_union("LX01")
    create_plan()
    source = tmp_path / "名单.xlsx"
    source.write_bytes(xlsx([["姓名", "身份证号", "手机号"], ["张三", person(5), "13900000005"]]))
    result = runner.invoke(args=["import-roster", str(source), "--union", "LX01"])
    assert result.exit_code == 0, result.output
    roster = db.session.query(RosterImport).one()
    assert roster.file_removed_at is not None and not _stored(roster).exists()
    del union


def test_a_roster_whose_file_was_purged_asks_for_the_file_again_and_takes_it(app):
    union = create_union("LX01")
    officer = create_staff("officer", Role.UNION_OFFICER, union=union)
    create_plan()
    roster, data = _roster(officer, union, ["张三", person(6), "13900000006"])
    from portal.services.unit_of_work import transaction

    with transaction():
        rosters.forget_file(db.session.get(RosterImport, roster.id))
    assert not _stored(roster).exists()
    for action in (rosters.confirm_roster, rosters.recheck_roster):
        try:
            action(officer, roster.id)
        except InvalidInput as error:
            assert error.code == "roster_file_removed"
        else:
            raise AssertionError(f"{action.__name__} went on without the file")
    again, is_new = rosters.upload_roster(officer, union, data, "名单.xlsx")
    again = db.session.get(RosterImport, again.id)
    assert (again.id, is_new) == (roster.id, True)
    assert again.file_removed_at is None and again.status == RosterImportStatus.VALIDATED and again.ok_rows == 1
    rosters.confirm_roster(officer, again.id)
    assert db.session.get(RosterImport, again.id).status == RosterImportStatus.DONE


def test_the_roster_page_says_the_file_is_gone_rather_than_offering_a_recheck(client, auth):
    union = create_union("LX01")
    officer = create_staff("officer", Role.UNION_OFFICER, union=union)
    create_plan()
    roster, _ = _roster(officer, union, ["张三", person(7), "13900000007"])
    from portal.services.unit_of_work import transaction

    with transaction():
        rosters.forget_file(db.session.get(RosterImport, roster.id))
    auth.staff("officer")
    page = client.get(f"/enrollment/rosters/{roster.id}").get_data(as_text=True)
    assert 'id="roster-file-removed"' in page and f"/rosters/{roster.id}/confirm" not in page
    answer = post_form(client, f"/enrollment/rosters/{roster.id}/recheck", {},
                       form_page=f"/enrollment/rosters/{roster.id}", follow_redirects=True)
    assert "请重新上传该文件" in answer.get_data(as_text=True)
