"""Deadline reminders: the scheduler queues a 48-hour reminder to 10,000 followers, and one
delivery worker sends each its message and .ics calendar file at the configured rate.

Same harness as bench_broadcast.py: the fake Bot API in its own process with a flood limit of
--limit sends in any one-second window; the worker configured just under it (--rate, API calls
a second: a reminder is one call, the .ics file with the reminder as its caption and buttons).
Reports how long the scheduler took to queue the run, the achieved rate against the
configured one, 429s and duplicates.

    PYTHONPATH=. .venv/bin/python bench/bench_reminders.py          # SQLite in a temp dir
    PYTHONPATH=. .venv/bin/python bench/bench_reminders.py --db postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import multiprocessing
import tempfile
import time
from datetime import date, datetime
from multiprocessing.connection import Connection
from typing import Any
from zoneinfo import ZoneInfo

from bench.bench_broadcast import drop_pg, fresh_pg
from bot.telegram.transport import telegram_bot
from bot.telegram.worker import Worker
from handlers.domain.calendar import CalendarConfig
from handlers.domain.scheduler import Scheduler
from storage.store import open_store
from tests.calendar_helpers import add_challenge, add_followers
from tests.fake_telegram import TOKEN, FakeTelegram

CLOSES = date(2027, 6, 18)


def serve_fake(conn: Connection, limit: float) -> None:
    """Child process: the fake Bot API with a flood limit; answers 'stop' with its counts of
    sendDocument calls (a reminder is one: the .ics with the reminder as its caption)."""

    async def main() -> None:
        gc.disable()  # its own GC pauses would bunch arrivals into one second (see bench_broadcast)
        fake = await FakeTelegram().start()
        fake.limit_rate(limit)
        conn.send(fake.port)
        while not conn.poll():
            await asyncio.sleep(0.05)
        conn.recv()
        sends = [c for c in fake.calls if c.method.startswith("send")]
        ok = [c.at for c in sends if c.ok]
        counts = collections.Counter(int(c.params["chat_id"]) for c in sends if c.ok)
        conn.send({"ok": len(ok), "first": min(ok), "last": max(ok),
                   "refused_at": [c.at for c in sends if not c.ok], "chats": len(counts),
                   "duplicates": sum(n - 1 for n in counts.values())})
        await fake.stop()

    asyncio.run(main())


async def run(args: argparse.Namespace, port: int) -> dict[str, Any]:
    pg_name = None
    if args.db:
        url, pg_name = await fresh_pg(args.db)
    else:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    store = await open_store(url)
    try:
        cid = await add_challenge(store, "bench", CLOSES)
        await add_followers(store, cid, args.followers, first=100_000)
        at = datetime(2027, 6, 16, 17, 0, tzinfo=ZoneInfo("Europe/London"))
        started = time.perf_counter()
        ran = await Scheduler(store, CalendarConfig(), lambda: at).tick()
        queued = time.perf_counter() - started
        assert "reminder_48h" in ran, ran
        bot = telegram_bot(TOKEN, f"http://127.0.0.1:{port}/bot")  # as `dips worker` makes it
        worker = Worker(store, bot, rate=args.rate, idle_poll=0.2)
        cpu = time.process_time()
        async with bot:
            started = time.perf_counter()
            stats = await worker.run(until_idle=True)
            wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
    finally:
        await store.close()
        if pg_name:
            await drop_pg(args.db, pg_name)
    return {"stats": stats, "wall": wall, "cpu": cpu, "queued": queued,
            "db": "postgresql" if args.db else "sqlite"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--limit", type=float, default=300.0, help="the fake's flood limit /s")
    parser.add_argument("--rate", type=float, default=285.0, help="the worker's rate, calls/s")
    parser.add_argument("--db", default="", help="a PostgreSQL URL (a temporary database is made)")
    args = parser.parse_args()

    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve_fake, args=(child, args.limit), daemon=True)
    server.start()
    if not parent.poll(60):
        raise SystemExit("the fake Bot API did not start within a minute")
    port = parent.recv()
    result = asyncio.run(run(args, port))
    parent.send("stop")
    seen = parent.recv()
    server.join(10)

    stats = result["stats"]
    print(f"{args.followers} followers, {result['db']}, fake limit {args.limit:g}/s, worker rate "
          f"{args.rate:g} calls/s; the scheduler queued the run in {result['queued']:.2f} s")
    server_rate = (seen["ok"] - 1) / (seen["last"] - seen["first"])
    print(f"  reminders sent {stats.sent}, failed {stats.failed}; the server accepted "
          f"{seen['ok']} for {seen['chats']} chats ({seen['duplicates']} duplicates)")
    print(f"  achieved rate: worker {stats.achieved_rate():.1f}/s = "
          f"{stats.achieved_rate() / args.rate:.1%} of configured; server-side "
          f"{server_rate:.1f}/s = {server_rate / args.rate:.1%}")
    print(f"  429s seen: {len(seen['refused_at'])}; wall {result['wall']:.1f} s; "
          f"worker CPU per reminder {1000 * result['cpu'] / max(stats.sent, 1):.2f} ms")


if __name__ == "__main__":
    main()
