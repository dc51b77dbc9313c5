"""The child process that reads an untrusted spreadsheet (run by ``portal.integrations.safe_parse``).

Run as a script (``python -I sheet_worker.py '<limits as JSON>'``) with the file on stdin; it
imports only the standard library and python-calamine, so it starts in a few tens of
milliseconds. Before touching the file it limits itself with ``resource.setrlimit``: address
space (memory), CPU seconds, no core file, no file written. A file that still makes the reader
allocate too much kills this process, never the web server or the task consumer that asked.

It answers JSON lines on stdout, so the parent checks the first rows while later ones are still
being read: first ``{"ok": true, "merged": [...], "height": n}`` once the sheet's shape is known
to be within the limits, then ``{"rows": [...]}`` for every ``ROWS_PER_LINE`` rows, then
``{"end": true}``. A refusal it could name, before the first line or later (a field too long in
row 90,000), is the line ``{"ok": false, "code": "...", "params": {...}}`` and the last. Cell values
JSON has no type for (dates, times, durations) travel tagged as one-key objects; no cell is ever
an object, so the parent can tell them apart. Nothing is pickled: the parent trusts no byte of it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import resource
import sys

MB = 1024 * 1024
ROWS_PER_LINE = 1000  # ~100 KB of JSON for a roster: small enough to start early, large enough to be cheap


def apply_limits(limits: dict) -> None:
    memory = int(limits["memory_mb"]) * MB
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


class Refused(Exception):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def _check_shape(height: int, width: int, limits: dict) -> None:
    if height > limits["max_rows"]:
        raise Refused("too_many_rows", rows=height)
    if width > limits["max_columns"]:
        raise Refused("too_many_columns", columns=width)
    if height * width > limits["max_cells"]:
        raise Refused("too_many_cells", cells=height * width)


def _check_fields(row_number: int, cells: list, limits: dict) -> None:
    cap = limits["max_field_chars"]
    for value in cells:
        if isinstance(value, str) and len(value) > cap:
            raise Refused("field_too_long", row=row_number)


def read_csv(data: bytes, limits: dict) -> None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Refused("csv_encoding")
    # The csv module refuses a field over this many characters (its default is 131,072).
    csv.field_size_limit(limits["max_field_chars"])
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list] = []
    width = 0
    try:
        for cells in reader:
            if len(rows) >= limits["max_rows"]:
                raise Refused("too_many_rows", rows=f"{limits['max_rows']}+")
            if len(cells) > limits["max_columns"]:
                raise Refused("too_many_columns", columns=len(cells))
            width = max(width, len(cells))
            rows.append(cells)
    except csv.Error as error:
        if "field limit" in str(error):
            raise Refused("field_too_long", row=reader.line_num) from error
        raise Refused("unreadable") from error
    _check_shape(len(rows), width, limits)
    emit({"ok": True, "merged": [], "height": len(rows)})
    for start in range(0, len(rows), ROWS_PER_LINE):
        emit({"rows": rows[start:start + ROWS_PER_LINE]})


def read_workbook(data: bytes, limits: dict) -> None:
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        merged = [list(map(list, block)) for block in (sheet.merged_cell_ranges or [])]
        # The padded size (iter_rows starts at row 1 and column A), before a row is built.
        end = sheet.end or (-1, -1)
        height, width = end[0] + 1, end[1] + 1
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 - calamine raises several types for damaged files
        raise Refused("unreadable") from error
    _check_shape(height, width, limits)
    emit({"ok": True, "merged": merged, "height": sheet.height})
    rows = []
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        _check_fields(number, cells, limits)
        rows.append(cells)
        if len(rows) == ROWS_PER_LINE:
            emit({"rows": rows})
            rows = []
    if rows:
        emit({"rows": rows})


def _tagged(value):
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, dt.time):
        return {"t": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"td": value.total_seconds()}
    raise TypeError(f"unexpected cell type {type(value).__name__}")


def emit(answer: dict) -> None:
    """One line of the answer. Bytes, not text: the child's locale must not decide how Chinese
    travels; JSON escapes every newline inside a value, so a line is always one answer."""
    sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False, default=_tagged, separators=(",", ":"))
                            .encode("utf-8") + b"\n")
    sys.stdout.flush()


def main() -> int:
    limits = json.loads(sys.argv[1])
    apply_limits(limits)
    data = sys.stdin.buffer.read()
    try:
        if limits["kind"] == "csv":
            read_csv(data, limits)
        else:
            read_workbook(data, limits)
        emit({"end": True})
    except Refused as refusal:
        emit({"ok": False, "code": refusal.code, "params": refusal.params})
    except MemoryError:
        emit({"ok": False, "code": "too_complex", "params": {}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
