"""Hostile and broken files, built byte by byte, for the tests of ``portal.integrations.safe_parse``
and the upload checks: a spreadsheet's parts are written by hand so that a test can declare any
area or put a cell anywhere, which no spreadsheet library would let it do."""

from __future__ import annotations

import functools
import io
import zipfile
import zlib

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


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    import struct

    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _zeros_deflated(length: int) -> bytes:
    """A zlib stream of ``length`` zero bytes, written directly (compressing 265 MB takes seconds):
    one fixed-Huffman block (BFINAL 1, BTYPE 01 least significant bit first), a literal 0, then
    copies of 258 bytes at distance 1 (13 bits each)."""
    literal_zero, copy_258, end_of_block = "00110000", "11000101" + "00000", "0000000"
    copies, rest = divmod(length - 1, 258)
    bits = "1" + "10" + literal_zero + copy_258 * copies + literal_zero * rest + end_of_block
    bits += "0" * (-len(bits) % 8)
    # Deflate packs bits from the least significant end of each byte: reversed, the whole stream
    # is one binary number written little-endian.
    body = int(bits[::-1], 2).to_bytes(len(bits) // 8, "little")
    adler = ((length % 65521) << 16) | 1  # every byte zero: A stays 1, B adds A once per byte
    return b"\x78\x01" + body + adler.to_bytes(4, "big")


def png_claiming(side: int) -> bytes:
    """Only a PNG's header, declaring side×side pixels (enough for Pillow's own guard to speak)."""
    import struct

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IEND", b"")


@functools.lru_cache(maxsize=4)
def png_bomb(side: int = 9400) -> bytes:
    """A valid side×side RGB PNG, all black: 1.6 MB that decodes to 265 MB of pixels (Pillow's
    guard only starts at 89.5 million pixels: 9400×9400 is 88.4 million)."""
    import struct

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", _zeros_deflated(side * (1 + side * 3))) + _png_chunk(b"IEND", b""))


def pdf(catalog_extra: str = "", *, object_stream: str | None = None) -> bytes:
    """A one-page PDF; ``catalog_extra`` goes into the catalog (``/OpenAction …``), and
    ``object_stream`` (a dictionary's text) is hidden in a compressed object stream."""
    objects = [f"<< /Type /Catalog /Pages 2 0 R {catalog_extra}>>",
               "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, text in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{text}\nendobj\n".encode("latin-1"))
    if object_stream is not None:
        packed = zlib.compress(f"4 0 {object_stream}".encode("latin-1"))
        offsets.append(out.tell())
        out.write(f"4 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {len(packed)} >>\n"
                  "stream\n".encode("latin-1") + packed + b"\nendstream\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()
