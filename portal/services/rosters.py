"""Union rosters: upload, check row by row, confirm, insert in bulk — from the browser or the CLI.

The web path stores the file, and the task queue checks it (``check_roster``) and, once the
officer confirms, imports it (``run_import``) while the page polls the progress. The command line
runs the same ``process_roster`` in-line. A roster is read with python-calamine and processed in
chunks: one query per chunk finds the members the portal already knows and who already covers
them, and new members and enrolments are inserted with one multi-row INSERT per chunk. The whole
import is one transaction: it writes everything or nothing.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import xlsxwriter
from flask import current_app
from python_calamine import CalamineWorkbook
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal import clock
from portal.domain import enrollment as rules
from portal.domain.errors import Conflict, InvalidInput, NotFound
from portal.domain.i18n import N_
from portal.domain.identity import mask_id_number
from portal.domain.plans import cover_period
from portal.domain.roles import Role
from portal.extensions import db
from portal.integrations.spreadsheets import read_rows
from portal.models import (
    Enrollment,
    EnrollmentChannel,
    EnrollmentStatus,
    Member,
    Payer,
    Plan,
    RosterImport,
    RosterImportStatus,
    Union,
)
from portal.models.base import utcnow
from portal.pii import lookup_hash
from portal.services import audit
from portal.services.access import require_role, require_union_in_scope, union_scope
from portal.services.background import get_progress as _get_progress
from portal.services.background import put_progress, run_after_commit
from portal.services.enrollment import blocking_stmt, covered_message, current_plan

CHUNK_ROWS = 2000
STORED_ISSUES = 5000  # the page lists this many; the counts and the downloaded report are complete
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
ROSTER_ROLES = (Role.ADMIN, Role.UNION_OFFICER)
NEW_MEMBER_NEEDS_MOBILE = N_("此人尚未登记为会员，请填写本人手机号码（用于接收参保短信和登录平台）。")


# --- Reading --------------------------------------------------------------------------------

@dataclass
class RosterSource:
    rows: Iterator[tuple[int, list[object]]]  # (row number as the spreadsheet shows it, cells)
    merged: list = field(default_factory=list)
    total_rows: int = 0  # for the progress bar


def open_roster(data: bytes, filename: str) -> RosterSource:
    """The rows of the first sheet; ``InvalidInput`` (code ``file_unreadable``/``file_type``) if unusable."""
    name = (filename or "").lower()
    if not data:
        raise InvalidInput(N_("上传的文件是空的，请重新选择名单文件。"), code="file_unreadable")
    if name.endswith(".csv"):
        rows = read_rows(data, filename)
        return RosterSource(rows=enumerate(rows, start=1), total_rows=data.count(b"\n") + 1)
    if not name.endswith((".xlsx", ".xlsm", ".xls")):
        raise InvalidInput(N_("只支持Excel（.xlsx）或CSV文件，请使用下载的模板。"), code="file_type")
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        merged = list(sheet.merged_cell_ranges or [])
        rows = sheet.iter_rows()
    except Exception as exc:  # noqa: BLE001 - calamine raises several types for damaged files
        raise InvalidInput(N_("文件已损坏或不是有效的Excel文件，请用Excel另存为.xlsx后重试。"),
                           code="file_unreadable") from exc
    # iter_rows starts at the sheet's first row, so counting from 1 gives Excel's row numbers.
    return RosterSource(rows=enumerate(rows, start=1), merged=merged, total_rows=sheet.height)


# --- Progress (shared by the task and the polling page, across processes) --------------------

def _progress_key(import_id: int) -> str:
    return f"roster-progress:{import_id}"


def set_progress(import_id: int, phase: str, done: int, total: int) -> None:
    put_progress(_progress_key(import_id), {"phase": phase, "done": done, "total": max(total, done, 1)})


def get_progress(import_id: int) -> dict | None:
    return _get_progress(_progress_key(import_id))


# --- Processing -----------------------------------------------------------------------------

@dataclass
class Outcome:
    total_rows: int = 0
    ok_rows: int = 0
    created: int = 0
    members_created: int = 0
    errors: list[rules.RowIssue] = field(default_factory=list)
    covered: list[rules.RowIssue] = field(default_factory=list)
    rows: list[tuple] | None = None  # every row, for the downloadable report

    def as_json(self) -> dict:
        """The CLI's ``--json`` answer."""
        return {
            "created": self.created, "already_covered": len(self.covered),
            "errors": [{"row": i.row, "column": i.column, "message": i.message} for i in self.errors],
        }

    def stored_issues(self) -> list[dict]:
        issues = sorted(self.errors + self.covered, key=lambda issue: issue.row)
        return [issue.as_dict() for issue in issues[:STORED_ISSUES]]


