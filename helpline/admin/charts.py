"""Report charts drawn on the server: matplotlib's Agg backend, written as SVG.

No JavaScript and nothing from a CDN: the page shows each chart as an <img> the app serves
(inline style attributes inside an inline SVG would be refused by our CSP). Text is drawn as
paths, so the SVG needs no font on the reader's machine. Every chart has its numbers in a
table beside it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot; we never do, but a plugin might

from matplotlib.figure import Figure
from matplotlib.ticker import Locator, MaxNLocator

PRIMARY = "#1f5fa8"
MUTED = "#5b6575"
GRID = "#d9dee6"
OUTCOME_COLOURS = ("#1e7a46", "#1f5fa8", "#b3261e", "#5a2f9a", "#8a5a00", "#9aa3af")


def _svg(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=96)
    fig.patch.set_alpha(0)
    return fig


def _style(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(GRID)
    ax.tick_params(colors=MUTED, labelsize=9)
    ax.set_axisbelow(True)


def bars_by_day(days: Sequence[str], counts: Sequence[int]) -> bytes:
    """Calls per day: one bar a day, the dates under every few bars."""
    fig = _figure(9, 2.8)
    ax = fig.add_subplot()
    _style(ax)
    positions = range(len(days))
    ax.bar(positions, counts, color=PRIMARY, width=0.7)
    step = max(1, len(days) // 12)
    ax.set_xticks(list(positions)[::step], list(days)[::step])
    _integer_ticks(ax.yaxis.get_major_locator())
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_xlim(-0.6, max(len(days) - 0.4, 0.4))
    return _svg(fig)


def horizontal_bars(labels: Sequence[str], counts: Sequence[int],
                    colours: Sequence[str] | None = None) -> bytes:
    """A bar per category, longest first, with its count at its end."""
    height = 0.5 + 0.38 * max(len(labels), 1)
    fig = _figure(6.5, height)
    ax = fig.add_subplot()
    _style(ax)
    positions = list(range(len(labels)))[::-1]
    ax.barh(positions, counts, color=list(colours) if colours else PRIMARY, height=0.6)
    ax.set_yticks(positions, [_short(label) for label in labels])
    top = max(counts, default=0)
    for y, n in zip(positions, counts, strict=True):
        ax.text(n + top * 0.01 + 0.05, y, str(n), va="center", fontsize=9, color=MUTED)
    ax.set_xlim(0, max(top * 1.12, 1))
    _integer_ticks(ax.xaxis.get_major_locator())
    ax.grid(axis="x", color=GRID, linewidth=0.8)
    return _svg(fig)


def _short(label: str, limit: int = 40) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _integer_ticks(locator: Locator) -> None:
    """Counts are whole: ticks only at integers (the axes' default AutoLocator is a MaxNLocator)."""
    if isinstance(locator, MaxNLocator):
        locator.set_params(integer=True)
