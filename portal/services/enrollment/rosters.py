"""Union rosters: upload, check row by row, confirm, import — from the browser or the CLI.

The web path stores the file and the task queue checks it (``check_roster``); once the officer
confirms, the queue imports it (``run_import``) while the page polls the progress, kept in the
queue's storage (``portal.services.background.put_progress``). The command line runs the same
rows in-line (``import_roster_file``). An import is one unit of work: it writes everything or
nothing, and a failure is then recorded on the roster in a unit of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update

from portal import clock
from portal.domain.background import JobKind, JobStatus
from portal.domain.enrollment import ROSTER_IMPORT, RosterImportAction
from portal.domain.errors import Conflict, InvalidInput, NotFound
from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Plan, RosterImport, RosterImportStatus, Union
from portal.models.background import BackgroundJob
from portal.models.base import utcnow
from portal.services import audit
from portal.services.access import require_role, require_union_in_scope
from portal.services.background import LeaseLost, end_lease, put_progress, register_job, run_after_commit, take_lease
from portal.services.background import get_progress as _get_progress
from portal.services.enrollment.plans import current_plan
from portal.services.enrollment.roster_rows import Outcome, open_roster, process_roster
from portal.services.unit_of_work import (
    after_commit,
    is_unique_violation,
    savepoint,
    transaction,
    unit_of_work,
)

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
ROSTER_ROLES = (Role.ADMIN, Role.UNION_OFFICER)


# --- Progress (shared by the task and the polling page, across processes) --------------------

def _progress_key(import_id: int) -> str:
    return f"roster-progress:{import_id}"


def set_progress(import_id: int, phase: str, done: int, total: int) -> None:
    put_progress(_progress_key(import_id), {"phase": phase, "done": done, "total": max(total, done, 1)})


def get_progress(import_id: int) -> dict | None:
    return _get_progress(_progress_key(import_id))


# --- The web path: upload, check, confirm, import -------------------------------------------

def _roster_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "rosters"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


FILE_REMOVED = N_("名单文件已按个人信息保护规定删除（导入完成或超过保存期限）。如需再次导入，请重新上传该文件。")


def _read_stored(roster: RosterImport) -> bytes:
    if roster.file_removed_at is not None:
        raise InvalidInput(FILE_REMOVED, code="roster_file_removed")
    return (_roster_folder() / roster.stored_name).read_bytes()


def forget_file(roster: RosterImport, *, now: datetime | None = None) -> None:
    """Delete the uploaded file once this unit of work commits (a rollback keeps it, to be checked
    again); the roster's counts, issues and enrolments stay, and so does its report."""
    roster.file_removed_at = now or utcnow()
    path = _roster_folder() / roster.stored_name
    after_commit(lambda: path.unlink(missing_ok=True))