@dataclass
class _Target:
    union: Union
    plan: Plan
    plan_year: int
    starts_on: date
    ends_on: date
    actor_id: int | None
    roster_import_id: int | None


def process_roster(source: RosterSource, *, union: Union, plan: Plan, today: date, write: bool,
                   actor=None, roster_import_id: int | None = None, collect_rows: bool = False,
                   progress=None) -> Outcome:
    """Check every row and, when ``write``, add the valid ones; the caller commits or rolls back."""
    starts_on, ends_on = cover_period(today)
    target = _Target(union, plan, rules.plan_year_for(today), starts_on, ends_on, getattr(actor, "id", None),
                     roster_import_id)
    validator = rules.RosterValidator(today=today, merged=source.merged)
    outcome = Outcome(rows=[] if collect_rows else None)
    chunk: list[rules.RosterRow] = []
    last_row = 0
    for item in validator.check(source.rows):
        last_row = item.row
        if isinstance(item, rules.RowIssue):
            outcome.errors.append(item)
            if collect_rows:
                outcome.rows.append((item.row, "", "", "error", item.column, item.message))
            continue
        chunk.append(item)
        if len(chunk) >= CHUNK_ROWS:
            _process_chunk(chunk, target, outcome, write=write, collect_rows=collect_rows)
            chunk = []
            if progress:
                progress(last_row, source.total_rows)
    if chunk:
        _process_chunk(chunk, target, outcome, write=write, collect_rows=collect_rows)
    outcome.total_rows = validator.data_rows
    if progress:
        progress(source.total_rows, source.total_rows)
    return outcome


def _process_chunk(chunk: list[rules.RosterRow], target: _Target, outcome: Outcome, *, write: bool,
                   collect_rows: bool) -> None:
    hashes = {lookup_hash(row.id_number.value): row for row in chunk}
    known = dict(db.session.execute(
        select(Member.id_number_hash, Member.id).where(Member.id_number_hash.in_(list(hashes)))
    ).all())
    covering: dict[int, str] = {}
    previous_end: dict[int, date] = {}
    if known:
        ids = list(known.values())
        for enrollment in db.session.scalars(
            blocking_stmt(target.starts_on).where(Enrollment.member_id.in_(ids))
            .options(joinedload(Enrollment.union), joinedload(Enrollment.campaign))
        ):
            covering.setdefault(enrollment.member_id, covered_message(enrollment))
        previous_end = dict(db.session.execute(
            select(Enrollment.member_id, func.max(Enrollment.ends_on)).where(
                Enrollment.member_id.in_(ids),
                Enrollment.status.in_((EnrollmentStatus.ACTIVE, EnrollmentStatus.EXPIRED)),
            ).group_by(Enrollment.member_id)
        ).all())
    new_members: list[dict] = []
    enrol: list[tuple[str, rules.RosterRow]] = []
    now = utcnow()
    for digest, row in hashes.items():
        member_id = known.get(digest)
        if member_id is not None and member_id in covering:
            issue = rules.RowIssue(row.row, "", covering[member_id], kind="covered")
            outcome.covered.append(issue)
            if collect_rows:
                outcome.rows.append((row.row, row.name, mask_id_number(row.id_number.value), "covered", "",
                                     issue.message))
            continue
        if member_id is None and row.mobile is None:
            issue = rules.RowIssue(row.row, rules.COLUMN_LABELS["mobile"], NEW_MEMBER_NEEDS_MOBILE)
            outcome.errors.append(issue)
            if collect_rows:
                outcome.rows.append((row.row, row.name, mask_id_number(row.id_number.value), "error",
                                     issue.column, issue.message))
            continue
        outcome.ok_rows += 1
        if collect_rows:
            outcome.rows.append((row.row, row.name, mask_id_number(row.id_number.value), "ok", "",
                                 "新会员，将同时登记会员信息" if member_id is None else ""))
        if member_id is None:
            new_members.append(_member_values(row, digest, target.union.id, now))
        enrol.append((digest, row))
    if not write:
        return
    if new_members:
        ids = insert_rows(Member.__table__, new_members, return_ids=True)
        known.update(zip((values["id_number_hash"] for values in new_members), ids, strict=True))
        outcome.members_created += len(new_members)
    if enrol:
        insert_rows(Enrollment.__table__, [
            _enrollment_values(known[digest], target, previous_end.get(known[digest]), now)
            for digest, _row in enrol
        ])
        outcome.created += len(enrol)


