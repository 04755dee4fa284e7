"""Small server-side SVG charts for the jobs dashboard (no JavaScript, no CDN).

Each chart is a row of bars, one per time bucket, with the bucket's value in a ``<title>``
(shown on hover) and the largest value written at the top left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

__all__ = ["bar_chart"]


def _fmt(value: float) -> str:
    return f"{value:.3g}" if value else "0"


def bar_chart(
    chart_id: str,
    title: str,
    starts: Sequence[dt.datetime],
    values: Sequence[float | None],
    *,
    unit: str = "",
    color: str = "#417690",
    width: int = 600,
    height: int = 110,
) -> SafeString:
    """An SVG bar chart of ``values`` (None: no data in that bucket) over ``starts``."""
    top = 16
    plot = height - top - 14
    peak = max((v for v in values if v is not None), default=0.0) or 1.0
    step = width / max(1, len(values))
    bars = []
    for index, (start, value) in enumerate(zip(starts, values, strict=True)):
        shown = value or 0.0
        bar = 0 if value is None else max(1.0, plot * shown / peak)
        label = f"{start:%H:%M} UTC: {'no data' if value is None else _fmt(shown) + unit}"
        bars.append(
            f'<rect class="bar" x="{index * step + 1:.1f}" y="{top + plot - bar:.1f}" '
            f'width="{max(1.0, step - 2):.1f}" height="{bar:.1f}" fill="{escape(color)}" '
            f'data-value="{"" if value is None else _fmt(shown)}"><title>{escape(label)}</title>'
            "</rect>"
        )
    first = f"{starts[0]:%H:%M}" if starts else ""
    last = f"{starts[-1]:%H:%M}" if starts else ""
    largest = _fmt(max((v or 0.0 for v in values), default=0.0))
    svg = (
        f'<svg id="{escape(chart_id)}" class="forge-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" height="{height}" '
        'xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
        f'<text x="2" y="11" font-size="11">{escape(title)} (max {largest}{escape(unit)})</text>'
        f'<line x1="0" y1="{top + plot}" x2="{width}" y2="{top + plot}" stroke="#ccc"/>'
        + "".join(bars)
        + f'<text x="2" y="{height - 2}" font-size="10">{first}</text>'
        f'<text x="{width - 2}" y="{height - 2}" font-size="10" text-anchor="end">{last}</text>'
        "</svg>"
    )
    return mark_safe(svg)  # every interpolated text is escaped above
