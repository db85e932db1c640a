"""Broadcast throughput: one delivery worker draining a 10,000-recipient broadcast.

The fake Bot API runs in its own process (so its CPU does not slow the worker) with a flood
limit of --limit messages in any one-second window, answering 429 above it; the worker is set
just under it (--rate). Reports the achieved rate against the configured one (as the worker saw
its calls, and as the server saw them arrive), the 429s, and the store time per delivery.

    PYTHONPATH=. .venv/bin/python bench/bench_broadcast.py          # SQLite in a temp dir
    PYTHONPATH=. .venv/bin/python bench/bench_broadcast.py --db postgresql+asyncpg://postgres@127.0.0.1:5432/test
    PYTHONPATH=. .venv/bin/python bench/bench_broadcast.py --recipients 2000 --kill-after 600

With --kill-after N a first worker runs in its own process and is killed with SIGKILL once N
deliveries are recorded as sent; a second finishes the broadcast once the first's leases (2 s)
run out. The duplicates the server saw are what the crash cost.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import signal
import time
from datetime import timedelta
from typing import Any

from bench.fake_api import bench_store, drain, with_fake_api
from bot.telegram.transport import telegram_bot
from bot.telegram.worker import Worker
from storage.store import open_store
from tests.fake_telegram import TOKEN
from tests.test_worker import queue_broadcast, statuses


def crash_worker(url: str, port: int, rate: float) -> None:
    """Child process: a worker that runs until it is killed."""

    async def main() -> None:
        store = await open_store(url)
        bot = telegram_bot(TOKEN, f"http://127.0.0.1:{port}/bot", 64)
        async with bot:
            await Worker(store, bot, rate=rate, lease=timedelta(seconds=2), idle_poll=0.2).run()

    asyncio.run(main())


async def crash_first(url: str, port: int, args: argparse.Namespace, store: Any) -> dict[str, int]:
    """Run a worker in a child process and SIGKILL it after `args.kill_after` recorded sends."""
    child = multiprocessing.get_context("spawn").Process(
        target=crash_worker, args=(url, port, args.rate), daemon=True)
    child.start()
    while (await statuses(store)).get("sent", 0) < args.kill_after:
        await asyncio.sleep(0.01)
    os.kill(child.pid or 0, signal.SIGKILL)
    child.join(10)
    return await statuses(store)


async def run(args: argparse.Namespace, port: int) -> dict[str, Any]:
    async with bench_store(args.db) as (store, url):
        started = time.perf_counter()
        await queue_broadcast(store, args.recipients)
        queued = time.perf_counter() - started
        at_kill = await crash_first(url, port, args, store) if args.kill_after else {}
        sent = await drain(store, port, args.rate)
    return {**sent, "queued": queued, "at_kill": at_kill,
            "db": "postgresql" if args.db else "sqlite"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--limit", type=float, default=300.0, help="the fake server's flood limit /s")
    parser.add_argument("--rate", type=float, default=285.0, help="the worker's configured rate /s")
    parser.add_argument("--kill-after", type=int, default=0,
                        help="SIGKILL a first worker once this many are sent (counts duplicates)")
    parser.add_argument("--db", default="", help="a PostgreSQL URL (a temporary database is made)")
    args = parser.parse_args()

    result, seen = with_fake_api(args.limit, lambda port: run(args, port))

    stats = result["stats"]
    server_rate = (seen["ok"] - 1) / (seen["last"] - seen["first"])
    steady = [t for t in seen["refused_at"] if t - seen["first"] > 2.0]
    print(f"{args.recipients} recipients, {result['db']}, fake limit {args.limit:g}/s, "
          f"worker rate {args.rate:g}/s (queueing the broadcast took {result['queued']:.2f} s)")
    print(f"  sent {stats.sent}, failed {stats.failed}; the server accepted {seen['ok']} "
          f"for {seen['chats']} chats ({seen['duplicates']} duplicates)")
    if result["at_kill"]:
        print(f"  first worker killed at {result['at_kill'].get('sent', 0)} recorded sends with "
              f"{result['at_kill'].get('sending', 0)} rows claimed: {seen['duplicates']} "
              f"recipients got it twice")
    print(f"  achieved rate: worker {stats.achieved_rate():.1f}/s = "
          f"{stats.achieved_rate() / args.rate:.1%} of configured; server-side "
          f"{server_rate:.1f}/s = {server_rate / args.rate:.1%}")
    print(f"  429s seen: {len(seen['refused_at'])} ({len(steady)} after the first 2 s)")
    print(f"  store time per delivery: {1000 * stats.store_seconds / max(stats.sent, 1):.3f} ms "
          f"(claims, outcome batches, lease renewals; wall time in store calls)")
    print(f"  worker CPU per delivery: {1000 * result['cpu'] / max(stats.sent, 1):.3f} ms; "
          f"wall {result['wall']:.1f} s")


if __name__ == "__main__":
    main()
