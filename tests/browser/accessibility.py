"""axe-core (vendored from the npm registry: ``npm pack axe-core@4.14.1``) run in the page, and the
checks every journey makes on every page it visits: no serious or critical axe finding, no
sideways scrolling, a screenshot when a journey fails."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_findings(page) -> list[dict]:
    """Serious and critical WCAG 2.2 A/AA findings on the page as it is now. The script goes in
    through the DevTools protocol (``evaluate``), which the page's CSP does not govern: the page
    itself still runs no inline script."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("options => axe.run(document, options)",
                           {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]})
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [node["target"] for node in v["nodes"][:5]]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def check_page(page, seen: list[str] | None = None) -> None:
    """What every page of every journey must be: accessible and no wider than the screen."""
    page.wait_for_load_state("load")
    findings = axe_findings(page)
    assert not findings, f"{page.url}: {json.dumps(findings, ensure_ascii=False, indent=1)}"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways ({width}px)"
    if seen is not None:
        seen.append(page.url)


@contextlib.contextmanager
def screenshot_on_failure(page, name: str):
    """Keep what the screen showed when a journey failed (test-results/screenshots/)."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        raise
