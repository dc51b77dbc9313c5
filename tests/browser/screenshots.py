"""Key screens of the journeys for the README (docs/screenshots/), taken only when asked:

    PORTAL_SCREENSHOTS=docs/screenshots .venv/bin/pytest -q tests/browser/test_journeys*.py

Only phone-sized pages are kept (the README shows what people see on a phone; the organiser's
tablet aside). Each picture is the screen as it is (not the whole page), reduced to a palette PNG
so that it stays under 150 KB. Chinese needs a CJK font beside chromium (``make browser-deps`` installs Debian's
fonts-noto-cjk); without it every character is a box."""

from __future__ import annotations

import io
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 150 * 1024
PHONE_WIDTH = 400  # pages no wider than this are phone pages
TABLET_WIDTH = 800  # the organiser's journey is walked on a tablet only


def folder() -> Path | None:
    value = os.environ.get("PORTAL_SCREENSHOTS", "").strip()
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else ROOT / path


def key_screen(page, name: str, focus=None, *, tablet: bool = False) -> Path | None:
    """Keep the phone screen as ``<name>.png`` when PORTAL_SCREENSHOTS names a folder; ``focus``
    (a locator) is scrolled into view first. Desktop pages and ordinary test runs keep nothing;
    ``tablet`` keeps a tablet's screen too (for a journey walked only on one)."""
    target = folder()
    if target is None or page.viewport_size["width"] > (TABLET_WIDTH if tablet else PHONE_WIDTH):
        return None
    from PIL import Image

    if focus is not None:
        focus.scroll_into_view_if_needed()
    page.evaluate("document.activeElement && document.activeElement.blur && document.activeElement.blur()")
    picture = Image.open(io.BytesIO(page.screenshot(animations="disabled", caret="hide"))).convert("RGB")
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{name}.png"
    for colours in (256, 128, 64):
        buffer = io.BytesIO()
        picture.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            buffer, format="PNG", optimize=True)
        if buffer.tell() < LIMIT:
            break
    path.write_bytes(buffer.getvalue())
    return path