def insert_rows(table, rows: list[dict], *, return_ids: bool = False) -> list[int] | None:
    """Insert many rows in the session's transaction, the fastest way the database offers.

    PostgreSQL gets COPY (ids drawn from the table's sequence first, so members can be linked);
    SQLite one executemany. Values pass through each column type's bind processing,
    so ID numbers and mobiles are encrypted (Fernet, per row) either way.
    """
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        return _copy_rows(connection, table, rows, return_ids=return_ids)
    connection.execute(insert(table), rows)
    if not return_ids:
        return None
    if connection.dialect.name == "sqlite":
        # SQLite gives an integer primary key max(id) + 1, and this transaction holds the only
        # write lock from its first insert to commit, so the batch's ids are the last n in order.
        # (RETURNING in parameter order would make SQLAlchemy insert the rows one by one.)
        last = connection.execute(select(func.max(table.c.id))).scalar_one()
        return list(range(last - len(rows) + 1, last + 1))
    raise NotImplementedError(f"insert_rows(return_ids=True) on {connection.dialect.name}")


def _copy_rows(connection, table, rows: list[dict], *, return_ids: bool) -> list[int] | None:
    names = list(rows[0])
    ids = None
    if return_ids:
        ids = list(connection.execute(
            select(func.nextval(func.pg_get_serial_sequence(table.name, "id")))
            .select_from(func.generate_series(1, len(rows)))
        ).scalars())
        names = ["id", *names]
    processors = [(table.c[name].type.bind_processor(connection.dialect) or _plain) for name in names]
    columns = ", ".join(f'"{name}"' for name in names)
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for index, values in enumerate(rows):
                record = [ids[index], *values.values()] if ids else values.values()
                copy.write_row([_plain(process(value)) for process, value in zip(processors, record, strict=True)])
    return ids


def _plain(value):
    """COPY adapts by exact type: enum members (``StrEnum``) go as their text."""
    return str(value) if isinstance(value, str) and type(value) is not str else value


def _member_values(row: rules.RosterRow, digest: str, union_id: int, now) -> dict:
    """A new member's columns; ``id_number`` and ``mobile`` are encrypted by their column type."""
    return {
        "name": row.name, "id_number": row.id_number.value, "id_number_hash": digest,
        "gender": row.id_number.gender, "birth_date": row.id_number.birth_date,
        "mobile": row.mobile, "mobile_hash": lookup_hash(row.mobile) if row.mobile else None,
        "union_id": union_id, "occupation": row.occupation, "is_gig_worker": row.is_gig_worker,
        "has_social_insurance": row.has_social_insurance, "is_hardship_family": False, "sms_consent": True,
        "is_verified": True, "region_note": row.id_number.region_note, "created_at": now, "updated_at": now,
    }


def _enrollment_values(member_id: int, target: _Target, previous_end: date | None, now) -> dict:
    return {
        "member_id": member_id, "plan_id": target.plan.id, "union_id": target.union.id,
        "plan_year": target.plan_year,
        "status": EnrollmentStatus.ACTIVE, "channel": EnrollmentChannel.ROSTER, "payer": Payer.UNION,
        "is_renewal": rules.is_continuation(previous_end, target.starts_on),
        "contribution_fen": target.plan.contribution_fen, "starts_on": target.starts_on,
        "ends_on": target.ends_on, "confirmed_at": now, "confirmed_by_id": target.actor_id,
        "roster_import_id": target.roster_import_id, "created_at": now, "updated_at": now,
    }


# --- The web path: upload, check, confirm, import -------------------------------------------

