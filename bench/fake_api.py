"""What the delivery benchmarks share (bench_broadcast.py, bench_reminders.py): the fake Bot API
in its own process with a flood limit, a throw-away store, and one worker's timed drain."""

from __future__ import annotations

import asyncio
import collections
import gc
import multiprocessing
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from multiprocessing.connection import Connection
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from bot.telegram.transport import telegram_bot
from bot.telegram.worker import Worker
from storage.store import Store, open_store
from tests.fake_telegram import TOKEN, FakeTelegram


def serve_fake(conn: Connection, limit: float) -> None:
    """Child process: the fake Bot API with a flood limit; answers 'stop' with its counts of
    send calls (sendMessage, sendDocument): accepted, when, refused, chats, duplicates."""

    async def main() -> None:
        # The fake stands in for Telegram's servers: its own GC pauses (10,000 recorded calls)
        # would bunch arrivals into its one-second window and fake a flood.
        gc.disable()
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


def with_fake_api(limit: float, work: Callable[[int], Awaitable[dict[str, Any]]],
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run `work(port)` against the fake Bot API in a child process; its result, and what the
    fake saw."""
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve_fake, args=(child, limit), daemon=True)
    server.start()
    if not parent.poll(60):
        raise SystemExit("the fake Bot API did not start within a minute")
    port = parent.recv()
    result = asyncio.run(work(port))
    parent.send("stop")
    seen = parent.recv()
    server.join(10)
    return result, seen


async def fresh_pg(url: str) -> tuple[str, str]:
    """A throw-away database next to `url` (so the benchmark never touches real data)."""
    name = f"dips_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return make_url(url).set(database=name).render_as_string(hide_password=False), name


async def drop_pg(url: str, name: str) -> None:
    admin = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


@asynccontextmanager
async def bench_store(db: str) -> AsyncIterator[tuple[Store, str]]:
    """A fresh store and its URL: a temporary PostgreSQL database next to `db`, dropped after,
    or SQLite in a temporary folder when `db` is empty."""
    pg_name = None
    if db:
        url, pg_name = await fresh_pg(db)
    else:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    store = await open_store(url)
    try:
        yield store, url
    finally:
        await store.close()
        if pg_name:
            await drop_pg(db, pg_name)


async def drain(store: Store, port: int, rate: float) -> dict[str, Any]:
    """One Telegram worker, built as `dips worker` builds it, sends everything queued: its
    stats, and the wall and CPU seconds it took."""
    bot = telegram_bot(TOKEN, f"http://127.0.0.1:{port}/bot", 64)
    worker = Worker(store, bot, rate=rate, idle_poll=0.2)
    cpu = time.process_time()
    async with bot:
        started = time.perf_counter()
        stats = await worker.run(until_idle=True)
        wall = time.perf_counter() - started
    return {"stats": stats, "wall": wall, "cpu": time.process_time() - cpu}
