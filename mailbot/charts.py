"""Report charts as PNG bytes, drawn with matplotlib's Agg renderer (no display, no pyplot).

Each function takes plain numbers and the words to print (the caller picks the
language) and returns a PNG. ``Figure`` objects are created directly instead of
through ``pyplot``, so nothing global is touched and charts can be drawn from the
daemon's scheduler thread.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot: never try to open a display

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SEVERITY_COLOURS = {"critical": "#b91c1c", "important": "#d97706", "general": "#2563eb"}
LINE_COLOURS = ("#1f3a5f", "#059669", "#d97706", "#7c3aed")
WIDTH_IN, HEIGHT_IN, DPI = 6.0, 3.2, 100  # 600 x 320 px: the width of the mail column


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def _figure() -> tuple[Figure, object]:
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    ax = fig.add_subplot(1, 1, 1)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    return fig, ax


def volume_by_day(days: Sequence[str], counts: Mapping[str, Sequence[int]], names: Mapping[str, str],
                  title: str) -> bytes:
    """Stacked bars: tickets created per day, one colour per severity (``counts[severity][i]``)."""
    fig, ax = _figure()
    bottom = [0] * len(days)
    positions = list(range(len(days)))
    for severity, values in counts.items():
        ax.bar(positions, values, bottom=bottom, color=SEVERITY_COLOURS.get(severity, "#6b7280"),
               label=names.get(severity, severity), width=0.8)
        bottom = [b + v for b, v in zip(bottom, values)]
    step = max(1, len(days) // 12)  # a month of labels would overlap
    ax.set_xticks(positions[::step], [days[i] for i in positions[::step]], rotation=45, ha="right")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    return _png(fig)


@dataclass(frozen=True)
class TargetBar:
    label: str
    median_hours: float | None
    mean_hours: float | None
    target_hours: float


def first_response_vs_target(bars: Sequence[TargetBar], words: Mapping[str, str], title: str) -> bytes:
    """Horizontal bars: median and mean first-response time per SLA, with the SLA target as a mark."""
    fig, ax = _figure()
    positions = list(range(len(bars)))
    medians = [b.median_hours or 0.0 for b in bars]
    means = [b.mean_hours or 0.0 for b in bars]
    ax.barh([p + 0.2 for p in positions], medians, height=0.4, color="#1f3a5f", label=words["median"])
    ax.barh([p - 0.2 for p in positions], means, height=0.4, color="#93c5fd", label=words["mean"])
    ax.scatter([b.target_hours for b in bars], positions, marker="|", s=600, color="#b91c1c", label=words["target"],
               zorder=3)
    ax.set_yticks(positions, [b.label for b in bars])
    ax.set_xlabel(words["hours"], fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return _png(fig)


def trend(periods: Sequence[str], series: Mapping[str, Sequence[float | None]], targets: Mapping[str, float],
          title: str) -> bytes:
    """Lines of shares (0..1, shown as %) over the last periods, with dashed target lines."""
    fig, ax = _figure()
    positions = list(range(len(periods)))
    for colour, (name, values) in zip(LINE_COLOURS, series.items()):
        points = [(p, v * 100) for p, v in zip(positions, values) if v is not None]
        if points:
            ax.plot([p for p, _ in points], [v for _, v in points], marker="o", color=colour, label=name)
    for colour, (name, value) in zip(("#b91c1c", "#6b7280"), targets.items()):
        ax.axhline(value * 100, linestyle="--", linewidth=1, color=colour, label=name)
    ax.set_xticks(positions, list(periods), rotation=30, ha="right")
    ax.set_ylim(0, 105)
    ax.set_ylabel("%", fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, frameon=False, loc="lower left")
    return _png(fig)
