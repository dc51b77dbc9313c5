"""Untrusted spreadsheets, read where they cannot hurt anyone: every uploaded .xlsx/.xls/.csv goes
through ``read_sheet``.

Two walls. First a cheap look that decompresses almost nothing: the zip's declared member sizes
and compression ratios (a zip bomb), and the ``<dimension ref="A1:XFD1048576">`` the first sheet
declares (a reader allocates the whole declared range: one cell at XFD1048576 is 512 GB). Then
the file is read in a child process (``sheet_worker.py``) that limits its own memory
(RLIMIT_AS), CPU time (RLIMIT_CPU) and writes nothing, under a wall-clock timeout; the rows come
back as JSON lines, a thousand rows a line. Whatever the file does to the reader there, the web
server or task consumer that asked gets an ``InvalidInput`` with a message saying what to do, never
a crash.

``open_sheet`` hands the rows on as they arrive, so a 100,000-row roster is checked while the
child is still reading it and is never held whole in this process; ``read_sheet`` collects them
for the small files (union lists, discharge lists) that are used whole.

Limits are ``SheetLimits``; an app may change any of them with ``UNTRUSTED_SHEET_LIMITS`` (a dict).
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import queue
import re
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_

log = logging.getLogger(__name__)
WORKER = Path(__file__).with_name("sheet_worker.py")
MB = 1024 * 1024
CHILD_ENVIRONMENT = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}

FILE_TYPE = N_("只支持Excel（.xlsx）或CSV文件，请使用下载的模板。")
UNREADABLE = N_("文件已损坏或不是有效的Excel文件，请用Excel另存为.xlsx后重试。")
CSV_ENCODING = N_("无法识别CSV文件的编码，请另存为UTF-8编码的CSV或Excel（.xlsx）文件。")
TOO_MANY_ROWS = N_("文件的数据区域有%(rows)s行，超过了%(max)s行的上限。请删除多余的空白行后重新上传，或把名单分成几个文件上传。")  # noqa: E501
TOO_MANY_COLUMNS = N_("文件的数据区域有%(columns)s列，超过了%(max)s列的上限。请只保留模板中的列后重新上传。")
TOO_MANY_CELLS = N_("文件的数据区域过大（%(cells)s个单元格），请删除多余的空白行和列后重新上传，或分成几个文件上传。")
FIELD_TOO_LONG = N_("第%(row)s行有单元格超过%(max)s个字符，文件可能有误。请检查该行后重新上传。")
ZIP_BOMB = N_("文件解压后过大或压缩比异常，为安全起见未读取。请用Excel打开后另存为.xlsx，再重新上传。")
TOO_COMPLEX = N_("文件过大或过于复杂，无法安全读取，已拒绝。请删除多余的工作表和空白行列，另存为.xlsx后重新上传。")
TIMEOUT = N_("读取文件用时过长，已停止。请删除多余的工作表和空白行列，另存为.xlsx后重新上传。")


@dataclass(frozen=True)
class SheetLimits:
    """What a spreadsheet may ask of the server. A 56,000-row roster needs a fraction of each."""

    max_rows: int = 200_000
    max_columns: int = 256
    max_cells: int = 4_000_000  # rows × columns of the area the reader would build
    max_field_chars: int = 4_096  # no roster or list field comes near; the csv default is 131,072
    max_unzipped_mb: int = 1_024  # declared size of every member of an .xlsx, together
    max_ratio: int = 200  # uncompressed / compressed, for members over 1 MB (real sheets: < 30)
    memory_mb: int = 512  # the child's address space (a 56,615-row roster reads within 128)
    cpu_seconds: int = 60
    wall_seconds: int = 120
    precheck: bool = True  # the cheap look; only a test proving the child's own limits turns it off


@dataclass
class Sheet:
    """The first sheet: rows from row 1 and column A (as Excel numbers them), merged blocks
    (0-based, inclusive) and the height of the used area (for a progress bar)."""

    rows: list[list[object]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]]
    height: int


@dataclass
class SheetStream:
    """The first sheet while the child reads it: its merged blocks and height at once, its rows (from
    row 1 and column A) as they come. Iterating ``rows`` raises ``InvalidInput`` where the child
    refused or died; ``close`` stops a child whose rows are no longer wanted."""

    rows: Iterator[list[object]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]]
    height: int
    close: Callable[[], None]


def limits_from_config() -> SheetLimits:
    from flask import current_app, has_app_context

    overrides = current_app.config.get("UNTRUSTED_SHEET_LIMITS") if has_app_context() else None
    return dataclasses.replace(SheetLimits(), **overrides) if overrides else SheetLimits()


def read_sheet(data: bytes, filename: str, *, limits: SheetLimits | None = None) -> Sheet:
    """The first sheet of an untrusted ``.xlsx``/``.xlsm``/``.xls`` or ``.csv``, all of it; ``InvalidInput``
    with a message for the person who sent it when the file is unusable or over the limits."""
    stream = open_sheet(data, filename, limits=limits)
    return Sheet(rows=list(stream.rows), merged=stream.merged, height=stream.height)


def open_sheet(data: bytes, filename: str, *, limits: SheetLimits | None = None) -> SheetStream:
    """``read_sheet`` row by row: the refusals the file's shape decides (type, size, area, damage)
    are raised here, before any row; one found further in is raised from ``rows`` where it is met."""
    limits = limits or limits_from_config()
    name = (filename or "").lower()
    if name.endswith(".csv"):
        kind = "csv"
    elif name.endswith((".xlsx", ".xlsm")):
        kind = "xlsx"
    elif name.endswith(".xls"):
        kind = "xls"
    else:
        raise InvalidInput(FILE_TYPE, code="file_type")
    if not data:
        raise InvalidInput(UNREADABLE, code="file_unreadable")
    if kind == "xlsx" and limits.precheck:
        inspect_xlsx(data, limits)
    child = _ChildReader(data, kind, limits)
    shape = child.answer()
    try:
        merged = [((int(a), int(b)), (int(c), int(d))) for (a, b), (c, d) in shape["merged"]]
        height = int(shape["height"])
    except (KeyError, TypeError, ValueError):
        child.stop()
        raise InvalidInput(TOO_COMPLEX, code="file_too_complex") from None
    return SheetStream(rows=child.rows(), merged=merged, height=height, close=child.stop)


# --- The cheap look ----------------------------------------------------------------------------

_DIMENSION = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?\bref="([^"]{1,40})"')
_CELL = re.compile(r"^\$?([A-Za-z]{1,4})\$?(\d{1,9})$")
_SHEET_RID = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?sheet\b[^>]*?\br:id="([^"]{1,64})"')
_RELATIONSHIP = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb'\b(Id|Target)="([^"]{1,255})"')
HEAD_BYTES = 64 * 1024


def inspect_xlsx(data: bytes, limits: SheetLimits) -> None:
    """Refuse a workbook whose zip or declared first-sheet area is over the limits, reading only
    the zip's directory and the first 64 KB of a few members."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except Exception as error:  # noqa: BLE001 - zipfile raises several types for damaged files
        raise InvalidInput(UNREADABLE, code="file_unreadable") from error
    if len(members) > 10_000 or sum(m.file_size for m in members) > limits.max_unzipped_mb * MB:
        raise InvalidInput(ZIP_BOMB, code="file_too_complex")
    for member in members:
        if member.file_size > MB and member.file_size > limits.max_ratio * max(member.compress_size, 1):
            raise InvalidInput(ZIP_BOMB, code="file_too_complex")
    names = {m.filename for m in members}
    sheets = [name for name in (_first_sheet(archive, names),) if name] or sorted(
        name for name in names if name.startswith("xl/worksheets/") and name.endswith(".xml"))
    for sheet in sheets:
        match = _DIMENSION.search(_head(archive, sheet))
        if match:
            rows, columns = _extent(match.group(1).decode("ascii", "replace"))
            check_shape(rows, columns, limits)