def _roster_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "rosters"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _read_stored(roster: RosterImport) -> bytes:
    return (_roster_folder() / roster.stored_name).read_bytes()


def _check_upload(data: bytes, filename: str) -> None:
    limit = current_app.config.get("ROSTER_MAX_BYTES", DEFAULT_MAX_BYTES)
    if len(data) > limit:
        raise InvalidInput(f"文件超过{limit // (1024 * 1024)}MB，请分成几个文件上传。", code="file_too_large")
    if not data:
        raise InvalidInput(N_("上传的文件是空的，请重新选择名单文件。"), code="file_unreadable")
    if not (filename or "").lower().endswith((".xlsx", ".xlsm", ".xls", ".csv")):
        raise InvalidInput(N_("只支持Excel（.xlsx）或CSV文件，请使用下载的模板。"), code="file_type")


def stage_roster(actor, union: Union, data: bytes, filename: str, *, plan: Plan | None = None) -> tuple[
        RosterImport, bool]:
    """Store an uploaded roster and record it; ``(roster, is_new)``. The same file for the same
    union gives back the first upload, so nothing is ever imported twice."""
    if actor is not None:
        require_role(actor, *ROSTER_ROLES)
        require_union_in_scope(actor, union)
    _check_upload(data, filename)
    digest = hashlib.sha256(data).hexdigest()
    existing = db.session.scalar(
        select(RosterImport).where(RosterImport.union_id == union.id, RosterImport.content_hash == digest)
    )
    if existing is not None:
        return existing, False
    suffix = Path(filename).suffix.lower()
    stored_name = f"{digest}{suffix}"
    (_roster_folder() / stored_name).write_bytes(data)
    roster = RosterImport(
        union_id=union.id, plan_id=(plan or current_plan()).id, uploaded_by_id=getattr(actor, "id", None),
        filename=Path(filename).name[:200], content_hash=digest, stored_name=stored_name,
        status=RosterImportStatus.QUEUED, issues=[],
    )
    db.session.add(roster)
    try:
        db.session.flush()
    except IntegrityError:  # the same file submitted twice at once
        db.session.rollback()
        return db.session.scalar(select(RosterImport).where(
            RosterImport.union_id == union.id, RosterImport.content_hash == digest)), False
    audit.record(actor, "enrollment.roster_upload", "roster_import", roster.id, union=union.code,
                 filename=roster.filename)
    db.session.commit()
    return roster, True


def upload_roster(actor, union: Union, data: bytes, filename: str) -> tuple[RosterImport, bool]:
    """Store the roster and have the task queue check it; the page then polls for the report."""
    roster, is_new = stage_roster(actor, union, data, filename)
    if is_new:
        run_after_commit("check_roster", roster.id)
        db.session.refresh(roster)  # the task may already have run (eager queue, fast consumer)
    return roster, is_new


def check_roster(import_id: int, *, today: date | None = None) -> RosterImport:
    """Check a stored roster row by row and keep the report (the task queue runs this)."""
    today = today or clock.today()
    roster = db.session.get(RosterImport, import_id)
    roster.status = RosterImportStatus.VALIDATING
    db.session.commit()
    try:
        source = open_roster(_read_stored(roster), roster.filename)
        outcome = process_roster(source, union=roster.union, plan=roster.plan, today=today, write=False,
                                 progress=lambda done, total: set_progress(import_id, "validating", done, total))
    except Exception as error:  # noqa: BLE001 - the page must never wait for a check that died
        db.session.rollback()
        if not isinstance(error, InvalidInput):
            current_app.logger.exception("roster check %s failed", import_id)
        roster = db.session.get(RosterImport, import_id)
        roster.status = RosterImportStatus.FAILED
        roster.failure = error.message if isinstance(error, InvalidInput) else \
            "校验时出现系统错误，请稍后点击“重新校验”；如仍失败请联系管理员。"
        db.session.commit()
        return roster
    _store_outcome(roster, outcome)
    roster.status = RosterImportStatus.VALIDATED
    roster.validated_at = utcnow()
    roster.failure = None
    db.session.commit()
    return roster


