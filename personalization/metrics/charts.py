"""Bar charts drawn on the server as SVG: geometry here, the markup in metrics/_chart.html. No script and no inline
style (the CSP allows neither): sizes are SVG attributes, colours come from rapport.css classes; they print as
they show. Each bar is a link to the rows it counts, and says its value in words for a screen reader."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 210
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 18, 40
MAX_LABELS = 12  # x labels shown at most: every n-th period beyond that


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value_text: str
    label: str  # the period, under the bar (may be "" when labels are thinned)
    title: str  # the period and the value, in words
    href: str
    previous: bool
    label_x: float = 0
    value_y: float = 0
    hit_x: float = 0
    hit_width: float = 0
    missing: bool = False


@dataclass
class Chart:
    key: str
    title: str
    bars: list[Bar] = field(default_factory=list)
    grid: list[tuple[float, str]] = field(default_factory=list)  # (y, label)
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM
    label_y: float = HEIGHT - BOTTOM + 16
    top: int = TOP
    plot_height: int = HEIGHT - TOP - BOTTOM
    left: int = LEFT
    axis_x: int = LEFT - 4
    right: int = WIDTH - RIGHT
    legend_previous: str = ""
    legend_current: str = ""


def _nice_ceiling(value: float) -> float:
    """1, 2 or 5 times a power of ten, at least value (the top of the axis)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def bar_chart(
    *,
    key: str,
    title: str,
    points: list[dict],
    top: float | None = None,
    fmt=str,
) -> Chart:
    """A chart of points ({"value", "label", "period", "href", "previous"}): one bar each, in order; `top` fixes the
    axis (a rate's 1.0, CSAT's 5), else it is the largest value rounded up."""
    chart = Chart(key=key, title=title)
    values = [p["value"] for p in points if p["value"] is not None]
    top = top if top is not None else _nice_ceiling(max(values, default=0))
    plot_height = HEIGHT - TOP - BOTTOM
    plot_width = WIDTH - LEFT - RIGHT
    chart.grid = [(TOP + plot_height * (1 - share), fmt(top * share)) for share in (0, 0.5, 1)]
    slot = plot_width / max(1, len(points))
    every = max(1, math.ceil(len(points) / MAX_LABELS))
    for i, point in enumerate(points):
        value = point["value"]
        height = 0 if value is None else plot_height * min(float(value), top) / top
        x = LEFT + slot * i + slot * 0.15
        chart.bars.append(
            Bar(
                x=round(x, 1),
                y=round(HEIGHT - BOTTOM - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                value_text="–" if value is None else fmt(value),
                label=point["label"] if i % every == 0 else "",
                title=f"{point['period']}: {'–' if value is None else fmt(value)}",
                href=point["href"],
                previous=point["previous"],
                label_x=round(x + slot * 0.35, 1),
                value_y=round(HEIGHT - BOTTOM - height - 4, 1),
                hit_x=round(LEFT + slot * i, 1),
                hit_width=round(slot, 1),
                missing=value is None,
            )
        )
    return chart
