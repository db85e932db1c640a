"""Announcing a challenge to subscribers: `dips broadcast REF` and `dips broadcast status ID`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.cli.common import open_cli_store
from bot.settings import Settings


async def cmd_broadcast(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import render
    from handlers.domain import broadcasts as bc

    target = args.target
    store = await open_cli_store(settings)
    try:
        if target[0] == "status":
            if len(target) != 2 or not target[1].isdigit():
                print("usage: dips broadcast status ID", file=sys.stderr)
                return 2
            async with store.session() as session:
                text = await bc.status_text(session, int(target[1]))
            print(text or f"no broadcast {target[1]}")
            return 0 if text else 1
        ref = target[0].lower()
        async with store.session() as session:  # read only: nothing changes before the answer
            found = await bc.plan(session, ref)
        if found is None:
            print(f"no challenge {ref!r}", file=sys.stderr)
            return 1
        if found.challenge.status == "closed":
            print(f"{ref} is closed; reopen it before announcing it", file=sys.stderr)
            return 1
        audience = bc.ALL if args.all else bc.MATCHING
        n = len(found.recipients(audience))
        print("The announcement as a recipient sees it:\n")
        print(render([found.sample()])[0])
        print(f"Audience: {len(found.matching)} matching subscribers, {len(found.everyone)} "
              f"subscribers in all (anyone already sent it left out).")
        if not n:
            print(f"Nobody to send to ({audience}); nothing was changed.")
            return 1
        opening = f"open {ref} and " if found.challenge.status == "draft" else ""
        if not args.yes:
            try:
                answer = await asyncio.to_thread(
                    input, f"{opening}send it to {n} {audience} subscribers? [y/N] ")
            except EOFError:
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                print("Cancelled: nothing was sent or changed.")
                return 1
        async with store.session() as session:
            sent, _ = await bc.confirm(session, ref, audience, "cli")
        if sent is None:
            print("Nobody is left to send it to; nothing was queued.")
            return 1
        print(f"broadcast {sent.id} queued for {sent.total} recipients; "
              f"progress: dips broadcast status {sent.id}")
        return 0
    finally:
        await store.close()
