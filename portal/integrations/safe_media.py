"""Uploaded images and PDFs, checked before anything costly happens to them.

Images are decoded in a child process (``image_worker.py``, like spreadsheets in
``safe_parse``), never in the web server or the task consumer: the child limits its own memory,
CPU time and files with ``resource.setrlimit``, reads the header, and refuses an image over the
pixel budget (50 million: the largest photo a phone takes by default is 48–50 MP) before a single
pixel is decoded; then it decodes, turns the image upright and re-encodes it without metadata.
Decoding 50 MP costs about 150 MB (RGB); a 336 KB PNG declaring 9400×9400 used to cost 657 MB and
2.8 s per request. Pillow's own decompression-bomb guard is set to the same budget as a second
wall. A decoder that still runs away is killed by its limits and the upload refused with a message.

PDFs: a file that carries JavaScript, an action run on opening (``/OpenAction``, ``/AA``), a
``/Launch`` action, embedded files, rich media or an XFA form is refused: claim documents are
scans and exports, and none needs any of those. The check is a scan of the PDF's names (with
``#xx`` escapes decoded, so ``/J#61vaScript`` is ``/JavaScript``), in the file as sent and in its
compressed object streams (where PDF 1.5+ writers put dictionaries), which are decompressed up to a
bound. It does not parse the PDF; the file is never opened on the server, only served back with
``Content-Disposition: attachment``-style headers to staff.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_

log = logging.getLogger(__name__)
WORKER = Path(__file__).with_name("image_worker.py")
CHILD_ENVIRONMENT = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}

DEFAULT_MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS  # Pillow warns above, refuses above twice this

IMAGE_TOO_LARGE = N_("图片尺寸过大（超过%(limit)s万像素），为安全起见未处理。"
                     "请用手机正常拍照，或把图片缩小后重新上传。")
IMAGE_UNREADABLE = N_("图片已损坏或无法识别，请重新拍照上传（JPG或PNG）。")
IMAGE_TOO_COMPLEX = N_("图片过大或过于复杂，无法安全处理，已拒绝。请用手机正常拍照，或把图片缩小后重新上传。")
PDF_ACTIVE = N_("PDF文件含有脚本、自动执行的动作或嵌入的文件，为安全起见不能上传。"
                "请用“打印为PDF”重新生成，或拍照后上传。")

ACTIVE_NAMES = frozenset({b"JS", b"JavaScript", b"OpenAction", b"AA", b"Launch", b"EmbeddedFile",
                          b"EmbeddedFiles", b"RichMedia", b"XFA"})
_NAME = re.compile(rb"/([A-Za-z0-9#_.\-]{1,64})")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"<<(?:(?!<<|stream).){0,2000}?>>\s*stream\r?\n", re.DOTALL)
MAX_INFLATED = 32 * 1024 * 1024  # object streams decompressed in all, for the scan


@dataclass(frozen=True)
class ImageLimits:
    """What decoding one uploaded image may cost. A 12 MP phone photo needs a fraction of each."""

    max_pixels: int = DEFAULT_MAX_PIXELS
    memory_mb: int = 1_024  # a 50 MP photo decoded, turned upright and re-encoded, with Pillow loaded
    cpu_seconds: int = 30
    wall_seconds: int = 60


def limits_from_config() -> ImageLimits:
    from flask import current_app, has_app_context

    overrides = current_app.config.get("UNTRUSTED_IMAGE_LIMITS") if has_app_context() else None
    return ImageLimits(**overrides) if overrides else ImageLimits()


def reencode_image(data: bytes, content_type: str, *, limits: ImageLimits | None = None) -> bytes:
    """The image decoded under the pixel budget in a child process, upright and re-encoded without
    metadata; ``InvalidInput`` when it is over the budget, damaged, or too costly to decode."""
    limits = limits or limits_from_config()
    settings = {"max_pixels": limits.max_pixels, "memory_mb": limits.memory_mb,
                "cpu_seconds": limits.cpu_seconds, "content_type": content_type}
    started = time.monotonic()
    try:
        # Our own interpreter and script; the untrusted file only travels on stdin, and the child
        # gets none of this process's environment (no database address, no keys).
        done = subprocess.run([sys.executable, "-I", str(WORKER), json.dumps(settings)],  # noqa: S603
                              input=data, capture_output=True, timeout=limits.wall_seconds, check=False,
                              env=CHILD_ENVIRONMENT, close_fds=True)
    except subprocess.TimeoutExpired as error:  # run() has killed the child
        log.warning("image decoder stopped after %.0f s", time.monotonic() - started)
        raise InvalidInput(IMAGE_TOO_COMPLEX, code="upload_too_large", field="file") from error
    if done.returncode == 0 and done.stdout:
        return done.stdout
    if done.returncode == 3:
        raise InvalidInput(IMAGE_TOO_LARGE, code="upload_too_large", field="file",
                           limit=limits.max_pixels // 10_000)
    if done.returncode == 4:
        raise InvalidInput(IMAGE_UNREADABLE, code="upload_unreadable", field="file")
    log.warning("image decoder refused or died (exit %s)", done.returncode)
    raise InvalidInput(IMAGE_TOO_COMPLEX, code="upload_too_large", field="file")


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
