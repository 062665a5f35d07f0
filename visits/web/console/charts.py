"""Bar charts as server-rendered SVG: no script, readable when printed, and each chart named
for screen readers (the numbers are also in a table beside it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

WIDTH = 640
LABEL_WIDTH = 200
VALUE_WIDTH = 80
BAR_HEIGHT = 28
GAP = 12
PADDING = 8


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as people read it, e.g. "42 %" or "17"
    highlight: bool = False


def bar_chart(title: str, bars: Sequence[Bar], *, scale_max: float | None = None) -> Markup:
    """Horizontal bars, one per row, longest = ``scale_max`` (default: the largest value)."""
    top = max([scale_max or 0.0, *(b.value for b in bars)]) or 1.0
    track = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 2 * PADDING
    height = PADDING * 2 + len(bars) * (BAR_HEIGHT + GAP) - (GAP if bars else 0)
    rows = []
    for index, bar in enumerate(bars):
        y = PADDING + index * (BAR_HEIGHT + GAP)
        length = max(0.0, bar.value) / top * track
        middle = f"{y + BAR_HEIGHT / 2:.1f}"
        rows.append(
            _ROW.format(
                label_x=LABEL_WIDTH - 8,
                middle=middle,
                label=bar.label,
                bar_x=LABEL_WIDTH,
                y=y,
                track=track,
                height=BAR_HEIGHT,
                css="bar highlight" if bar.highlight else "bar",
                length=f"{length:.1f}",
                value_x=LABEL_WIDTH + track + 8,
                shown=bar.shown,
            )
        )
    return _SVG.format(width=WIDTH, height=height, title=title, rows=Markup("").join(rows))


# Templates for the markup: Markup.format escapes every value put into them.
_ROW = Markup(
    '<text class="label" x="{label_x}" y="{middle}" text-anchor="end" '
    'dominant-baseline="middle">{label}</text>'
    '<rect class="track" x="{bar_x}" y="{y}" width="{track}" height="{height}" rx="3"/>'
    '<rect class="{css}" x="{bar_x}" y="{y}" width="{length}" height="{height}" rx="3"/>'
    '<text class="value" x="{value_x}" y="{middle}" dominant-baseline="middle">{shown}</text>'
)
_SVG = Markup(
    '<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
    'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
    "<title>{title}</title>{rows}</svg>"
)
