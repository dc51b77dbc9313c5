"""Roster rows: reading a spreadsheet, checking its rows, and inserting the good ones in bulk.

A roster is read with python-calamine (in a child process under limits) and processed in
chunks: one query per chunk finds the members the portal already knows and who already covers
them, and new members and enrolments are inserted with one multi-row INSERT per chunk (COPY on
PostgreSQL). Nothing here commits: the caller's unit of work writes everything or nothing.
``portal.services.enrollment.rosters`` runs it for the web path and the command line.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter

import xlsxwriter
from sqlalchemy import any_, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import joinedload

from portal.domain import enrollment as rules
from portal.domain.eligibility import EligibilityRules, eligibility_refusals, person_facts
from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_
from portal.domain.identity import mask_id_number
from portal.domain.plans import cover_period
from portal.extensions import db
from portal.integrations.safe_parse import open_sheet
from portal.models import Enrollment, EnrollmentChannel, EnrollmentStatus, Member, Payer, Plan, Union
from portal.models.base import utcnow
from portal.pii import PersonalDataVault, vault
from portal.services.enrollment.enrolments import blocking_stmt, covered_message

CHUNK_ROWS = 2000
STORED_ISSUES = rules.STORED_ISSUES  # the page lists this many; the counts and the downloaded report are complete
NEW_MEMBER_NEEDS_MOBILE = N_("此人尚未登记为会员，请填写本人手机号码（用于接收参保短信和登录平台）。")


# --- Reading --------------------------------------------------------------------------------

@dataclass
class RosterSource:
    rows: Iterator[tuple[int, list[object]]]  # (row number as the spreadsheet shows it, cells)
    merged: list = field(default_factory=list)
    total_rows: int = 0  # for the progress bar
    close: Callable[[], None] = lambda: None  # stops the reader when the rows are no longer wanted


def open_roster(data: bytes, filename: str) -> RosterSource:
    """The rows of the first sheet, read under limits in a child process (``safe_parse``) while
    they are checked; ``InvalidInput`` (code ``file_unreadable``/``file_type``/``file_too_…``) if
    the file is unusable, here or, for a problem found further in, from its rows."""
    if not data:
        raise InvalidInput(N_("上传的文件是空的，请重新选择名单文件。"), code="file_unreadable")
    sheet = open_sheet(data, filename)
    # Rows start at the sheet's row 1, so counting from 1 gives Excel's row numbers.
    return RosterSource(rows=enumerate(sheet.rows, start=1), merged=sheet.merged, total_rows=sheet.height,
                        close=sheet.close)


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

    @property
    def error_rows(self) -> int:
        """Rows with at least one error (a row may have several, each reported)."""
        return len({issue.row for issue in self.errors})

    def as_json(self) -> dict:
        """The CLI's ``--json`` answer: every error of every row, with the row's name and masked ID."""
        return {
            "created": self.created, "already_covered": len(self.covered), "error_rows": self.error_rows,
            "errors": [{"row": i.row, "name": i.name, "id_number": i.masked_id, "column": i.column,
                        "message": i.message} for i in self.errors],
        }

    def note(self, row: rules.RosterRow, result: str, issue: rules.RowIssue | str, collect_rows: bool) -> None:
        """Keep a row's result for the downloadable report (only when asked: a big roster has many)."""
        if collect_rows:
            column, message = (issue.column, issue.message) if isinstance(issue, rules.RowIssue) else ("", issue)
            self.rows.append((row.row, row.name, mask_id_number(row.id_number.value), result,
                              "" if result == "covered" else column, message))

    def add_error(self, issue: rules.RowIssue, collect_rows: bool) -> None:
        self.errors.append(issue)
        if collect_rows:
            self.rows.append((issue.row, issue.name, issue.masked_id, "error", issue.column, issue.message))

    def stored_issues(self) -> list[dict]:
        issues = sorted(self.errors + self.covered, key=lambda issue: issue.row)
        return [issue.as_dict() for issue in issues[:STORED_ISSUES]]