def _check_upload(data: bytes, filename: str) -> None:
    limit = current_app.config.get("ROSTER_MAX_BYTES", DEFAULT_MAX_BYTES)
    if len(data) > limit:
        raise InvalidInput(N_("文件超过%(megabytes)sMB，请分成几个文件上传。"), code="file_too_large",
                           megabytes=limit // (1024 * 1024))
    if not data:
        raise InvalidInput(N_("上传的文件是空的，请重新选择名单文件。"), code="file_unreadable")
    if not (filename or "").lower().endswith((".xlsx", ".xlsm", ".xls", ".csv")):
        raise InvalidInput(N_("只支持Excel（.xlsx）或CSV文件，请使用下载的模板。"), code="file_type")


def _same_file(union: Union, digest: str) -> RosterImport | None:
    return db.session.scalar(
        select(RosterImport).where(RosterImport.union_id == union.id, RosterImport.content_hash == digest)
    )


@unit_of_work
def stage_roster(actor, union: Union, data: bytes, filename: str, *, plan: Plan | None = None) -> tuple[
        RosterImport, bool]:
    """Store an uploaded roster and record it; ``(roster, is_new)``. The same file for the same
    union gives back the first upload, so nothing is ever imported twice."""
    if actor is not None:
        require_role(actor, *ROSTER_ROLES)
        require_union_in_scope(actor, union)
    _check_upload(data, filename)
    digest = hashlib.sha256(data).hexdigest()
    existing = _same_file(union, digest)
    if existing is not None and existing.file_removed_at is not None \
            and ROSTER_IMPORT.can(existing.status, RosterImportAction.RECHECK):
        # Its file was deleted past retention before anyone imported it: the same file uploaded
        # again is kept again and checked afresh (an imported roster stays imported).
        (_roster_folder() / existing.stored_name).write_bytes(data)
        existing.file_removed_at = None
        ROSTER_IMPORT.move(existing, RosterImportAction.RECHECK)
        audit.record(actor, "enrollment.roster_upload", "roster_import", existing.id, union=union.code,
                     filename=existing.filename, again=True)
        return existing, True
    if existing is not None:
        return existing, False
    suffix = Path(filename).suffix.lower()
    stored_name = f"{digest}{suffix}"
    # Named by its content, so a file left behind by a rolled-back upload is the same file the
    # next upload of it would write: nothing to undo.
    (_roster_folder() / stored_name).write_bytes(data)
    roster = RosterImport(
        union_id=union.id, plan_id=(plan or current_plan()).id, uploaded_by_id=getattr(actor, "id", None),
        filename=Path(filename).name[:200], content_hash=digest, stored_name=stored_name,
        status=ROSTER_IMPORT.initial, issues=[],
    )
    try:
        with savepoint():  # the same file submitted twice at once
            db.session.add(roster)
    except Conflict as error:
        if error.code != "duplicate":
            raise
        return _same_file(union, digest), False
    audit.record(actor, "enrollment.roster_upload", "roster_import", roster.id, union=union.code,
                 filename=roster.filename)
    return roster, True


@unit_of_work
def upload_roster(actor, union: Union, data: bytes, filename: str) -> tuple[RosterImport, bool]:
    """Store the roster and have the task queue check it once stored; the page then polls for the
    report (the roster is read afresh after the commit: the check may already have run)."""
    roster, is_new = stage_roster(actor, union, data, filename)
    if is_new:
        run_after_commit("check_roster", roster.id)
    return roster, is_new


def check_roster(import_id: int, *, today: date | None = None) -> RosterImport:
    """Check a stored roster row by row and keep the report (the task queue runs this).

    Under a lease (``CHECK_JOB``), in three units of work, one after the other, so the page sees
    each step: the roster is marked as being checked, then the report is stored (with the lease
    released in the same transaction), or, if the check died, the failure is. A worker that dies
    leaves the lease to expire: the sweep checks the roster again, or says it failed.
    """
    today = today or clock.today()
    lease = take_lease(CHECK_JOB.name, import_id)
    if lease is None:  # another worker is checking it right now
        return db.session.get(RosterImport, import_id)
    if not _start_check(import_id):
        end_lease(lease)
        return db.session.get(RosterImport, import_id)

    def progress(done: int, total: int) -> None:
        set_progress(import_id, "validating", done, total)
        lease.beat()

    try:
        with transaction():
            roster = db.session.get(RosterImport, import_id)
            source = open_roster(_read_stored(roster), roster.filename)
            outcome = process_roster(source, union=roster.union, plan=roster.plan, today=today, write=False,
                                     progress=progress)
            _store_outcome(roster, outcome)
            ROSTER_IMPORT.move(roster, RosterImportAction.PASS)
            roster.validated_at = utcnow()
            roster.failure = None
            lease.finish()
        return roster
    except LeaseLost:
        return db.session.get(RosterImport, import_id)  # the sweep took it over
    except Exception as error:  # noqa: BLE001 - the page must never wait for a check that died
        if not isinstance(error, InvalidInput):
            current_app.logger.exception("roster check %s failed", import_id)
        message = error.message if isinstance(error, InvalidInput) else \
            "校验时出现系统错误，请稍后点击“重新校验”；如仍失败请联系管理员。"
        roster = _record_failure(import_id, message)
        end_lease(lease, failure=message)
        return roster


@unit_of_work
def _start_check(import_id: int) -> bool:
    """Mark the roster as being checked; ``False`` when it is not waiting for a check (a task run
    twice). A roster already being checked is checked again only by the holder of a new lease:
    the sweep's retry after its first checker died."""
    roster = db.session.get(RosterImport, import_id)
    if roster is not None and roster.status == RosterImportStatus.VALIDATING:
        return True
    if roster is None or not ROSTER_IMPORT.can(roster.status, RosterImportAction.CHECK):
        return False
    ROSTER_IMPORT.move(roster, RosterImportAction.CHECK)
    return True


@unit_of_work
def _record_failure(import_id: int, message: str) -> RosterImport:
    """After the check or the import rolled back: say why on the roster, in a unit of its own."""
    roster = db.session.get(RosterImport, import_id)
    ROSTER_IMPORT.move(roster, RosterImportAction.FAIL)
    roster.failure = message
    return roster


def _store_outcome(roster: RosterImport, outcome: Outcome) -> None:
    roster.total_rows = outcome.total_rows
    roster.ok_rows = outcome.ok_rows
    roster.error_rows = outcome.error_rows
    roster.covered_rows = len(outcome.covered)
    roster.issues = outcome.stored_issues()


@unit_of_work
def confirm_roster(actor, import_id: int) -> RosterImport:
    """The officer confirms the checked roster; a second click finds it already importing."""
    roster = get_roster(actor, import_id)
    if roster.file_removed_at is not None and roster.status == RosterImportStatus.VALIDATED:
        raise InvalidInput(FILE_REMOVED, code="roster_file_removed")
    if roster.ok_rows == 0 and roster.status == RosterImportStatus.VALIDATED:
        raise InvalidInput(N_("名单中没有可以参保的行，请按报告修改后重新上传。"))
    # One conditional UPDATE: of two clicks at once, only one finds the roster still checked.
    claimed = db.session.execute(
        update(RosterImport).where(RosterImport.id == roster.id, RosterImport.status == RosterImportStatus.VALIDATED)
        .values(status=ROSTER_IMPORT.next(RosterImportStatus.VALIDATED, RosterImportAction.CONFIRM),
                confirmed_at=utcnow())
    )
    if claimed.rowcount != 1:
        raise Conflict(N_("该名单已确认导入或正在处理，无需重复操作。"))
    audit.record(actor, "enrollment.roster_confirm", "roster_import", roster.id, ok_rows=roster.ok_rows)
    run_after_commit("import_roster", roster.id)
    return roster


IMPORT_RACED = "导入过程中有人为名单中的人员办理了参保，本次导入未写入任何数据。请点击“重新校验”后再确认导入。"
IMPORT_FAILED = "导入失败，未写入任何数据。请稍后点击“重新校验”再试；如仍失败请联系管理员。"


def run_import(import_id: int, *, today: date | None = None) -> RosterImport:
    """Import a confirmed roster in one unit of work, under a lease (``IMPORT_JOB``); if anything
    fails, nothing is written and the roster says why (the task queue runs this)."""
    lease = take_lease(IMPORT_JOB.name, import_id)
    if lease is None:  # another worker is importing it right now
        return db.session.get(RosterImport, import_id)
    roster = db.session.get(RosterImport, import_id)
    if roster is None or roster.status != RosterImportStatus.IMPORTING:
        end_lease(lease)  # a late or repeated delivery of the task: nothing to do
        return roster
    try:
        return _import(import_id, today=today or clock.today(), lease=lease)
    except LeaseLost:
        return db.session.get(RosterImport, import_id)  # the sweep took it over; this attempt wrote nothing
    except Exception as error:  # noqa: BLE001 - whatever failed, the roster must say so and write nothing
        if is_unique_violation(error) or getattr(error, "code", None) == "duplicate":
            message = IMPORT_RACED  # COPY (PostgreSQL) raises psycopg's own error, not IntegrityError
        elif isinstance(error, InvalidInput):
            message = error.message
        else:
            current_app.logger.exception("roster import %s failed", import_id)
            message = IMPORT_FAILED
        roster = _record_failure(import_id, message)
        end_lease(lease, failure=message)
        return roster


@unit_of_work
def _import(import_id: int, *, today: date, lease) -> RosterImport:
    roster = db.session.get(RosterImport, import_id)
    uploader = _uploader(roster)
    source = open_roster(_read_stored(roster), roster.filename)

    def progress(done: int, total: int) -> None:
        set_progress(import_id, "importing", done, total)
        lease.beat()

    outcome = process_roster(
        source, union=roster.union, plan=current_plan(roster.plan.code), today=today, write=True,
        actor=uploader, roster_import_id=roster.id, progress=progress,
    )
    _store_outcome(roster, outcome)
    roster.created_count = outcome.created
    roster.members_created = outcome.members_created
    ROSTER_IMPORT.move(roster, RosterImportAction.FINISH)
    roster.finished_at = utcnow()
    forget_file(roster, now=roster.finished_at)
    audit.record(uploader, "enrollment.roster_import", "roster_import", roster.id,
                 created=outcome.created, members_created=outcome.members_created)
    lease.finish()  # in this transaction: an import the sweep took over never lands
    return roster


def _uploader(roster: RosterImport):
    from portal.models import StaffUser

    return db.session.get(StaffUser, roster.uploaded_by_id) if roster.uploaded_by_id else None


STALLED_AFTER = timedelta(minutes=30)  # far longer than checking or importing the largest roster takes
STALLED = "处理过程中断（例如服务器重启），未写入任何数据。请点击“重新校验”后再确认导入，或重新上传名单。"
# Checking reads only: a check a dead worker left is run again once. An import is one
# transaction (a dead one wrote nothing): it is tried once more, then the officer decides.
CHECK_JOB = JobKind("check_roster", lease=timedelta(minutes=10), max_attempts=2)
IMPORT_JOB = JobKind("import_roster", lease=timedelta(minutes=15), max_attempts=2)


def _retry(task_name: str, status: RosterImportStatus) -> Callable[[int], bool]:
    def retry(import_id: int) -> bool:
        roster = db.session.get(RosterImport, import_id)
        if roster is None or roster.status != status:
            return False
        run_after_commit(task_name, import_id)
        return True
    return retry


def _give_up(import_id: int) -> None:
    """The sweep gave up on a dead worker's check or import: the roster fails with a way forward."""
    roster = db.session.get(RosterImport, import_id)
    if roster is not None and roster.status in (RosterImportStatus.VALIDATING, RosterImportStatus.IMPORTING):
        ROSTER_IMPORT.move(roster, RosterImportAction.FAIL)
        roster.failure = STALLED


register_job(CHECK_JOB, retry=_retry("check_roster", RosterImportStatus.VALIDATING), give_up=_give_up)
register_job(IMPORT_JOB, retry=_retry("import_roster", RosterImportStatus.IMPORTING), give_up=_give_up)


@unit_of_work
def fail_stalled(*, now: datetime | None = None) -> int:
    """Rosters left checking or importing with no job holding them (a task lost with its queue,
    or left from before leases) say so after ``STALLED_AFTER``, and can be checked again.

    Jobs with a lease are the sweep's (``services.background.sweep_jobs``), which runs this too.
    """
    now = now or utcnow()
    sources = [status for status in (RosterImportStatus.VALIDATING, RosterImportStatus.IMPORTING)
               if ROSTER_IMPORT.can(status, RosterImportAction.FAIL)]
    leased = select(BackgroundJob.subject_id).where(
        BackgroundJob.kind.in_((CHECK_JOB.name, IMPORT_JOB.name)),
        BackgroundJob.status.in_((JobStatus.RUNNING, JobStatus.RETRYING)))
    return db.session.execute(
        update(RosterImport).where(RosterImport.status.in_(sources), RosterImport.updated_at < now - STALLED_AFTER,
                                   RosterImport.id.not_in(leased))
        .values(status=RosterImportStatus.FAILED, failure=STALLED, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount


@unit_of_work
def recheck_roster(actor, import_id: int) -> RosterImport:
    """Check a roster again (after others enrolled some of its people, or after a failed import)."""
    roster = get_roster(actor, import_id)
    if roster.file_removed_at is not None and ROSTER_IMPORT.can(roster.status, RosterImportAction.RECHECK):
        raise InvalidInput(FILE_REMOVED, code="roster_file_removed")
    sources = [status for status in RosterImportStatus if ROSTER_IMPORT.can(status, RosterImportAction.RECHECK)]
    claimed = db.session.execute(
        update(RosterImport).where(RosterImport.id == roster.id, RosterImport.status.in_(sources))
        .values(status=RosterImportStatus.QUEUED)
    )
    if claimed.rowcount != 1:
        raise Conflict(N_("该名单正在处理或已导入完成，无需重新校验。"))
    run_after_commit("check_roster", roster.id)
    return roster


def get_roster(actor, import_id: int) -> RosterImport:
    """A roster the actor may see and act on; ``NotFound`` otherwise."""
    require_role(actor, *ROSTER_ROLES)
    roster = db.session.get(RosterImport, import_id)
    if roster is None:
        raise NotFound(N_("找不到该名单。"))
    require_union_in_scope(actor, roster.union)
    return roster


REPORT_LABELS = {"ok": "可参保", "error": "有错误", "covered": "已参保", "imported": "已导入"}


def roster_report_xlsx(actor, import_id: int, *, today: date | None = None) -> bytes:
    """Every row of the roster with its result, as Excel: the complete report behind the page."""
    from portal.integrations.spreadsheets import write_xlsx

    roster = get_roster(actor, import_id)
    if roster.file_removed_at is not None:
        rows = _stored_report_rows(roster)
    else:
        source = open_roster(_read_stored(roster), roster.filename)
        outcome = process_roster(source, union=roster.union, plan=roster.plan, today=today or clock.today(),
                                 write=False, collect_rows=True)
        rows = sorted(outcome.rows)
    return write_xlsx(["行号", "姓名", "身份证号", "结果", "问题所在列", "说明"],
                      ([r[0], r[1], r[2], REPORT_LABELS[r[3]], r[4], r[5]] for r in rows),
                      sheet="校验报告", text_columns=(2,))


def _stored_report_rows(roster: RosterImport) -> list[tuple]:
    """The report of a roster whose file is gone: its stored issues (row, name, masked ID, column, why) first, then
    the people it enrolled (name, masked ID number) — the same columns as the full report."""
    from portal.domain.identity import mask_id_number
    from portal.models import Enrollment, Member

    rows = [(issue["row"], issue.get("name") or "", issue.get("masked_id") or "",
             "covered" if issue.get("kind") == "covered" else "error",
             "" if issue.get("kind") == "covered" else issue.get("column") or "", str(issue.get("message") or ""))
            for issue in roster.issues or []]
    enrolled = db.session.execute(
        select(Member.name, Member.id_number).join(Enrollment, Enrollment.member_id == Member.id)
        .where(Enrollment.roster_import_id == roster.id).order_by(Enrollment.id))
    rows.extend(("", name, mask_id_number(id_number), "imported", "", "") for name, id_number in enrolled)
    return rows


# --- The command line -----------------------------------------------------------------------

@unit_of_work
def import_roster_file(union: Union, data: bytes, filename: str, *, dry_run: bool = False,
                       today: date | None = None) -> Outcome:
    """``flask import-roster``: check and (unless ``dry_run``) import in one go, as the system.

    A file already imported for this union is only checked again (every row then shows as already
    covered): the same roster twice creates nothing new. One unit of work: all or nothing.
    """
    today = today or clock.today()
    source = open_roster(data, filename)  # unreadable files raise before anything is recorded
    plan = current_plan()
    if dry_run:
        return process_roster(source, union=union, plan=plan, today=today, write=False)
    roster, is_new = stage_roster(None, union, data, filename, plan=plan)
    if not is_new and roster.status == RosterImportStatus.DONE:
        outcome = process_roster(source, union=union, plan=plan, today=today, write=False)
        outcome.ok_rows = 0
        return outcome
    outcome = process_roster(source, union=union, plan=plan, today=today, write=True, roster_import_id=roster.id)
    _store_outcome(roster, outcome)
    roster.created_count, roster.members_created = outcome.created, outcome.members_created
    ROSTER_IMPORT.move(roster, RosterImportAction.IMPORT_AT_ONCE)
    roster.finished_at, roster.validated_at = utcnow(), utcnow()
    forget_file(roster, now=roster.finished_at)
    audit.record(None, "enrollment.roster_import", "roster_import", roster.id, created=outcome.created,
                 source="cli")
    return outcome