def check_shape(rows: int, columns: int, limits: SheetLimits) -> None:
    if rows > limits.max_rows:
        raise InvalidInput(TOO_MANY_ROWS, code="file_too_long", rows=rows, max=limits.max_rows)
    if columns > limits.max_columns:
        raise InvalidInput(TOO_MANY_COLUMNS, code="file_too_wide", columns=columns, max=limits.max_columns)
    if rows * columns > limits.max_cells:
        raise InvalidInput(TOO_MANY_CELLS, code="file_too_complex", cells=rows * columns)


def _head(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        with archive.open(name) as member:
            return member.read(HEAD_BYTES)
    except Exception as error:  # noqa: BLE001 - a damaged or encrypted member
        raise InvalidInput(UNREADABLE, code="file_unreadable") from error


def _first_sheet(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """The part of the workbook's first sheet (the one a reader opens), or None if not found."""
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return None
    match = _SHEET_RID.search(_head(archive, "xl/workbook.xml"))
    if not match:
        return None
    for tag in _RELATIONSHIP.findall(_head(archive, "xl/_rels/workbook.xml.rels")):
        attributes = dict(_ATTRIBUTE.findall(tag))
        if attributes.get(b"Id") == match.group(1) and b"Target" in attributes:
            target = attributes[b"Target"].decode("utf-8", "replace")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            return path if path in names else None
    return None


def _extent(ref: str) -> tuple[int, int]:
    """Rows and columns from row 1 and column A to the end of a ``dimension`` reference."""
    match = _CELL.match(ref.split(":")[-1])
    if not match:
        return 0, 0
    letters, row = match.groups()
    column = 0
    for letter in letters.upper():
        column = column * 26 + ord(letter) - 64
    return int(row), column


# --- The child ---------------------------------------------------------------------------------

_REFUSALS = {
    "too_many_rows": (TOO_MANY_ROWS, "file_too_long"),
    "too_many_columns": (TOO_MANY_COLUMNS, "file_too_wide"),
    "too_many_cells": (TOO_MANY_CELLS, "file_too_complex"),
    "field_too_long": (FIELD_TOO_LONG, "file_field_too_long"),
    "csv_encoding": (CSV_ENCODING, "file_unreadable"),
    "unreadable": (UNREADABLE, "file_unreadable"),
    "too_complex": (TOO_COMPLEX, "file_too_complex"),
}


class _ChildReader:
    """One run of ``sheet_worker.py``, its answer lines taken off the pipe by a thread as they come.

    The thread drains the pipe whatever this process is doing, so the child never waits for the
    checks of the rows it already sent and ``wall_seconds`` measures the child alone; a timer kills
    it at that limit. The lines wait in a queue as bytes, far smaller than the rows they decode to.
    """

    def __init__(self, data: bytes, kind: str, limits: SheetLimits):
        self.limits = limits
        self.timed_out = False
        self.started = time.monotonic()
        self.lines: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        settings = {**dataclasses.asdict(limits), "kind": kind}
        # Our own interpreter and script; the untrusted file only travels on stdin, and the child
        # gets none of this process's environment (no database address, no keys) nor its files.
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-I", str(WORKER), json.dumps(settings)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=CHILD_ENVIRONMENT, close_fds=True)
        self.timer = threading.Timer(limits.wall_seconds, self._time_out)
        self.timer.daemon = True
        self.timer.start()
        self.pump = threading.Thread(target=self._pump, args=(data,), name="sheet-reader", daemon=True)
        self.pump.start()

    def _time_out(self) -> None:
        self.timed_out = True
        self._kill()

    def _kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()

    def _pump(self, data: bytes) -> None:
        try:
            try:
                self.process.stdin.write(data)
                self.process.stdin.close()
            except OSError:
                pass  # the child died before reading it all: its missing answer says so
            for line in self.process.stdout:
                self.lines.put(line)
        finally:
            self.process.wait()
            self.timer.cancel()
            self.process.stdout.close()
            self.lines.put(None)

    def answer(self) -> dict:
        """The next line the child answered; ``InvalidInput`` for a refusal, a death or the timeout."""
        line = self.lines.get()
        try:
            answer = None if line is None else json.loads(line, object_hook=_untag)
        except (ValueError, TypeError):  # not JSON, or a tagged value of the wrong type
            answer = None
        if not isinstance(answer, dict):
            self.stop()
            if self.timed_out:
                log.warning("spreadsheet reader stopped after %.0f s", time.monotonic() - self.started)
                raise InvalidInput(TIMEOUT, code="file_too_complex")
            # Killed by its limits (SIGKILL/SIGXCPU, or an abort when an allocation was refused).
            log.warning("spreadsheet reader refused or died (exit %s)", self.process.returncode)
            raise InvalidInput(TOO_COMPLEX, code="file_too_complex")
        if answer.get("ok") is False:
            self.stop()
            raise _refusal(answer, self.limits)
        return answer

    def rows(self) -> Iterator[list[object]]:
        try:
            while not (answer := self.answer()).get("end"):
                rows = answer.get("rows")
                if not isinstance(rows, list):  # not what the script writes: the file took the reader over?
                    raise InvalidInput(TOO_COMPLEX, code="file_too_complex")
                yield from rows
        finally:
            self.stop()

    def stop(self) -> None:
        """End the child (if still reading) and its thread; nothing more will be asked of it."""
        self._kill()
        self.pump.join()


def _refusal(answer: dict, limits: SheetLimits) -> InvalidInput:
    msgid, code = _REFUSALS.get(answer.get("code"), _REFUSALS["unreadable"])
    given = answer.get("params")
    params = {key: value for key, value in (given if isinstance(given, dict) else {}).items()
              if key in ("rows", "columns", "cells", "row")}
    params.setdefault("max", {"too_many_rows": limits.max_rows, "too_many_columns": limits.max_columns,
                              "field_too_long": limits.max_field_chars}.get(answer.get("code"), ""))
    try:
        return InvalidInput(msgid, code=code, **params)
    except (KeyError, TypeError, ValueError):  # a refusal without the figures its message names
        return InvalidInput(TOO_COMPLEX, code="file_too_complex")


def _untag(value: dict):
    """A date, time or duration the child sent as a one-key object (no cell is ever an object)."""
    if "dt" in value:
        return datetime.fromisoformat(value["dt"])
    if "d" in value:
        return date.fromisoformat(value["d"])
    if "t" in value:
        return clock_time.fromisoformat(value["t"])
    if "td" in value:
        return timedelta(seconds=value["td"])
    return value
