"""The challenge catalogue: `dips challenges import|list|publish|close|seed-samples` and
`dips match`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.cli.common import input_lines, open_cli_store, progress
from bot.settings import Settings
from content.challenges import CatalogueError
from handlers.kernel.text import t


async def cmd_challenges_import(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.app import import_catalogue

    store = await open_cli_store(settings)
    try:
        result = await import_catalogue(store, Path(args.file), "cli", statuses=args.statuses,
                                        close_samples=args.close_samples,
                                        each=lambda specs: progress(specs, "importing", "challenge"))
    except CatalogueError as exc:
        print(f"{args.file}: {len(exc.problems)} problem(s), nothing was imported:",
              file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    finally:
        await store.close()
    print(f"imported {args.file}: {result.created} new, {result.updated} updated, "
          f"{result.unchanged} unchanged")
    if result.kept:
        print(t("cli_challenges.kept_status", n=len(result.kept)))
        for ref, status, wanted in result.kept:
            print(t("cli_challenges.kept_line", ref=ref, status=status, wanted=wanted))
    if result.open_samples:
        print(t("cli_challenges.samples_open", n=len(result.open_samples),
                refs=", ".join(result.open_samples)))
    if result.closed_samples:
        print(t("cli_challenges.samples_closed", n=len(result.closed_samples),
                refs=", ".join(result.closed_samples)))
    return 0


async def cmd_challenges_seed_samples(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.app import seed_samples

    store = await open_cli_store(settings)
    try:
        created, updated, unchanged = await seed_samples(store, "cli")
    finally:
        await store.close()
    print(t("cli_challenges.seeded", created=created, updated=updated, unchanged=unchanged))
    return 0


async def cmd_challenges_list(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import date

    from handlers.app import seed_demo_catalogue
    from storage import challenges

    store = await open_cli_store(settings)
    await seed_demo_catalogue(store)
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
                              "tags": c.tags, "eois": sum(counts.get(c.id, {}).values()),
                              "sample": c.sample}))
        return 0
    if not rows:
        print("no challenges" + ("" if args.all else " are open (use --all to see every one)"))
    for c in rows:
        closes = c.closes.isoformat() if c.closes else "no closing date"
        sample = " " + t("challenges.sample_tag") if c.sample else ""
        print(f"{c.ref:32} {c.status:7} {closes:15} {c.title}{sample}")
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
    from handlers.app import seed_demo_catalogue
    from handlers.engines.matching.catalogue import CatalogueIndex
    from handlers.engines.matching.index import match_json

    store = await open_cli_store(settings)
    await seed_demo_catalogue(store)
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
