"""Report charts, drawn by matplotlib as SVG: on the page each is an <img> loaded lazily from
its own URL (/reports/charts/<name>.svg, views.py), in the PDF a data: URL.

Only matplotlib's object API is used (no pyplot): no global figure state, safe in threads.
matplotlib is loaded on the first chart, not with the app: it is most of a second of every
worker's start (docs/architecture.md, deferred imports).

A chart is first described (MonthlyChart, BarChart: its figures and labels, cheap) and drawn
only when its image is asked for: the page names each chart with its size (no layout shift when
the image arrives) and an ETag of what it shows without loading matplotlib, so the text of the
report is shown at once and an unchanged chart is answered with a 304.

Every chart is drawn WIDTH_IN inches wide with all its text at FONT_SIZE_PT, and the page shows
it at its own size, shrunk only to fit a narrower screen (reports.css): its text is about 14
CSS px on a desktop and never under 11 px on a 390 px phone. Drawing is the slow part (a second
or more per chart on a busy server), so the SVG of the same figures in the same language is
kept (_CACHE_SIZE charts per process).
"""

import base64
import functools
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from babel.dates import get_month_names
from flask_babel import get_locale


@functools.cache
def _matplotlib():
    """(Figure, MaxNLocator), with the settings made once and never changed: text as paths
    (the PDF renderer and every browser draw the same glyphs) and stable element ids (the
    same figures give the same SVG)."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    matplotlib.rcParams.update(
        {
            "svg.fonttype": "path",
            "svg.hashsalt": "outreach-reports",
            "font.family": "DejaVu Sans",
            "font.size": FONT_SIZE_PT,
        }
    )
    return Figure, MaxNLocator


FONT_SIZE_PT = 10.5
WIDTH_IN = 4.2
_CACHE_SIZE = 64
INK, MUTED, LINE = "#1d2733", "#5b6877", "#d5dbe3"
SERIES = ("#0b5f73", "#7fb3c0", "#d08c2a")


def _integer_ticks():
    return _matplotlib()[1](integer=True)


def _figure(width: float, height: float):
    figure_class, _ = _matplotlib()
    figure = figure_class(figsize=(width, height), layout="constrained")
    figure.patch.set_alpha(0)
    return figure


def _style(axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(LINE)
    axes.tick_params(colors=MUTED, labelcolor=INK)
    axes.set_facecolor("none")


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def data_url(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def month_names() -> list[str]:
    names = get_month_names("abbreviated", locale=str(get_locale() or "da"))
    return [str(names[m]).rstrip(".").capitalize() for m in range(1, 13)]


MONTHLY_SERIES = ("visits", "admitted_visits", "conversations")


CSS_PX_PER_INCH = 96
MONTHLY_HEIGHT_IN = 3.4


@functools.cache
def _drawing_version() -> str:
    """A hash of this file: a new way of drawing changes every chart's ETag."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


class _Chart:
    """What a chart shows; `svg()` draws it (cached), `etag` names it without drawing."""

    height_in: float

    @property
    def width(self) -> int:
        """The image's width in CSS pixels (the SVG's own size)."""
        return round(WIDTH_IN * CSS_PX_PER_INCH)

    @property
    def height(self) -> int:
        return round(self.height_in * CSS_PX_PER_INCH)

    @property
    def etag(self) -> str:
        return hashlib.sha256(f"{_drawing_version()}{self!r}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class MonthlyChart(_Chart):
    values: tuple  # per month: (visits, admitted visits, conversations)
    labels: tuple  # the three series' names
    months: tuple  # the twelve month names
    height_in = MONTHLY_HEIGHT_IN

    def svg(self) -> str:
        return _monthly_svg(self.values, self.labels, self.months)


@dataclass(frozen=True)
class BarChart(_Chart):
    rows: tuple  # (label, value), largest first

    @property
    def height_in(self) -> float:
        return _bar_height_in(len(self.rows))

    def svg(self) -> str:
        return _bar_svg(self.rows)


def monthly_chart(by_month: list[dict], series_labels: dict[str, str]) -> MonthlyChart:
    """Grouped bars per month: visits, admitted visits and conversations."""
    values = tuple(tuple(row[key] for key in MONTHLY_SERIES) for row in by_month)
    labels = tuple(str(series_labels[key]) for key in MONTHLY_SERIES)
    return MonthlyChart(values, labels, tuple(month_names()))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _monthly_svg(values, labels, months) -> str:
    figure = _figure(WIDTH_IN, MONTHLY_HEIGHT_IN)
    axes = figure.add_subplot()
    _style(axes)
    width = 0.27
    for i, label in enumerate(labels):
        positions = [m + (i - 1) * width for m in range(12)]
        axes.bar(positions, [row[i] for row in values], width=width, color=SERIES[i], label=label)
    # Every other month named: twelve names at a legible size do not fit a phone's width.
    axes.set_xticks(range(12), [name if m % 2 == 0 else "" for m, name in enumerate(months)])
    axes.set_xticks(range(12), minor=True)
    axes.yaxis.set_major_locator(_integer_ticks())
    if not any(any(row) for row in values):
        axes.set_ylim(0, 1)
    axes.grid(axis="y", color=LINE, linewidth=0.6)
    axes.set_axisbelow(True)
    axes.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncols=2,
        frameon=False,
        handlelength=1,
        columnspacing=1,
    )
    return _svg(figure)


def bar_chart(rows: list[tuple[str, int]], limit: int = 12, other: str = "") -> BarChart | None:
    """Horizontal bars, largest first; beyond `limit` rows the rest are summed as `other`."""
    rows = [(label, value) for label, value in rows if value]
    if not rows:
        return None
    rows = sorted(rows, key=lambda row: -row[1])
    if len(rows) > limit:
        rows = rows[: limit - 1] + [(other, sum(value for _, value in rows[limit - 1 :]))]
    return BarChart(tuple((str(label), value) for label, value in rows))


def _bar_height_in(rows: int) -> float:
    return 0.36 * rows + 0.6


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _bar_svg(rows) -> str:
    figure = _figure(WIDTH_IN, _bar_height_in(len(rows)))
    axes = figure.add_subplot()
    _style(axes)
    labels = [label for label, _ in rows]
    values = [value for _, value in rows]
    bars = axes.barh(range(len(rows)), values, color=SERIES[0], height=0.6)
    axes.set_yticks(range(len(rows)), labels)
    axes.invert_yaxis()
    axes.xaxis.set_major_locator(_integer_ticks())
    axes.bar_label(bars, padding=3, color=INK)
    axes.set_xlim(0, max(values) * 1.15)
    axes.grid(axis="x", color=LINE, linewidth=0.6)
    axes.set_axisbelow(True)
    return _svg(figure)