@dataclass
class _Target:
    vault: PersonalDataVault
    union: Union
    plan: Plan
    plan_year: int
    starts_on: date
    ends_on: date
    actor_id: int | None
    roster_import_id: int | None
    eligibility: EligibilityRules | None = None

    def refusals(self, row: rules.RosterRow) -> list[rules.RowIssue]:
        """The plan's eligibility rules applied to the row as the union filled it in (its 是否参加社保,
        the birth date in its ID number): every refusal, each said under the column that decides it."""
        if self.eligibility is None:
            self.eligibility = self.plan.schedule().eligibility  # once per roster, not per row
        return [row_issue(row, rules.COLUMN_LABELS["has_social_insurance" if refusal.code == "no_social_insurance"
                                                    else "id_number"], refusal.message)
                for refusal in eligibility_refusals(self.eligibility, person_facts(row), on=self.starts_on)]


def row_issue(row: rules.RosterRow, column: str, message: str, kind: str = "error") -> rules.RowIssue:
    """A problem of a checked row, with its name and masked ID number for the report."""
    return rules.RowIssue(row.row, column, message, kind=kind, name=row.name,
                          masked_id=mask_id_number(row.id_number.value))


def process_roster(source: RosterSource, *, union: Union, plan: Plan, today: date, write: bool,
                   actor=None, roster_import_id: int | None = None, collect_rows: bool = False,
                   progress=None) -> Outcome:
    """Check every row and, when ``write``, add the valid ones; the caller commits or rolls back."""
    starts_on, ends_on = cover_period(today)
    target = _Target(vault(), union, plan, rules.plan_year_for(today), starts_on, ends_on, getattr(actor, "id", None),
                     roster_import_id)
    validator = rules.RosterValidator(today=today, merged=source.merged)
    outcome = Outcome(rows=[] if collect_rows else None)
    chunk: list[rules.RosterRow] = []
    last_row = 0
    try:
        for item in validator.check(source.rows):
            last_row = item.row
            if isinstance(item, rules.RowIssue):
                outcome.add_error(item, collect_rows)
                continue
            chunk.append(item)
            if len(chunk) >= CHUNK_ROWS:
                _process_chunk(chunk, target, outcome, write=write, collect_rows=collect_rows)
                chunk = []
                if progress:
                    progress(last_row, source.total_rows)
    finally:
        source.close()  # a header never found, or a chunk that failed: the reader need go no further
    if chunk:
        _process_chunk(chunk, target, outcome, write=write, collect_rows=collect_rows)
    outcome.total_rows = validator.data_rows
    if progress:
        progress(source.total_rows, source.total_rows)
    return outcome


def _process_chunk(chunk: list[rules.RosterRow], target: _Target, outcome: Outcome, *, write: bool,
                   collect_rows: bool) -> None:
    """Sort one chunk's rows into covered elsewhere, missing a mobile, or good; write the good ones."""
    lookup_hash = target.vault.lookup_hash  # the key taken once, not through the app per value
    hashes = {lookup_hash(row.id_number.value): row for row in chunk}
    known, covering, previous_end = _known_people(list(hashes), target.starts_on)
    new_members: list[tuple[str, rules.RosterRow]] = []
    enrol: list[str] = []
    for digest, row in hashes.items():
        member_id = known.get(digest)
        if member_id is not None and member_id in covering:
            issue = row_issue(row, "", covering[member_id], kind="covered")
            outcome.covered.append(issue)
            outcome.note(row, "covered", issue, collect_rows)
            continue
        problems = target.refusals(row)
        if member_id is None and row.mobile is None:
            problems.append(row_issue(row, rules.COLUMN_LABELS["mobile"], NEW_MEMBER_NEEDS_MOBILE))
        if problems:
            for issue in problems:
                outcome.add_error(issue, collect_rows)
        else:
            outcome.ok_rows += 1
            outcome.note(row, "ok", "新会员，将同时登记会员信息" if member_id is None else "", collect_rows)
            if member_id is None:
                new_members.append((digest, row))
            enrol.append(digest)
    if not write:
        return
    now = utcnow()
    if new_members:
        ids = _insert_members(new_members, target, now)
        known.update(zip((digest for digest, _row in new_members), ids, strict=True))
        outcome.members_created += len(new_members)
    if enrol:
        insert_rows(Enrollment.__table__, ("member_id", "is_renewal"), [
            (known[digest], rules.is_continuation(previous_end.get(known[digest]), target.starts_on))
            for digest in enrol
        ], same=_enrollment_constants(target, now))
        outcome.created += len(enrol)


