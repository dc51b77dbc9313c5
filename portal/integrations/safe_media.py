"""Uploaded images and PDFs, checked before anything costly happens to them.

Images: Pillow's ``Image.open`` reads only the header, so the pixel count is known before a single
pixel is decoded; an image over the budget (``UPLOAD_MAX_PIXELS``, 50 million: the largest photo a
phone takes by default is 48–50 MP) is refused there. Decoding 50 MP costs about 150 MB (RGB);
a 336 KB PNG declaring 9400×9400 used to cost 657 MB and 2.8 s per request. Pillow's own
decompression-bomb guard (``Image.MAX_IMAGE_PIXELS``) is set to the same budget as a second wall.

PDFs: a file that carries JavaScript, an action run on opening (``/OpenAction``, ``/AA``), a
``/Launch`` action, embedded files, rich media or an XFA form is refused: claim documents are
scans and exports, and none needs any of those. The check is a scan of the PDF's names (with
``#xx`` escapes decoded, so ``/J#61vaScript`` is ``/JavaScript``), in the file as sent and in its
compressed object streams (where PDF 1.5+ writers put dictionaries), which are decompressed up to a
bound. It does not parse the PDF; the file is never opened on the server, only served back with
``Content-Disposition: attachment``-style headers to staff.
"""

from __future__ import annotations

import io
import re
import warnings
import zlib

from PIL import Image, ImageOps

from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_

DEFAULT_MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS  # Pillow warns above, refuses above twice this

IMAGE_TOO_LARGE = N_("图片尺寸过大（超过%(limit)s万像素），为安全起见未处理。"
                     "请用手机正常拍照，或把图片缩小后重新上传。")
IMAGE_UNREADABLE = N_("图片已损坏或无法识别，请重新拍照上传（JPG或PNG）。")
PDF_ACTIVE = N_("PDF文件含有脚本、自动执行的动作或嵌入的文件，为安全起见不能上传。"
                "请用“打印为PDF”重新生成，或拍照后上传。")

ACTIVE_NAMES = frozenset({b"JS", b"JavaScript", b"OpenAction", b"AA", b"Launch", b"EmbeddedFile",
                          b"EmbeddedFiles", b"RichMedia", b"XFA"})
_NAME = re.compile(rb"/([A-Za-z0-9#_.\-]{1,64})")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"<<(?:(?!<<|stream).){0,2000}?>>\s*stream\r?\n", re.DOTALL)
MAX_INFLATED = 32 * 1024 * 1024  # object streams decompressed in all, for the scan


def open_image_under_budget(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """The decoded, upright image; ``InvalidInput`` if it is damaged or over ``max_pixels``,
    decided from its header before any pixel is decoded."""
    too_large = InvalidInput(IMAGE_TOO_LARGE, code="upload_too_large", field="file", limit=max_pixels // 10_000)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
            width, height = image.size
            if width * height > max_pixels:
                image.close()
                raise too_large
            image.load()
            return ImageOps.exif_transpose(image)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise too_large from None
    except (OSError, SyntaxError, ValueError):
        raise InvalidInput(IMAGE_UNREADABLE, code="upload_unreadable", field="file") from None


def active_pdf_names(data: bytes) -> set[str]:
    """The names of active content (scripts, automatic actions, embedded files) a PDF carries; an
    object stream that cannot be looked into counts as active (it could hide anything)."""
    found = _names(data)
    budget = MAX_INFLATED
    for match in _STREAM.finditer(data):
        header = _decoded(match.group(0))
        if b"ObjStm" not in header:
            continue
        if b"FlateDecode" not in header or budget <= 0:
            found.add("(object stream not scanned)")
            continue
        try:
            chunk = zlib.decompressobj().decompress(data[match.end():match.end() + budget + 1], budget)
        except zlib.error:
            found.add("(object stream not scanned)")
            continue
        budget -= len(chunk)
        found |= _names(chunk)
    return found


def refuse_active_pdf(data: bytes) -> None:
    if active_pdf_names(data):
        raise InvalidInput(PDF_ACTIVE, code="upload_type", field="file")


def _decoded(name: bytes) -> bytes:
    return _ESCAPE.sub(lambda match: bytes([int(match.group(1), 16)]), name)


def _names(data: bytes) -> set[str]:
    return {_decoded(name).decode("latin-1") for name in _NAME.findall(data) if _decoded(name) in ACTIVE_NAMES}
