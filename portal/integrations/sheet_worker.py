"""The child process that reads an untrusted spreadsheet (run by ``portal.integrations.safe_parse``).

Run as a script (``python -I sheet_worker.py '<limits as JSON>'``) with the file on stdin; it
imports only the standard library and python-calamine, so it starts in a few tens of
milliseconds. Before touching the file it limits itself with ``resource.setrlimit``: address
space (memory), CPU seconds, no core file, no file written. A file that still makes the reader
allocate too much kills this process, never the web server or the task consumer that asked.

It answers one JSON object on stdout: ``{"ok": true, "rows": [...], "merged": [...], "height": n}``
or ``{"ok": false, "code": "...", "params": {...}}`` for a refusal it could name. Cell values
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


def read_csv(data: bytes, limits: dict) -> dict:
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
    return {"rows": rows, "merged": [], "height": len(rows)}


def read_workbook(data: bytes, limits: dict) -> dict:
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
    rows = []
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        _check_fields(number, cells, limits)
        rows.append(cells)
    return {"rows": rows, "merged": merged, "height": sheet.height}


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


def main() -> int:
    limits = json.loads(sys.argv[1])
    apply_limits(limits)
    data = sys.stdin.buffer.read()
    try:
        result = read_csv(data, limits) if limits["kind"] == "csv" else read_workbook(data, limits)
        answer = {"ok": True, **result}
    except Refused as refusal:
        answer = {"ok": False, "code": refusal.code, "params": refusal.params}
    except MemoryError:
        answer = {"ok": False, "code": "too_complex", "params": {}}
    # Bytes, not text: the child's locale must not decide how Chinese travels.
    sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False, default=_tagged, separators=(",", ":"))
                            .encode("utf-8"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
