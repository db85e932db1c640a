"""The impact charts, drawn with matplotlib for a councillors' paper: the EOI funnel with every
outcome, and SMEs, departments, officers and partner-city SMEs engaged over time.

Only matplotlib's object API is used (Figure and a canvas, never pyplot): no global state, so
a chart can be drawn in a worker thread while the event loop goes on. Every caption comes from
the wording catalogue; DejaVu Sans (shipped with matplotlib) draws accents such as "Gävle".
"""

from __future__ import annotations

import io
from contextlib import AbstractContextManager
from datetime import date

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import MaxNLocator

from handlers.domain.impact import ImpactReport
from handlers.domain.stages import END_STAGES, STAGES, stage_label
from handlers.kernel.text import t

REACHED, ENDED = "#005ea5", "#8a8a8a"  # a stage reached; an exit (not selected, withdrawn)
SERIES = (  # (MonthPoint field, wording key, colour): the lines engaged over time
    ("cumulative", "impact.chart_series_smes", "#005ea5"),
    ("departments", "impact.chart_series_departments", "#d4351c"),
    ("officers", "impact.chart_series_officers", "#00703c"),
    ("partner_smes", "impact.chart_series_partners", "#f47738"),
)
PRINT_DPI = 200  # sharp on an A4 page; labels are set in points, so they print at their size


def fonts(pdf: bool = False) -> AbstractContextManager[None]:
    """Drawing settings for one chart or page; a PDF embeds TrueType fonts (text stays text)."""
    if pdf:
        return rc_context({"font.family": "DejaVu Sans", "font.size": 9, "pdf.fonttype": 42})
    return rc_context({"font.family": "DejaVu Sans", "font.size": 9})


def month_label(month: str) -> str:
    """'2026-06' -> 'Jun 2026'."""
    year, number = (int(part) for part in month.split("-"))
    return t("impact.chart_month", month=date(year, number, 1))


def funnel_rows(report: ImpactReport) -> list[tuple[str, int, bool]]:
    """(label, EOIs, is an exit) from the first stage down, the exits last."""
    rows = [(stage_label(s), report.funnel.get(s, 0), False) for s in STAGES]
    return rows + [(stage_label(s), report.ended.get(s, 0), True) for s in END_STAGES]


def draw_funnel(ax: Axes, report: ImpactReport) -> None:
    rows = funnel_rows(report)
    labels = [label for label, _, _ in rows]
    counts = [n for _, n, _ in rows]
    bars = ax.barh(range(len(rows)), counts, color=[ENDED if exit_ else REACHED for *_, exit_ in rows],
                   height=0.65)
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()  # the first stage on top
    ax.bar_label(bars, padding=3, fontsize=8)
    ax.set_xlim(0, max([*counts, 1]) * 1.15)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(t("impact.chart_funnel_axis"))
    ax.set_title(t("impact.chart_funnel"), loc="left", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def draw_over_time(ax: Axes, report: ImpactReport) -> None:
    ax.set_title(t("impact.chart_over_time"), loc="left", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    points = report.over_time[-36:]  # three years at most stay readable
    if not points:
        ax.text(0.5, 0.5, t("impact.chart_empty"), ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    xs = list(range(len(points)))
    for name, key, colour in SERIES:
        ax.plot(xs, [getattr(p, name) for p in points], marker="o", markersize=3, color=colour,
                label=t(key))
    every = max(1, len(points) // 12)  # at most about a dozen month labels
    ax.set_xticks(xs[::every], [month_label(p.month) for p in points][::every], rotation=45,
                  ha="right")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(t("impact.chart_over_time_axis"))
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.legend(loc="upper left", fontsize=8, frameon=False)


def chart_figure(report: ImpactReport) -> Figure:
    """Both charts on one figure (landscape, for a slide or half a page)."""
    figure = Figure(figsize=(10, 7.5))
    # Room at the foot for the source line.
    figure.set_layout_engine(ConstrainedLayoutEngine(rect=(0, 0.03, 1, 0.97)))
    figure.suptitle(t("impact.chart_title", period=report.period_text()), fontsize=13,
                    fontweight="bold")
    funnel, over_time = figure.subplots(2, 1, height_ratios=(1, 1.1))
    draw_funnel(funnel, report)
    draw_over_time(over_time, report)
    figure.text(0.995, 0.002, t("impact.chart_source"), ha="right", va="bottom", fontsize=7,
                color="#555555")
    return figure


def chart_png(report: ImpactReport, dpi: int = PRINT_DPI) -> bytes:
    with fonts():
        figure = chart_figure(report)
        figure.set_dpi(dpi)
        out = io.BytesIO()
        FigureCanvasAgg(figure).print_png(out)
    return out.getvalue()
