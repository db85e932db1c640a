"""The challenge catalogue: `dips challenges import|list|publish|close` and `dips match`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.cli.common import input_lines, open_cli_store
from bot.settings import Settings
from content.challenges import CatalogueError


async def cmd_challenges_import(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.app import import_catalogue

    store = await open_cli_store(settings)
    try:
        created, updated, unchanged = await import_catalogue(store, Path(args.file), "cli")
    except CatalogueError as exc:
        print(f"{args.file}: {len(exc.problems)} problem(s), nothing was imported:",
              file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    finally:
        await store.close()
    print(f"imported {args.file}: {created} new, {updated} updated, {unchanged} unchanged")
    return 0


async def cmd_challenges_list(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import date

    from handlers.app import seed_catalogue
    from storage import challenges

    store = await open_cli_store(settings)
    await seed_catalogue(store)
    async with store.session() as session:
        rows = await challenges.list_challenges(
            session, open_on=None if args.all else date.today()
        )
        counts = await challenges.eoi_counts_by_stage(session)
    await store.close()
    if args.json:
        for c in rows:
            print(json.dumps({"ref": c.ref, "title": c.title, "department": c.department,
                              "status": c.status, "closes": c.closes and c.closes.isoformat(),
                              "tags": c.tags, "eois": sum(counts.get(c.id, {}).values())}))
        return 0
    if not rows:
        print("no challenges" + ("" if args.all else " are open (use --all to see every one)"))
    for c in rows:
        closes = c.closes.isoformat() if c.closes else "no closing date"
        print(f"{c.ref:32} {c.status:7} {closes:15} {c.title}")
    return 0


async def cmd_challenges_status(args: argparse.Namespace, settings: Settings) -> int:
    from storage import challenges
    from storage.audit import audit

    store = await open_cli_store(settings)
    async with store.session() as session:
        challenge = await challenges.set_status(session, args.ref, args.status)
        if challenge is not None:
            await audit(session, "cli", f"challenge_{args.status}", args.ref)
    await store.close()
    if challenge is None:
        print(f"no challenge {args.ref!r}", file=sys.stderr)
        return 1
    print(f"{args.ref} is now {args.status}")
    return 0


async def cmd_match(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.app import seed_catalogue
    from handlers.engines.matching.catalogue import CatalogueIndex
    from handlers.engines.matching.index import match_json

    store = await open_cli_store(settings)
    await seed_catalogue(store)
    async with store.session() as session:
        matcher = await CatalogueIndex().matcher(session)
    await store.close()
    for query in input_lines(args):
        found = matcher.match(query, limit=args.limit)
        if args.json:
            print(json.dumps(match_json(query, found), ensure_ascii=False))
        elif not found:
            print("No open challenge fits that well; see `dips challenges list`.")
        else:
            for m in found:
                print(f"{m.score:.2f}  {m.ref:28} {m.title}  (matched on: {', '.join(m.matched)})")
    return 0
