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
import time
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bench.fake_api import bench_store, drain, with_fake_api
from handlers.domain.calendar import CalendarConfig
from handlers.domain.scheduler import Scheduler
from tests.calendar_helpers import add_challenge, add_followers

CLOSES = date(2027, 6, 18)


async def run(args: argparse.Namespace, port: int) -> dict[str, Any]:
    async with bench_store(args.db) as (store, _):
        cid = await add_challenge(store, "bench", CLOSES)
        await add_followers(store, cid, args.followers, first=100_000)
        at = datetime(2027, 6, 16, 17, 0, tzinfo=ZoneInfo("Europe/London"))
        started = time.perf_counter()
        ran = await Scheduler(store, CalendarConfig(), lambda: at).tick()
        queued = time.perf_counter() - started
        assert "reminder_48h" in ran, ran
        sent = await drain(store, port, args.rate)
    return {**sent, "queued": queued, "db": "postgresql" if args.db else "sqlite"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--limit", type=float, default=300.0, help="the fake's flood limit /s")
    parser.add_argument("--rate", type=float, default=285.0, help="the worker's rate, calls/s")
    parser.add_argument("--db", default="", help="a PostgreSQL URL (a temporary database is made)")
    args = parser.parse_args()

    result, seen = with_fake_api(args.limit, lambda port: run(args, port))

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
