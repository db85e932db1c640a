"""The impact report as one A4 page (PDF) for a councillors' paper: title and period, the
action plan's three measures with their figures, then the two charts.

Drawn by matplotlib's PDF backend with TrueType fonts embedded (pdf.fonttype 42), so the text
stays text: it can be searched, copied and read by a screen reader.
"""

from __future__ import annotations

import io
import textwrap
from datetime import date

from matplotlib.backends.backend_pdf import FigureCanvasPdf
from matplotlib.figure import Figure

from handlers.domain.impact import ImpactReport
from handlers.domain.impact_chart import draw_funnel, draw_over_time, fonts
from handlers.kernel.text import t

A4 = (8.27, 11.69)  # inches, portrait


def _breakdown(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items())


def measures(report: ImpactReport) -> list[tuple[str, list[str]]]:
    """The seed's three measures, each a heading and its figures."""
    departments = t("impact.departments", count=report.departments_engaged)
    if report.departments:
        departments += f" ({', '.join(report.departments)})"
    partners = t("impact.partner_cities", count=report.partner_city_smes)
    if report.partner_cities:
        partners += f" ({_breakdown(report.partner_cities)})"
    abroad = t("impact.other_countries", count=report.other_country_smes)
    if report.other_countries:
        abroad += f" ({_breakdown(report.other_countries)})"
    return [
        (t("impact.pdf_measure_smes"),
         [t("impact.smes_with_eois", count=report.smes_engaged, eois=report.eois)]),
        (t("impact.pdf_measure_council"),
         [departments, t("impact.officers", count=report.officers_engaged)]),
        (t("impact.pdf_measure_partners"), [partners, abroad]),
    ]


def report_pdf(report: ImpactReport, made_on: date) -> bytes:
    """One A4 page; `made_on` is printed as the report's date."""
    with fonts(pdf=True):
        page = report_page(report, made_on)
        out = io.BytesIO()
        FigureCanvasPdf(page).print_pdf(out, metadata={
            "Title": t("impact.chart_title", period=report.period_text()),
            "Subject": t("impact.chart_source")})
    return out.getvalue()


def report_page(report: ImpactReport, made_on: date) -> Figure:
    """The page as a figure (call within the fonts' rc_context)."""
    page = Figure(figsize=A4)
    page.text(0.06, 0.965, t("impact.chart_title", period=report.period_text()), fontsize=15,
              fontweight="bold", va="top")
    page.text(0.06, 0.935, t("impact.pdf_subtitle", made_on=made_on), fontsize=9,
              color="#444444", va="top")
    y = 0.9
    for heading, lines in measures(report):
        page.text(0.06, y, heading, fontsize=10.5, fontweight="bold", va="top")
        y -= 0.022
        for line in lines:
            for piece in textwrap.wrap(line, 100) or [""]:
                page.text(0.08, y, piece, fontsize=9, va="top")
                y -= 0.018
        y -= 0.008
    top = y - 0.02
    funnel = page.add_axes((0.3, top - 0.25, 0.62, 0.23))
    draw_funnel(funnel, report)
    over_time = page.add_axes((0.1, 0.1, 0.82, top - 0.44))  # room for the funnel's axis
    draw_over_time(over_time, report)
    page.text(0.06, 0.035, t("impact.pdf_definitions"), fontsize=7, color="#555555")
    page.text(0.06, 0.02, t("impact.chart_source"), fontsize=7, color="#555555")
    return page
