"""Small server-rendered SVG charts: horizontal bars for categories, lines for months.

No JavaScript, nothing from a CDN, no ``style=`` (the Content-Security-Policy refuses inline
styles; SVG presentation attributes and classes are fine). Each chart is an ``<svg role="img">``
with a ``<title>`` and a ``<desc>`` saying what it shows; the page puts a ``<table>`` of the same
figures beside it for screen readers and print. Texts arrive translated and are escaped here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#b3261e", "#1f4e8c", "#1d6b35", "#8a5a00", "#6b3fa0")
_ids = itertools.count(1)


def nice_step(value: float) -> float:
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value``, and never below 1 (counts are whole)."""
    if value <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def axis_ticks(top: float, *, intervals: int = 4) -> list[float]:
    """Evenly spaced round values from 0 to at or above ``top``: 0, 10, 20, 30 for 29."""
    step = nice_step(top / intervals)
    count = max(1, -(-int(top) // int(step)) if top > 0 else 1)
    return [step * index for index in range(count + 1)]


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(title: str, desc: str, width: int, height: int, css_class: str) -> tuple[str, list[str]]:
    chart_id = f"chart-{next(_ids)}"
    parts = [
        f'<svg class="chart {css_class}" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="13">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    return chart_id, parts


def bar_chart(title: str, desc: str, labels: Sequence[str], values: Sequence[float], *,
              value_text: Callable[[float], str] = _number, width: int = 640) -> Markup:
    """Horizontal bars, one per label, each with its value written at its end."""
    row, label_width, right = 30, 130, 110
    height = max(1, len(labels)) * row + 10
    top = max(values, default=0) or 1
    plot = width - label_width - right
    _, parts = _open(title, desc, width, height, "chart-bars")
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + index * row
        length = 0 if not value else max(2.0, plot * value / top)
        parts.append(f'<g class="chart-row"><title>{escape(label)}: {escape(value_text(value))}</title>'
                     f'<text x="{label_width - 8}" y="{y + 19}" text-anchor="end" fill="#1b1b1f">{escape(label)}</text>'
                     f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row - 10}" rx="3" '
                     f'fill="{PALETTE[0]}"/>'
                     f'<text x="{label_width + length + 6:.1f}" y="{y + 19}" fill="#1b1b1f">'
                     f'{escape(value_text(value))}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def line_chart(title: str, desc: str, labels: Sequence[str], series: Sequence[Series], *,
               value_text: Callable[[float], str] = _number, width: int = 640, height: int = 260) -> Markup:
    """One line per series over the same labels (months), a point per value, a legend on top."""
    left, right, top_margin, bottom = 56, 16, 36, 30
    plot_w, plot_h = width - left - right, height - top_margin - bottom
    ticks = axis_ticks(max((v for s in series for v in s.values), default=0))
    ceiling = ticks[-1]
    step_x = plot_w / max(1, len(labels) - 1)
    _, parts = _open(title, desc, width, height, "chart-lines")
    for value in ticks:  # the grid and the value axis
        y = top_margin + plot_h - plot_h * value / ceiling
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5d5dc" '
                     f'stroke-width="1"/><text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#4a4a52">'
                     f'{escape(value_text(value))}</text>')
    for index, label in enumerate(labels):
        x = left + step_x * index
        parts.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" fill="#4a4a52">{escape(label)}</text>')
    for number, line in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        points = [(left + step_x * index, top_margin + plot_h - plot_h * (value / ceiling))
                  for index, value in enumerate(line.values)]
        legend_x = left + number * 150
        parts.append(f'<g class="chart-legend"><rect x="{legend_x}" y="8" width="14" height="14" rx="2" '
                     f'fill="{colour}"/><text x="{legend_x + 20}" y="20" fill="#1b1b1f">{escape(line.name)}</text></g>')
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5" '
                     f'stroke-linejoin="round"/>')
        for (x, y), label, value in zip(points, labels, line.values, strict=True):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"><title>{escape(line.name)} · '
                         f'{escape(label)}: {escape(value_text(value))}</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()
