"""Hostile and broken files, built byte by byte, for the tests of ``portal.integrations.safe_parse``
and the upload checks: a spreadsheet's parts are written by hand so that a test can declare any
area or put a cell anywhere, which no spreadsheet library would let it do."""

from __future__ import annotations

import io
import zipfile

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
        f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
}


def _cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def workbook(rows: dict[int, dict[str, str]], *, dimension: str | None = None, padding: int = 0) -> bytes:
    """An .xlsx whose first sheet has ``rows`` ({row number: {column letters: text}}), declares
    ``dimension`` (or none) and carries ``padding`` bytes of blanks (compressed to almost nothing)."""
    body = "".join(
        f'<row r="{number}">' + "".join(_cell(f"{column}{number}", text) for column, text in cells.items()) + "</row>"
        for number, cells in sorted(rows.items()))
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{declared}'
             f"<sheetData>{body}</sheetData>{' ' * padding}</worksheet>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in {**PARTS, "xl/worksheets/sheet1.xml": sheet}.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def one_far_cell(ref: str, *, declared: bool = True) -> bytes:
    """A header row and one cell at ``ref`` (``XFD1048576``: 1.5 KB that asks a reader for 512 GB)."""
    column = ref.rstrip("0123456789")
    row = int(ref[len(column):])
    return workbook({1: {"A": "姓名", "B": "身份证号"}, row: {column: "x"}},
                    dimension=f"A1:{ref}" if declared else None)


def zip_bomb() -> bytes:
    """A sheet declared small whose XML unzips to 8 MB of blanks (a ratio near 1,000)."""
    return workbook({1: {"A": "姓名"}}, dimension="A1:A1", padding=8 * 1024 * 1024)
