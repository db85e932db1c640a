"""The programme's impact figures: `dips impact`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.cli.common import BOM, open_cli_store
from bot.settings import Settings
from handlers.kernel.text import t


async def cmd_impact(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import date

    from handlers.domain.impact import build_report
    from handlers.domain.impact_chart import chart_png
    from handlers.domain.impact_pdf import report_pdf

    try:
        since = date.fromisoformat(args.since) if args.since else None
        until = date.fromisoformat(args.until) if args.until else None
    except ValueError as exc:
        print(f"dips impact: dates look like 2025-01-31 ({exc})", file=sys.stderr)
        return 2
    if since and until and until <= since:
        print(f"dips impact: {t('reports.end_before_start')} (--since {since}, --until {until})",
              file=sys.stderr)
        return 2
    store = await open_cli_store(settings)
    try:
        async with store.session() as session:
            report = await build_report(session, since, until)
    finally:
        await store.close()
    if args.csv:
        Path(args.csv).write_bytes(BOM + report.to_csv())  # Excel reads UTF-8 only after a BOM
    if args.chart:
        Path(args.chart).write_bytes(chart_png(report))
    if args.pdf:
        Path(args.pdf).write_bytes(report_pdf(report, date.today()))
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print(f"{t('reports.impact_title', period=report.period_text())}\n\n{report.to_text()}")
    return 0
