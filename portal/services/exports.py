"""Every staff list as Excel: one helper, so each export streams, masks and is audited the same way.

A list's export reuses the very statement the list's page runs (its ``*_stmt(actor, filters)``
query function, which checks the role and applies the union scope), so the file holds exactly
what the screen shows for the same filters, every page of it. Rows are read ``yield_per`` and
written in XlsxWriter's constant-memory mode to an unnamed temporary file, which the response
streams: a 100,000-row export needs no more memory than a 100-row one.

Personal data (names, ID numbers, mobiles, bank cards) is masked unless the sheet names the
actor's role among those who may see it in full; every export is audited with its filters (an ID
number or mobile in them masked by ``audit.record``), the number of rows and whether personal
data left in full.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, BinaryIO

from sqlalchemy import Select

from portal.domain.roles import Role
from portal.extensions import db
from portal.integrations.spreadsheets import write_xlsx_file
from portal.services import audit
from portal.services.access import role_of
from portal.services.unit_of_work import unit_of_work

MAX_ROWS = 1_048_575  # Excel's last row, less the header
FETCH_CHUNK = 1000


@dataclass(frozen=True)
class Column:
    """One column: its Chinese header, the value shown to everyone, and — for personal data — the
    value in full for the roles the sheet allows (``full``)."""

    header: str
    value: Callable[[Any], object]
    full: Callable[[Any], object] | None = None
    text: bool = False  # keep as text in Excel (ID numbers, mobiles, references)


@dataclass(frozen=True)
class Sheet:
    name: str  # the sheet's and the file's Chinese name
    action: str  # the audit action, e.g. "claims.export" (with a label in portal.domain.audit)
    entity: str
    columns: tuple[Column, ...]
    full_for: frozenset[Role] = frozenset()  # roles that see personal data in full
    rows_are_tuples: bool = False  # the statement selects several entities / columns

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]


@dataclass
class Export:
    filename: str
    stream: BinaryIO
    rows: int
    full: bool


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def filters_record(filters: object) -> dict:
    """The filters as the audit log keeps them: only the ones set, as plain JSON values."""
    if filters is None:
        return {}
    items = dataclasses.asdict(filters).items() if dataclasses.is_dataclass(filters) else dict(filters).items()
    return {key: _plain(value) for key, value in items if value not in (None, "", [], ())}


def may_see_in_full(actor, sheet: Sheet) -> bool:
    return role_of(actor) in sheet.full_for


def rows_of(sheet: Sheet, source: Select | Iterable, *, full: bool) -> Iterable[list[object]]:
    """The sheet's rows for ``source``: a statement, fetched in chunks, or (for the short lists of
    one class or one day that a page builds in Python) the page's own rows."""
    pickers = [column.full if full and column.full is not None else column.value for column in sheet.columns]
    if isinstance(source, Select):
        stmt = source.limit(MAX_ROWS).execution_options(yield_per=FETCH_CHUNK)
        source = db.session.execute(stmt) if sheet.rows_are_tuples else db.session.scalars(stmt)
    for item in source:
        yield [pick(item) for pick in pickers]


@unit_of_work
def export(actor, sheet: Sheet, stmt: Select | Iterable, *, filters: object = None, day: date | None = None,
           name: str | None = None, record_id: object = None) -> Export:
    """``stmt`` (the list's own, already scoped to ``actor``) as an ``.xlsx`` file, audited."""
    from portal import clock

    full = may_see_in_full(actor, sheet)
    text_columns = [index for index, column in enumerate(sheet.columns) if column.text]
    stream, count = write_xlsx_file(sheet.headers, rows_of(sheet, stmt, full=full), sheet=sheet.name,
                                    text_columns=text_columns)
    audit.record(actor, sheet.action, sheet.entity, record_id, rows=count, full_personal_data=full,
                 filters=filters_record(filters))
    return Export(filename=f"{name or sheet.name}-{(day or clock.today()):%Y%m%d}.xlsx", stream=stream, rows=count,
                  full=full)


def yes_no(value: bool | None) -> str:
    return "是" if value else "否"
