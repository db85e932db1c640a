"""Expressions of interest: `dips eoi list`, `dips eoi show` and `dips eoi export` (the
officers' one export)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.cli.common import BOM, open_cli_store, progress
from bot.settings import Settings
from handlers.domain.export import eoi_csv, eoi_detail, eoi_record
from storage import eois, partners, versions
from storage.audit import audit


async def cmd_eoi_list(args: argparse.Namespace, settings: Settings) -> int:
    store = await open_cli_store(settings)
    async with store.session() as session:
        found = await eois.list_eois(session, challenge_ref=args.challenge)
        named = await partners.partner_names(session, [e.id for e in found])
        rows = [eoi_record(e, named.get(e.id)) for e in found]
    await store.close()
    for row in rows:
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(f"{row['reference']}  {row['stage']:22} {row['challenge']:28} {row['organisation']}")
    if not rows and not args.json:
        print("no expressions of interest yet")
    return 0


async def cmd_eoi_export(args: argparse.Namespace, settings: Settings) -> int:
    """CSV to standard output (for a pipe or a look), or to a file with --csv (with a BOM, so
    Excel reads "Gävle" as written)."""
    store = await open_cli_store(settings)
    try:
        async with store.session() as session:
            rows = await eois.list_eois(session, challenge_ref=args.challenge)
            named = await partners.partner_names(session, [e.id for e in rows])
            content = eoi_csv(progress(rows, "exporting", unit="EOI"), named)
            if args.csv:
                Path(args.csv).write_bytes(BOM + content)
            await audit(session, "cli", "export", args.challenge, rows=len(rows))
    finally:
        await store.close()
    if args.csv:
        print(f"wrote {len(rows)} expressions of interest to {args.csv}", file=sys.stderr)
    else:
        sys.stdout.write(content.decode("utf-8"))
        sys.stdout.flush()
    return 0


async def cmd_eoi_show(args: argparse.Namespace, settings: Settings) -> int:
    """One EOI: its submitted snapshot, its versions and its full history."""
    digits = args.id.upper().removeprefix("EOI-").lstrip("0")
    store = await open_cli_store(settings)
    async with store.session() as session:
        eoi = await eois.get_eoi(session, int(digits)) if digits.isdigit() else None
        detail = None if eoi is None else eoi_detail(
            eoi, await versions.versions(session, eoi.id), await eois.stage_history(session, eoi.id))
    await store.close()
    if detail is None:
        print(f"dips: no expression of interest {args.id}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(detail, ensure_ascii=False, indent=2))
        return 0
    print(f"{detail['reference']}  {detail['challenge']} ({detail['department']})  "
          f"stage {detail['stage']}, version {detail['version']}")
    for v in detail["versions"]:
        print(f"\nVersion {v['number']} ({v['kind']}, at {v['stage']}, {v['at'][:16]}, by {v['by']})")
        print(f"  Organisation: {v['organisation']} ({v['size_band']}), {v['city']}, {v['country']}"
              f"; website {v['website'] or 'none'}")
        print(f"  Contact: {v['contact_name'] or 'none'}, {v['contact_email'] or '-'}")
        print(f"  Proposal: {v['summary']}")
    print("\nHistory:")
    for h in detail["history"]:
        what = (f"{h['from'] or 'new'} -> {h['to']}" + (f": {h['note']}" if h["note"] else "")
                if h["event"] == "stage" else f"version {h['number']} ({h['kind']})")
        print(f"  {h['at'][:16]}  {what}  by {h['by']}")
    return 0
