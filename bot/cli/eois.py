"""Expressions of interest: `dips eoi list` and `dips eoi export` (the officers' one export)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.cli.common import open_cli_store
from bot.settings import Settings
from handlers.domain.export import eoi_csv, eoi_record
from storage import eois
from storage.audit import audit


async def cmd_eoi_list(args: argparse.Namespace, settings: Settings) -> int:
    store = await open_cli_store(settings)
    async with store.session() as session:
        rows = [eoi_record(e) for e in await eois.list_eois(session, challenge_ref=args.challenge)]
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
    store = await open_cli_store(settings)
    async with store.session() as session:
        rows = await eois.list_eois(session, challenge_ref=args.challenge)
        Path(args.csv).write_bytes(eoi_csv(rows))
        await audit(session, "cli", "export", args.challenge, rows=len(rows))
    await store.close()
    print(f"wrote {len(rows)} expressions of interest to {args.csv}")
    return 0