def _known_people(hashes: list[str], starts_on: date) -> tuple[dict[str, int], dict[int, str], dict[int, date]]:
    """For one chunk, in three queries: the members the portal knows (by ID hash), why those already
    covered on ``starts_on`` are (member id → message), and when each one's last cover ended."""
    known = dict(db.session.execute(
        select(Member.id_number_hash, Member.id).where(_among(Member.id_number_hash, hashes))
    ).all())
    covering: dict[int, str] = {}
    previous_end: dict[int, date] = {}
    if known:
        ids = list(known.values())
        for enrollment in db.session.scalars(
            blocking_stmt(starts_on).where(_among(Enrollment.member_id, ids))
            .options(joinedload(Enrollment.union), joinedload(Enrollment.campaign))
        ):
            covering.setdefault(enrollment.member_id, covered_message(enrollment))
        previous_end = dict(db.session.execute(
            select(Enrollment.member_id, func.max(Enrollment.ends_on)).where(
                _among(Enrollment.member_id, ids),
                Enrollment.status.in_((EnrollmentStatus.ACTIVE, EnrollmentStatus.EXPIRED)),
            ).group_by(Enrollment.member_id)
        ).all())
    return known, covering, previous_end


def _among(column, values: list):
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``: one parameter, not a chunk's
    2,000 placeholders that SQLAlchemy and psycopg would render and convert again for every chunk."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


MEMBER_COLUMNS = ("name", "id_number", "id_number_hash", "gender", "birth_date", "mobile", "mobile_hash",
                  "occupation", "is_gig_worker", "has_social_insurance", "region_note")


def _insert_members(new_members: list[tuple[str, rules.RosterRow]], target: _Target, now) -> list[int]:
    """Insert one chunk's new members; their ids, in order. The ID numbers and mobiles are
    encrypted here, a chunk at a time (``encrypt_many``: the tokens ``EncryptedText`` stores)."""
    vault = target.vault
    rows = [row for _digest, row in new_members]
    id_numbers = vault.encrypt_many([row.id_number.value for row in rows])
    mobiles = iter(vault.encrypt_many([row.mobile for row in rows if row.mobile is not None]))
    records = [
        (row.name, id_number, digest, row.id_number.gender, row.id_number.birth_date,
         None if row.mobile is None else next(mobiles),
         None if row.mobile is None else vault.lookup_hash(row.mobile),
         row.occupation, row.is_gig_worker, row.has_social_insurance, row.id_number.region_note)
        for (digest, row), id_number in zip(new_members, id_numbers, strict=True)
    ]
    same = {"union_id": target.union.id, "sms_consent": True, "is_verified": True, "created_at": now,
            "updated_at": now}
    return insert_rows(Member.__table__, MEMBER_COLUMNS, records, same=same, stored=("id_number", "mobile"),
                       return_ids=True)


def _enrollment_constants(target: _Target, now) -> dict:
    """What every enrolment of the roster has in common (all but the member and whether it renews)."""
    return {
        "plan_id": target.plan.id, "union_id": target.union.id, "plan_year": target.plan_year,
        "status": EnrollmentStatus.ACTIVE, "channel": EnrollmentChannel.ROSTER, "payer": Payer.UNION,
        "contribution_fen": target.plan.contribution_fen, "starts_on": target.starts_on,
        "ends_on": target.ends_on, "confirmed_at": now, "confirmed_by_id": target.actor_id,
        "roster_import_id": target.roster_import_id, "created_at": now, "updated_at": now,
    }


