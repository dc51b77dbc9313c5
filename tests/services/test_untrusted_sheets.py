"""Untrusted spreadsheets are read in a child process under limits: the hostile files of issue 12
are refused with a message, this process (the web server's or the consumer's stand-in) lives on,
the roster can be re-checked or replaced, and a normal roster reads exactly as before."""

import io
import os
import threading
from datetime import date, datetime

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from portal.domain.errors import InvalidInput
from portal.domain.identity import compose_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.integrations.safe_parse import SheetLimits, open_sheet, read_sheet
from portal.models import Enrollment, RosterImport, RosterImportStatus
from tests.conftest import post_form
from tests.factories import create_plan, create_staff, create_union
from tests.untrusted_files import one_far_cell, workbook, zip_bomb

CSV_LONG_FIELD = ("姓名,身份证号,备注\n张三,320213199001010011," + "x" * 131_072 + "\n").encode()


def refused(data: bytes, filename: str, **limits) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        read_sheet(data, filename, limits=SheetLimits(**limits) if limits else None)
    assert caught.value.message and "%(" not in caught.value.message
    return caught.value


def test_one_cell_at_xfd1048576_is_refused_from_its_declared_area_without_reading_it():
    data = one_far_cell("XFD1048576")
    assert len(data) < 2_000
    error = refused(data, "名单.xlsx")
    assert error.code == "file_too_long" and "1048576行" in error.message and "200000" in error.message


def test_a_cell_at_z1000000_is_refused():
    error = refused(one_far_cell("Z1000000"), "名单.xlsx")
    assert error.code == "file_too_long" and "1000000行" in error.message


@pytest.mark.parametrize("ref", ["XFD1048576", "Z1000000"])
def test_the_child_s_own_memory_limit_stops_a_file_that_declares_nothing(ref):
    """Without a declared area the reader in the child allocates until its limit kills it
    (SIGABRT for XFD1048576, 805 MB for Z1000000 in-process): this process is untouched."""
    pid = os.getpid()
    error = refused(one_far_cell(ref, declared=False), "名单.xlsx", precheck=False)
    assert error.code == "file_too_complex" and "另存为.xlsx" in error.message
    assert os.getpid() == pid and read_sheet(workbook({1: {"A": "ok"}}), "a.xlsx").rows == [["ok"]]


def test_a_csv_field_of_131072_characters_is_refused_with_its_row():
    error = refused(CSV_LONG_FIELD, "名单.csv")
    assert error.code == "file_field_too_long" and "第2行" in error.message


def test_a_zip_bomb_is_refused_before_it_is_unzipped():
    error = refused(zip_bomb(), "名单.xlsx")
    assert error.code == "file_too_complex" and "压缩比" in error.message