def _store_outcome(roster: RosterImport, outcome: Outcome) -> None:
    roster.total_rows = outcome.total_rows
    roster.ok_rows = outcome.ok_rows
    roster.error_rows = len(outcome.errors)
    roster.covered_rows = len(outcome.covered)
    roster.issues = outcome.stored_issues()


def confirm_roster(actor, import_id: int) -> RosterImport:
    """The officer confirms the checked roster; a second click finds it already importing."""
    roster = get_roster(actor, import_id)
    if roster.ok_rows == 0 and roster.status == RosterImportStatus.VALIDATED:
        raise InvalidInput(N_("名单中没有可以参保的行，请按报告修改后重新上传。"))
    claimed = db.session.execute(
        update(RosterImport).where(RosterImport.id == roster.id, RosterImport.status == RosterImportStatus.VALIDATED)
        .values(status=RosterImportStatus.IMPORTING, confirmed_at=utcnow())
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise Conflict(N_("该名单已确认导入或正在处理，无需重复操作。"))
    audit.record(actor, "enrollment.roster_confirm", "roster_import", roster.id, ok_rows=roster.ok_rows)
    db.session.commit()
    run_after_commit("import_roster", roster.id)
    db.session.refresh(roster)
    return roster


def run_import(import_id: int, *, today: date | None = None) -> RosterImport:
    """Import a confirmed roster in one transaction; if anything fails, nothing is written."""
    today = today or clock.today()
    roster = db.session.get(RosterImport, import_id)
    try:
        source = open_roster(_read_stored(roster), roster.filename)
        outcome = process_roster(
            source, union=roster.union, plan=current_plan(roster.plan.code), today=today, write=True,
            actor=_uploader(roster), roster_import_id=roster.id,
            progress=lambda done, total: set_progress(import_id, "importing", done, total),
        )
        _store_outcome(roster, outcome)
        roster.created_count = outcome.created
        roster.members_created = outcome.members_created
        roster.status = RosterImportStatus.DONE
        roster.finished_at = utcnow()
        audit.record(_uploader(roster), "enrollment.roster_import", "roster_import", roster.id,
                     created=outcome.created, members_created=outcome.members_created)
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - whatever failed, the roster must say so and write nothing
        db.session.rollback()
        if _is_unique_violation(error):
            message = "导入过程中有人为名单中的人员办理了参保，本次导入未写入任何数据。请点击“重新校验”后再确认导入。"
        elif isinstance(error, InvalidInput):
            message = error.message
        else:
            current_app.logger.exception("roster import %s failed", import_id)
            message = "导入失败，未写入任何数据。请稍后点击“重新校验”再试；如仍失败请联系管理员。"
        roster = db.session.get(RosterImport, import_id)
        roster.status = RosterImportStatus.FAILED
        roster.failure = message
        db.session.commit()
    return roster


def _is_unique_violation(error: Exception) -> bool:
    """SQLAlchemy wraps driver errors, but COPY (PostgreSQL) raises psycopg's own."""
    return isinstance(error, IntegrityError) or getattr(error, "sqlstate", None) == "23505"


def _uploader(roster: RosterImport):
    from portal.models import StaffUser

    return db.session.get(StaffUser, roster.uploaded_by_id) if roster.uploaded_by_id else None


def recheck_roster(actor, import_id: int) -> RosterImport:
    """Check a roster again (after others enrolled some of its people, or after a failed import)."""
    roster = get_roster(actor, import_id)
    claimed = db.session.execute(
        update(RosterImport).where(
            RosterImport.id == roster.id,
            RosterImport.status.in_((RosterImportStatus.VALIDATED, RosterImportStatus.FAILED)),
        ).values(status=RosterImportStatus.QUEUED)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise Conflict(N_("该名单正在处理或已导入完成，无需重新校验。"))
    db.session.commit()
    run_after_commit("check_roster", roster.id)
    db.session.refresh(roster)
    return roster


def get_roster(actor, import_id: int) -> RosterImport:
    require_role(actor, *ROSTER_ROLES)
    roster = db.session.get(RosterImport, import_id)
    if roster is None:
        raise NotFound(N_("找不到该名单。"))
    require_union_in_scope(actor, roster.union)
    return roster


def list_rosters(actor, *, page: int = 1, per_page: int = 20):
    require_role(actor, *ROSTER_ROLES)
    stmt = union_scope(select(RosterImport), actor, RosterImport.union_id)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.options(joinedload(RosterImport.union)).order_by(RosterImport.id.desc())
                              .offset((page - 1) * per_page).limit(per_page))
    return list(rows), total


REPORT_LABELS = {"ok": "可参保", "error": "有错误", "covered": "已参保"}


def roster_report_xlsx(actor, import_id: int, *, today: date | None = None) -> bytes:
    """Every row of the roster with its result, as Excel: the complete report behind the page."""
    from portal.integrations.spreadsheets import write_xlsx

    roster = get_roster(actor, import_id)
    source = open_roster(_read_stored(roster), roster.filename)
    outcome = process_roster(source, union=roster.union, plan=roster.plan, today=today or clock.today(),
                             write=False, collect_rows=True)
    db.session.rollback()
    rows = sorted(outcome.rows)
    return write_xlsx(["行号", "姓名", "身份证号", "结果", "问题所在列", "说明"],
                      ([r[0], r[1], r[2], REPORT_LABELS[r[3]], r[4], r[5]] for r in rows),
                      sheet="校验报告", text_columns=(2,))


# --- The command line -----------------------------------------------------------------------

def import_roster_file(union: Union, data: bytes, filename: str, *, dry_run: bool = False,
                       today: date | None = None) -> Outcome:
    """``flask import-roster``: check and (unless ``dry_run``) import in one go, as the system.

    A file already imported for this union is only checked again (every row then shows as already
    covered): the same roster twice creates nothing new.
    """
    today = today or clock.today()
    source = open_roster(data, filename)  # unreadable files raise before anything is recorded
    plan = current_plan()
    if dry_run:
        outcome = process_roster(source, union=union, plan=plan, today=today, write=False)
        db.session.rollback()
        return outcome
    roster, is_new = stage_roster(None, union, data, filename, plan=plan)
    if not is_new and roster.status == RosterImportStatus.DONE:
        outcome = process_roster(source, union=union, plan=plan, today=today, write=False)
        db.session.rollback()
        outcome.ok_rows = 0
        return outcome
    try:
        outcome = process_roster(source, union=union, plan=plan, today=today, write=True,
                                 roster_import_id=roster.id)
        _store_outcome(roster, outcome)
        roster.created_count, roster.members_created = outcome.created, outcome.members_created
        roster.status, roster.finished_at, roster.validated_at = RosterImportStatus.DONE, utcnow(), utcnow()
        audit.record(None, "enrollment.roster_import", "roster_import", roster.id, created=outcome.created,
                     source="cli")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return outcome


# --- The downloadable template --------------------------------------------------------------

def template_xlsx() -> bytes:
    """The roster template: Chinese headers, ID and mobile columns formatted as text, 是/否 lists."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("参保名单")
    bold = workbook.add_format({"bold": True, "bg_color": "#F0EFEB", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    widths = (12, 24, 16, 14, 22, 14)
    for column, (header, width) in enumerate(zip(rules.TEMPLATE_HEADERS, widths, strict=True)):
        sheet.write_string(0, column, header, bold)
        sheet.set_column(column, column, width, text if column in (1, 2) else None)
    for column in (4, 5):
        sheet.data_validation(1, column, 100_000, column, {"validate": "list", "source": ["是", "否"]})
    sheet.data_validation(1, 3, 100_000, 3, {
        "validate": "list", "error_type": "information",
        "source": ["快递员", "外卖配送员", "网约车司机", "货车司机", "环卫工人", "企业职工", "其他"]})
    sheet.freeze_panes(1, 0)
    notes = workbook.add_worksheet("填写说明")
    for row, line in enumerate((
        "1. 每行一人，“姓名”“身份证号”必填；新会员还需填写本人手机号码。",
        "2. 身份证号、手机号两列已设置为文本格式，请勿改为数字格式，否则末几位会丢失。",
        "3. 身份证号请填写18位号码；15位旧号码请换成现行18位号码。",
        "4. 是否新就业形态劳动者、是否参加社保：填写“是”或“否”。",
        "5. 同一人只填一次；已在其他工会参保的人员，系统会提示并跳过。",
    )):
        notes.write_string(row, 0, line)
    notes.set_column(0, 0, 90)
    workbook.close()
    return buffer.getvalue()
