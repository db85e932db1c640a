"""Announcing a challenge to subscribers: `dips broadcast REF` and `dips broadcast status ID`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any, TextIO

from tqdm import tqdm

from bot.cli.common import open_cli_store
from bot.settings import Settings
from storage import deliveries
from storage.models import Broadcast
from storage.store import Store


async def follow(store: Store, broadcast_id: int, every: float = 1.0,
                 out: TextIO | None = None) -> int:
    """Progress until every recipient is sent or given up: a live bar with rate and time left
    on a terminal, a plain line at each change otherwise (logs, pipes)."""
    out = out or sys.stdout
    live = out.isatty()
    bar: tqdm[Any] | None = None
    last = None
    while True:
        async with store.session() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            counts = await deliveries.progress(session, broadcast_id)
        assert broadcast is not None
        sent, failed = counts.get("sent", 0), counts.get("failed", 0)
        done = sent + failed
        if live:
            if bar is None:
                bar = tqdm(total=broadcast.total, unit="msg", file=out, desc=f"broadcast {broadcast_id}")
            bar.update(done - bar.n)
            bar.set_postfix(failed=failed, refresh=True)
        elif (sent, failed) != last:
            out.write(f"broadcast {broadcast_id}: sent {sent}, failed {failed}, "
                      f"pending {broadcast.total - done} of {broadcast.total}\n")
            out.flush()
        last = (sent, failed)
        if done >= broadcast.total:
            if bar is not None:
                bar.close()
            out.write(f"broadcast {broadcast_id} has finished: {sent} sent, {failed} failed\n")
            return 0
        await asyncio.sleep(every)


async def cmd_broadcast(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import render
    from handlers.domain import broadcasts as bc
    from handlers.kernel.text import t

    target = args.target
    store = await open_cli_store(settings)
    try:
        if target[0] == "status":
            if len(target) != 2 or not target[1].isdigit():
                print("usage: dips broadcast status ID", file=sys.stderr)
                return 2
            async with store.session() as session:
                text = await bc.status_text(session, int(target[1]))
            if text and args.follow:
                return await follow(store, int(target[1]))
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
        if found.digest_readers:
            print(t("broadcast.digest_readers", n=found.digest_readers))
        if not n:
            print(f"Nobody to send to ({audience}); nothing was changed.")
            return 1
        opening = f"open {ref} and " if found.challenge.status == "draft" else ""
        who = "subscribers" if audience == bc.ALL else "subscribers whose interests match"
        if not args.yes:
            try:
                answer = await asyncio.to_thread(
                    input, f"{opening}send it to {n} {who}? [y/N] ")
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