def test_a_truncated_workbook_and_a_stranger_s_bytes_are_refused_as_damaged():
    good = one_far_cell("B3")
    assert refused(good[: len(good) // 2], "名单.xlsx").code == "file_unreadable"
    assert refused(b"\xd0\xcf\x11\xe0 not an old Excel file", "名单.xls").code == "file_unreadable"
    assert refused(b"\xff\xfe\x00", "名单.csv").code == "file_unreadable"


def test_rows_columns_and_time_are_capped_in_the_child_too():
    csv = "\n".join(",".join(["a"] * 5) for _ in range(10)).encode()
    assert refused(csv, "a.csv", max_rows=5).code == "file_too_long"
    assert refused(csv, "a.csv", max_columns=4).code == "file_too_wide"
    wide = workbook({1: {"A": "a", "Z": "z"}})  # declares nothing: the child counts
    assert refused(wide, "a.xlsx", max_columns=10).code == "file_too_wide"
    assert refused(csv, "a.csv", wall_seconds=0.001).message.startswith("读取文件用时过长")


def test_a_normal_workbook_reads_exactly_as_the_reader_gives_it():
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.merge_range(0, 0, 0, 3, "梁溪区 参保名单")
    sheet.write_row(1, 0, ["姓名", "身份证号", "金额", "日期"])
    sheet.write_row(2, 0, ["张三", "320213199001010011", 12.5])
    sheet.write_datetime(2, 3, datetime(2026, 7, 1), book.add_format({"num_format": "yyyy-mm-dd"}))
    sheet.write_number(3, 2, 3)
    book.close()
    data = buffer.getvalue()
    expected = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    sheet = read_sheet(data, "名单.xlsx")
    assert sheet.rows == list(expected.iter_rows())
    assert sheet.merged == [((0, 0), (0, 3))] and sheet.height == expected.height
    assert sheet.rows[2][3] in (datetime(2026, 7, 1), date(2026, 7, 1))


def _roster_workbook(people: int, *, long_field_at: int | None = None) -> bytes:
    """A roster of ``people`` valid rows under the template's headers; the row numbered
    ``long_field_at`` (as Excel numbers it) carries a 5,000-character 职业."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["姓名", "身份证号", "手机号", "职业"])
    for n in range(1, people + 1):
        occupation = "快" * 5_000 if n + 1 == long_field_at else "快递员"
        sheet.write_row(n, 0, ["张三", _person(n), f"139{n:08d}", occupation])
    book.close()
    return buffer.getvalue()


def _readers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "sheet-reader"]


def test_rows_arrive_while_the_child_reads_and_a_late_refusal_comes_where_it_is_met():
    """The first thousand rows are handed on before the child reaches row 1,500, whose field is too
    long: the refusal is raised there, with its row, and the child and its thread are gone."""
    stream = open_sheet(_roster_workbook(1_600, long_field_at=1_500), "名单.xlsx")
    assert stream.height == 1_601 and stream.merged == []
    seen = []
    with pytest.raises(InvalidInput) as caught:
        for cells in stream.rows:
            seen.append(cells)
    assert len(seen) == 1_000 and seen[0][:2] == ["姓名", "身份证号"] and seen[1][1] == _person(1)
    assert caught.value.code == "file_field_too_long" and "第1500行" in caught.value.message
    assert not _readers()


def test_a_stream_closed_early_stops_its_reader_and_a_whole_read_matches_the_stream():
    data = _roster_workbook(2_500)
    stream = open_sheet(data, "名单.xlsx")
    assert next(stream.rows)[:2] == ["姓名", "身份证号"]
    stream.close()
    assert not _readers()
    whole = read_sheet(data, "名单.xlsx").rows
    assert len(whole) == 2_501 and whole == list(CalamineWorkbook.from_filelike(io.BytesIO(data))
                                                 .get_sheet_by_index(0).iter_rows())


def test_a_roster_refused_past_its_first_chunk_writes_nothing_and_says_which_row(monkeypatch):
    """The first 2,000 people are inserted before the reader reaches row 3,050 (the import writes a
    chunk at a time, in one unit of work): the refusal there rolls them back."""
    from portal.models import Member
    from portal.services.enrollment import roster_rows, rosters

    inserted = []
    real_insert = roster_rows.insert_rows
    monkeypatch.setattr(roster_rows, "insert_rows",
                        lambda table, columns, records, **kw: inserted.append(len(records)) or real_insert(
                            table, columns, records, **kw))
    union = create_union("LX01")
    create_plan()
    with pytest.raises(InvalidInput) as caught:
        rosters.import_roster_file(union, _roster_workbook(3_100, long_field_at=3_050), "名单.xlsx")
    assert caught.value.code == "file_field_too_long" and "第3050行" in caught.value.message
    assert inserted == [2_000, 2_000]  # the first chunk's members and enrolments, then the refusal
    assert db.session.query(Member).count() == 0 and db.session.query(Enrollment).count() == 0
    assert db.session.query(RosterImport).count() == 0 and not _readers()


@pytest.mark.parametrize("answer", [
    b'{"ok":true,"merged":[],"height":1}\n{"rows":[[{"dt":5}]]}\n{"end":true}\n',  # a date that is a number
    b'{"ok":true,"merged":[],"height":1}\n{"rows":7}\n{"end":true}\n',  # rows that are not a list
    b'{"ok":true,"merged":[[1]],"height":1}\n{"end":true}\n',  # a merged block of the wrong shape
    b'{"ok":true,"merged":[],"height":1}\n[[1]]\n',  # a line that is not an object, and no end
    b'{"ok":false,"code":"too_many_rows","params":[1]}\n',  # a refusal whose details are not an object
], ids=["tagged value", "rows", "merged", "not an object", "params"])
def test_a_reader_answering_out_of_shape_is_refused_with_a_message(monkeypatch, tmp_path, answer):
    """Were a file to take the reader over, what it sends back is data, checked as such: a message
    for the person who sent the file, never a stack trace."""
    from portal.integrations import safe_parse

    script = tmp_path / "worker.py"
    script.write_text(f"import sys\nsys.stdin.buffer.read()\nsys.stdout.buffer.write({answer!r})\n")
    monkeypatch.setattr(safe_parse, "WORKER", script)
    with pytest.raises(InvalidInput) as caught:
        read_sheet(b"a,b\n", "a.csv")
    assert caught.value.message and "%(" not in caught.value.message and not _readers()


# --- every reader uses it -------------------------------------------------------------------------

HOSTILE = [("XFD1048576", one_far_cell("XFD1048576"), "名单.xlsx"),
           ("Z1000000", one_far_cell("Z1000000"), "名单.xlsx"),
           ("long CSV field", CSV_LONG_FIELD, "名单.csv"),
           ("zip bomb", zip_bomb(), "名单.xlsx")]


def _person(n):
    return compose_id_number("320213", date(1990, 1 + n % 12, 1 + n % 28), 700 + n)


@pytest.mark.parametrize(("case", "data", "filename"), HOSTILE, ids=[case for case, _, _ in HOSTILE])
def test_a_hostile_roster_fails_with_a_message_and_a_way_forward(case, data, filename):
    from portal.services.enrollment import rosters

    union = create_union("LX01")
    officer = create_staff("officer", Role.UNION_OFFICER, union=union)
    create_plan()
    roster, _ = rosters.upload_roster(officer, union, data, filename)
    failed = db.session.get(RosterImport, roster.id)
    assert failed.status == RosterImportStatus.FAILED and "重新上传" in failed.failure
    # Re-checking it answers again (the same refusal), never "校验中" for ever.
    rosters.recheck_roster(officer, roster.id)
    db.session.expire_all()
    assert db.session.get(RosterImport, roster.id).status == RosterImportStatus.FAILED
    with pytest.raises(InvalidInput):
        rosters.roster_report_xlsx(officer, roster.id)
    # The way forward: a corrected file imports.
    good = f"姓名,身份证号,手机号\n张三,{_person(1)},13900000001\n".encode()
    fixed, is_new = rosters.upload_roster(officer, union, good, "名单（改）.csv")
    assert is_new and db.session.get(RosterImport, fixed.id).status == RosterImportStatus.VALIDATED
    rosters.confirm_roster(officer, fixed.id)
    assert db.session.get(RosterImport, fixed.id).status == RosterImportStatus.DONE
    assert db.session.query(Enrollment).count() == 1


def test_hostile_files_through_the_pages_answer_with_a_message_never_500(client, auth):
    from portal.services.enrollment import rosters

    union = create_union("LX01")
    officer = create_staff("officer", Role.UNION_OFFICER, union=union)
    create_staff("rev", Role.REVIEWER)
    create_plan()
    roster, _ = rosters.upload_roster(officer, union, one_far_cell("XFD1048576"), "名单.xlsx")
    auth.staff("officer")
    page = client.get(f"/enrollment/rosters/{roster.id}").get_data(as_text=True)
    assert "1048576行" in page and "重新校验" in page
    report = client.get(f"/enrollment/rosters/{roster.id}/report.xlsx", follow_redirects=True)
    assert report.status_code == 200 and "1048576行" in report.get_data(as_text=True)
    auth.logout()
    auth.staff("rev")
    for _case, data, filename in HOSTILE:
        answer = post_form(client, "/review/discharges", {"file": (io.BytesIO(data), filename)},
                           content_type="multipart/form-data")
        assert answer.status_code == 200, _case
        assert "重新上传" in answer.get_data(as_text=True) or "请检查该行" in answer.get_data(as_text=True)


def test_the_reader_gets_none_of_the_portal_s_environment(monkeypatch):
    """A reader a hostile file took over would find no database address or key to steal."""
    import subprocess

    seen = {}
    real_popen = subprocess.Popen

    def recording(args, **kwargs):
        seen.update(kwargs.get("env") or {"inherited": "everything"})
        return real_popen(args, **kwargs)

    monkeypatch.setenv("PORTAL_SECRET_KEY", "not-for-the-child")
    monkeypatch.setattr(subprocess, "Popen", recording)
    assert read_sheet(b"a,b\n1,2\n", "a.csv").rows == [["a", "b"], ["1", "2"]]
    assert seen and not any(key.startswith("PORTAL_") or key == "inherited" for key in seen)
