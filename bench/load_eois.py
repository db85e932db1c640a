"""Load test: 1,000 simulated SMEs completing expressions of interest at the same time.

Run from the repository root (PostgreSQL is the deployment store; a throw-away database is
created and dropped):

    .venv/bin/python bench/load_eois.py                       # 1,000 SMEs on PostgreSQL
    .venv/bin/python bench/load_eois.py --smes 200 --db sqlite

Everything real except Telegram: python-telegram-bot long-polls the local fake Bot API
(tests/fake_telegram.py), every update is de-duplicated and handled by the core in the store,
replies go back over HTTP. All SMEs start together; each sends its next step as soon as the
previous one is answered. Reported: EOIs stored against expected, handler errors, duplicate
EOIs (an organisation with two on one challenge, or a reference shown twice), and p50/p99
reply time per update.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_telegram import Clients, fresh, percentile, walk_eoi  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.telegram.adapter import TelegramAdapter  # noqa: E402
from handlers.app import build_core  # noqa: E402
from storage import challenges  # noqa: E402
from storage.models import Eoi  # noqa: E402
from tests.fake_telegram import TOKEN, FakeTelegram  # noqa: E402

PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def load(url: str, smes: int) -> dict[str, float]:
    fake = await FakeTelegram().start()
    store = await fresh(url)
    core = build_core(store)
    async with store.session() as session:
        refs = [c.ref for c in await challenges.list_challenges(session, open_on=core.today())]
    adapter = TelegramAdapter(core, Settings(telegram_token=TOKEN, telegram_api_url=fake.api_url))
    errors: list[int] = []
    adapter.observers.append(lambda update_id, outcome: outcome == "error" and errors.append(1))
    await adapter.start()
    clients = Clients("", adapter, fake)
    clients.timeout = 600.0  # a thousand SMEs at once queue behind each other: wait, don't fail
    started = time.perf_counter()
    async with aiohttp.ClientSession() as clients.http:
        await asyncio.gather(*(walk_eoi(clients, 50_000 + n, refs[n % len(refs)])
                               for n in range(smes)))
    elapsed = time.perf_counter() - started
    await adapter.stop()
    async with store.session() as session:
        stored = await session.scalar(select(func.count()).select_from(Eoi))
        pairs = await session.scalar(select(func.count()).select_from(
            select(Eoi.organisation_id, Eoi.challenge_id).distinct().subquery()))
    references = [t for t in fake.texts() if "Your reference: EOI-" in t]
    shown = [t.split("Your reference: ")[1].split()[0] for t in references]
    await store.close()
    await fake.stop()
    lat = clients.latencies
    return {"smes": smes, "eois_stored": stored, "duplicates": stored - pairs
            + len(shown) - len(set(shown)), "errors": len(errors),
            "references_shown": len(set(shown)), "updates": len(lat),
            "updates_per_s": len(lat) / elapsed, "p50_ms": percentile(lat, .5) * 1000,
            "p99_ms": percentile(lat, .99) * 1000, "seconds": elapsed}


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(make_url(PG).set(drivername="postgresql").render_as_string(False))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smes", type=int, default=1000)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args()
    if args.db == "postgresql":
        name = f"dips_load_{uuid.uuid4().hex[:8]}"
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        try:
            result = asyncio.run(load(make_url(PG).set(database=name).render_as_string(False),
                                      args.smes))
        finally:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = asyncio.run(load(f"sqlite+aiosqlite:///{tmp}/load.db", args.smes))
    print(f"{args.db}: {result['smes']} SMEs, {result['eois_stored']} EOIs stored, "
          f"{result['errors']} errors, {result['duplicates']} duplicates, "
          f"{result['updates']} updates in {result['seconds']:.1f} s "
          f"({result['updates_per_s']:.0f}/s), reply p50 {result['p50_ms']:.0f} ms, "
          f"p99 {result['p99_ms']:.0f} ms")
    ok = (result["eois_stored"] == result["smes"] and not result["errors"]
          and not result["duplicates"])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
