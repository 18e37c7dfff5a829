"""Charts as inline SVG, drawn on the server (no script, no CDN, no build step).

A chart is a `<figure>` holding an `<svg role="img">` with a title and a description; the same
numbers are in a table next to it for screen readers and copying. Values of None (nothing to
measure in that period) draw no bar and read "—".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 220
LEFT = 48
BOTTOM = 34
TOP = 12
RIGHT = 8
PALETTE = ("#0b5cad", "#e07b00", "#1e7b34", "#8e44ad", "#b3261e", "#5b6570")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _nice_max(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5, 10 × a power of ten at or above `value`."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 2.5, 5, 10) if step * magnitude >= value)


def bar_chart(chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series], *,
              fmt: Callable[[float | None], str], ceiling: float | None = None,
              stacked: bool = False, ticks: int = 4, whole: bool = False) -> Markup:
    """Grouped (or stacked) bars, one group per label, with a y axis of `ticks` steps and a
    legend; `whole`: counts, so the axis steps are whole numbers."""
    count = max(len(labels), 1)
    if stacked:
        totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
        top = ceiling or _nice_max(max(totals, default=0))
    else:
        top = ceiling or _nice_max(max((v for s in series for v in s.values if v is not None),
                                       default=0))
    if whole:
        top = float(max(ticks, math.ceil(top / ticks) * ticks))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / count
    bar_w = group_w * 0.8 / (1 if stacked else max(len(series), 1))
    parts: list[str] = []
    for tick in range(ticks + 1):  # grid lines and y labels from 0 to the top
        value = top * tick / ticks
        y = TOP + plot_h - plot_h * tick / ticks
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#d5dae0"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="11">{escape(fmt(value))}</text>')
    every = max(1, count // 10)  # at most ~10 x labels
    for i, label in enumerate(labels):
        x0 = LEFT + group_w * i + group_w * 0.1
        base = 0.0
        for k, s in enumerate(series):
            value = s.values[i]
            if value is None:
                continue
            h = plot_h * min(value, top) / top
            x = x0 if stacked else x0 + bar_w * k
            y = TOP + plot_h - h - (plot_h * base / top if stacked else 0)
            parts.append(f'<rect class="bar-{k}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}">'
                         f'<title>{escape(label)} · {escape(s.name)}: '
                         f'{escape(fmt(value))}</title></rect>')
            if stacked:
                base += value
        if i % every == 0:
            parts.append(f'<text x="{LEFT + group_w * (i + 0.5):.1f}" y="{HEIGHT - BOTTOM + 14}" '
                         f'text-anchor="middle" font-size="11">{escape(label)}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" '
                 'stroke="#5b6570"/>')
    legend_x = LEFT
    for k, s in enumerate(series):
        parts.append(f'<rect x="{legend_x}" y="{HEIGHT - 12}" width="10" height="10" '
                     f'fill="{PALETTE[k % len(PALETTE)]}"/>'
                     f'<text x="{legend_x + 14}" y="{HEIGHT - 3}" font-size="11">'
                     f'{escape(s.name)}</text>')
        legend_x += 24 + 7 * len(s.name) + (7 * len(s.name) if not s.name.isascii() else 0)
    svg = (f'<svg class="chart" id="{escape(chart_id)}" role="img" '
           f'aria-labelledby="{escape(chart_id)}-t" viewBox="0 0 {WIDTH} {HEIGHT}" '
           f'width="100%" preserveAspectRatio="xMinYMin meet" '
           f'xmlns="http://www.w3.org/2000/svg">'
           f'<title id="{escape(chart_id)}-t">{escape(title)}</title>{"".join(parts)}</svg>')
    return Markup(svg)  # every interpolated text above is escaped