def insert_rows(table, columns: Sequence[str], records: list[tuple], *, same: dict | None = None,
                stored: Sequence[str] = (), return_ids: bool = False) -> list[int] | None:
    """Insert many rows in the session's transaction, the fastest way the database offers.

    ``records`` hold the values of ``columns`` in order; ``same`` the values every row shares.
    Values pass through their column type's bind processing as SQLAlchemy would do it (dates,
    booleans, UTC times, and encryption for ``EncryptedText``), once per row for ``records`` and
    once in all for ``same``; the ``stored`` columns come already in stored form (tokens of
    ``PersonalDataVault.encrypt_many``) and are passed as they are. Columns left out take their
    scalar default (as Core's ``insert`` would), or their server default, or NULL.

    PostgreSQL gets COPY (ids drawn from the table's sequence first, so members can be linked);
    SQLite one executemany of the driver, without SQLAlchemy's per-row parameter handling.
    """
    if not records:
        return [] if return_ids else None
    connection = db.session.connection()
    dialect = connection.dialect
    same = {**_scalar_defaults(table, {*columns, *(same or {})}), **(same or {})}
    names = [*columns, *same]
    processors = [(index, process) for index, name in enumerate(columns) if name not in stored
                  and (process := _bind_processor(table, name, dialect)) is not None]
    shared = tuple(_bound(table, name, value, dialect) for name, value in same.items())
    if processors:
        records = [_processed(record, processors) for record in records]
    if dialect.name == "postgresql":
        return _copy_rows(connection, table, names, records, shared, return_ids=return_ids)
    if dialect.name != "sqlite":
        raise NotImplementedError(f"insert_rows on {dialect.name}")
    statement = insert(table).compile(dialect=dialect, column_keys=names)  # its "?" in the table's order
    in_order = itemgetter(*(names.index(key) for key in statement.positiontup))
    connection.exec_driver_sql(str(statement), [in_order(record + shared) for record in records])
    if not return_ids:
        return None
    # SQLite gives an integer primary key max(id) + 1, and this transaction holds the only
    # write lock from its first insert to commit, so the batch's ids are the last n in order.
    last = connection.execute(select(func.max(table.c.id))).scalar_one()
    return list(range(last - len(records) + 1, last + 1))


def _scalar_defaults(table, given: set[str]) -> dict:
    """The Python-side scalar defaults of the columns not given (what Core's ``insert`` would add);
    a column with a callable default must be given (it would differ per row)."""
    defaults = {}
    for column in table.columns:
        if column.name in given or column.default is None or column.primary_key:
            continue
        if not column.default.is_scalar:
            raise ValueError(f"insert_rows: give {table.name}.{column.name} (its default is computed)")
        defaults[column.name] = column.default.arg
    return defaults


def _bind_processor(table, name: str, dialect):
    """What SQLAlchemy does to a value of this column before the driver sees it (``None``: nothing)."""
    column_type = table.c[name].type
    return column_type.dialect_impl(dialect).bind_processor(dialect)


def _bound(table, name: str, value, dialect):
    process = _bind_processor(table, name, dialect)
    return _plain(value if process is None else process(value))


def _processed(record: tuple, processors: list) -> tuple:
    values = list(record)
    for index, process in processors:
        values[index] = process(values[index])
    return tuple(values)


def _copy_rows(connection, table, names: list[str], records: list[tuple], shared: tuple, *,
               return_ids: bool) -> list[int] | None:
    ids = None
    if return_ids:
        ids = list(connection.execute(
            select(func.nextval(func.pg_get_serial_sequence(table.name, "id")))
            .select_from(func.generate_series(1, len(records)))
        ).scalars())
        names = ["id", *names]
    columns = ", ".join(f'"{name}"' for name in names)
    with connection.connection.driver_connection.cursor() as cursor:
        # Binary COPY (a fifth of the text format's cost here): each value is sent as the column's
        # own type, named by the catalogue, so a value of the wrong type fails instead of converting.
        types = dict(cursor.execute(
            "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped", (table.name,)).fetchall())
        with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN (FORMAT BINARY)') as copy:
            copy.set_types([types[name] for name in names])
            if ids:
                for member_id, record in zip(ids, records, strict=True):
                    copy.write_row((member_id, *record, *shared))
            else:
                for record in records:
                    copy.write_row(record + shared)
    return ids


def _plain(value):
    """COPY adapts by exact type: enum members (``StrEnum``) go as their text."""
    return str(value) if isinstance(value, str) and type(value) is not str else value


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
