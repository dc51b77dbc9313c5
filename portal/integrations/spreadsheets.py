"""Reading and writing spreadsheets: python-calamine reads (in a child process with limits, see
``safe_parse``), XlsxWriter writes (constant-memory mode for large exports).

Readers yield rows of cell values as the file has them; callers (roster import, discharge lists)
decide what a value means. CSV files are decoded as UTF-8 (with or without BOM) or GB18030, the
encoding Excel on Chinese Windows saves.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import BinaryIO

import xlsxwriter

from portal.integrations.safe_parse import read_sheet

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_rows(data: bytes, filename: str) -> Iterator[list[object]]:
    """Rows of the first sheet of an untrusted ``.xlsx``/``.xls`` or ``.csv`` file, read in a child
    process under memory and time limits (``portal.integrations.safe_parse``); ``InvalidInput``
    if unreadable or over the limits."""
    yield from read_sheet(data, filename).rows


def cell_text(value: object) -> str:
    """A cell as text, the way a person reads it (``12.0`` → ``12``, dates as ``YYYY-MM-DD``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _write_sheet(workbook, headers: list[str], rows: Iterable[Iterable[object]], sheet: str,
                 text_columns: Iterable[int]) -> int:
    """One sheet with a bold, frozen header row; ``text_columns`` (indexes) are formatted as text so
    ID numbers and bank cards are not turned into numbers by Excel. Returns the number of rows."""
    worksheet = workbook.add_worksheet(sheet[:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#F0EFEB", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    for column in text_columns:
        worksheet.set_column(column, column, 22, text)
    for column, header in enumerate(headers):
        worksheet.write_string(0, column, header, bold)
    worksheet.freeze_panes(1, 0)
    count = 0
    for count, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                worksheet.write_number(count, column, value)
            else:
                worksheet.write_string(count, column, cell_text(value))
    return count


def write_xlsx(headers: list[str], rows: Iterable[Iterable[object]], *, sheet: str = "Sheet1",
               text_columns: Iterable[int] = ()) -> bytes:
    """An ``.xlsx`` file built in memory, for short lists (reports, samples, error lists)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    _write_sheet(workbook, headers, rows, sheet, text_columns)
    workbook.close()
    return buffer.getvalue()


def write_xlsx_file(headers: list[str], rows: Iterable[Iterable[object]], *, sheet: str = "Sheet1",
                    text_columns: Iterable[int] = ()) -> tuple[BinaryIO, int]:
    """Like ``write_xlsx`` but for lists of any length: XlsxWriter's constant-memory mode flushes
    each row to disk as it is written, into a temporary file that has no name (unlinked at once),
    so memory stays flat whatever the number of rows. Returns the file, rewound, and the row count."""
    handle, path = tempfile.mkstemp(prefix="portal-export-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False,
                                              "tmpdir": os.path.dirname(path)})
        count = _write_sheet(workbook, headers, rows, sheet, text_columns)
        workbook.close()
        stream = open(path, "rb")  # noqa: SIM115 - handed to the response, which closes it
    finally:
        os.unlink(path)  # the open file lives on until the response has sent it
    return stream, count


def _as_attachment(response, filename: str):
    """Download headers for an ``.xlsx`` response: the Chinese file name kept (RFC 6266), never cached."""
    from urllib.parse import quote

    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response.headers["Cache-Control"] = "no-store"
    return response


def xlsx_stream(filename: str, stream: BinaryIO):
    """A Flask response that streams an open ``.xlsx`` file in chunks and closes it when done."""
    from flask import Response, request
    from werkzeug.wsgi import wrap_file

    response = Response(wrap_file(request.environ, stream), mimetype=XLSX_MIME, direct_passthrough=True)
    response.content_length = os.fstat(stream.fileno()).st_size
    return _as_attachment(response, filename)


def xlsx_download(filename: str, content: bytes):
    """A Flask response that downloads ``content`` (built in memory) as ``filename``."""
    from flask import Response

    return _as_attachment(Response(content, mimetype=XLSX_MIME), filename)
