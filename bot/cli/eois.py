"""Expressions of interest: `dips eoi list` and `dips eoi export`."""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path
from typing import Any

from bot.cli.common import open_cli_store
from bot.settings import Settings

EOI_FIELDS = ("reference", "challenge", "organisation", "size_band", "country", "city", "website",
              "contact_name", "contact_email", "stage", "summary", "created_at", "updated_at")


async def _eoi_rows(settings: Settings, challenge: str | None) -> list[dict[str, Any]]:
    from storage import eois

    store = await open_cli_store(settings)
    async with store.session() as session:
        rows = await eois.list_eois(session, challenge_ref=challenge)
    await store.close()
    return [{"reference": e.reference, "challenge": e.challenge.ref,
             "organisation": e.organisation.name, "size_band": e.organisation.size_band,
             "country": e.organisation.country, "city": e.organisation.city,
             "website": e.organisation.website,
             "contact_name": e.contact.name if e.contact else None,
             "contact_email": e.contact.email if e.contact else None,
             "stage": e.stage, "summary": e.summary,
             "created_at": e.created_at.isoformat(), "updated_at": e.updated_at.isoformat()}
            for e in rows]


async def cmd_eoi_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = await _eoi_rows(settings, args.challenge)
    for row in rows:
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(f"{row['reference']}  {row['stage']:22} {row['challenge']:28} {row['organisation']}")
    if not rows and not args.json:
        print("no expressions of interest yet")
    return 0


def _csv_safe(value: Any) -> Any:
    """Stop spreadsheet formula injection from SME-typed text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


async def cmd_eoi_export(args: argparse.Namespace, settings: Settings) -> int:
    from storage.audit import audit

    rows = await _eoi_rows(settings, args.challenge)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EOI_FIELDS)
    writer.writeheader()
    writer.writerows({k: _csv_safe(v) for k, v in row.items()} for row in rows)
    Path(args.csv).write_text(buffer.getvalue(), encoding="utf-8")
    store = await open_cli_store(settings)
    async with store.session() as session:
        await audit(session, "cli", "export", args.challenge, rows=len(rows))
    await store.close()
    print(f"wrote {len(rows)} expressions of interest to {args.csv}")
    return 0
