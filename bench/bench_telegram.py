"""Telegram adapter throughput: updates per second through the whole adapter, with latency.

Run from the repository root:

    .venv/bin/python bench/bench_telegram.py                       # SQLite (a temporary file)
    .venv/bin/python bench/bench_telegram.py --db postgresql+asyncpg://postgres@127.0.0.1:5432/dips_bench

Everything real except Telegram: python-telegram-bot polls the local fake Bot API server
(tests/fake_telegram.py, real HTTP and JSON; in the same process unless --fake-process, so
its CPU is counted against the bot), updates are
de-duplicated in the store, the core handles each in its own transaction, and replies go back
over HTTP. Simulated SMEs each send their next update as soon as the previous one is fully
answered (a closed loop), so `--users` is the number of conversations in flight.

Latency is from the update being available to getUpdates until the adapter has sent the last
reply to it. "bot CPU" is this process's CPU time per update (adapter, core, store client),
the figure that bounds one process's rate on an idle core.

Two workloads: FAQ questions (reads, the FAQ answerer), and EOI steps (an SME
walking the whole expression-of-interest flow: a state write per step, an EOI at the end).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.settings import Settings  # noqa: E402
from bot.telegram import TelegramAdapter  # noqa: E402
from handlers.app import build_core, seed_catalogue  # noqa: E402
from handlers.messages import Reply  # noqa: E402
from storage import challenges  # noqa: E402
from storage.models import Base  # noqa: E402
from storage.store import Store, open_store  # noqa: E402
from tests.fake_telegram import TOKEN, FakeTelegram  # noqa: E402

QUESTIONS = (
    "what is DIPS",
    "how do I register interest in a challenge?",
    "who can apply",
    "what happens after I register interest",
    "how do I find council tenders",
    "what is SBRI",
    "how long does the accelerator last",
    "do I need to be based in Birmingham",
)


# ---- the fake Bot API in its own process (--fake-process) ----

def _serve_fake(port_out: Any, ready: Any) -> None:
    async def main() -> None:
        fake = FakeTelegram()
        await fake.start()
        control = web.Application()

        async def push(request: web.Request) -> web.Response:
            # Ids are given on arrival, as Telegram does: concurrent pushes may arrive out of
            # the order they were made, and an id below the confirmed offset is never served.
            updates = await request.json()
            for update in updates:
                update["update_id"] = fake.next_update_id()
            fake.push(*updates)
            return web.json_response([u["update_id"] for u in updates])

        control.router.add_post("/push", push)
        runner = web.AppRunner(control, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_out.value = fake.port * 100000 + site._server.sockets[0].getsockname()[1]
        ready.set()
        while True:
            await asyncio.sleep(5)
            fake.calls.clear()  # nothing reads them here; keep memory flat

    asyncio.run(main())


class Clients:
    """Simulated SMEs: each sends its next update once the previous one is answered."""

    def __init__(self, control_url: str, adapter: TelegramAdapter,
                 local: FakeTelegram | None = None) -> None:
        self.control_url = control_url
        self.local = local  # the fake in this process: push directly
        self.waiting: dict[int, asyncio.Future[float]] = {}
        self.finished: dict[int, float] = {}  # done before the push's answer came back
        self.latencies: list[float] = []
        self.http: aiohttp.ClientSession | None = None
        self.timeout = 30.0  # seconds one update may wait for its replies
        adapter.observers.append(self._done)

    def _done(self, update_id: int, outcome: str) -> None:
        if outcome == "error":
            print(f"update {update_id}: error", file=sys.stderr)
        future = self.waiting.pop(update_id, None)
        if future is None:
            self.finished[update_id] = time.perf_counter()
        elif not future.done():
            future.set_result(time.perf_counter())

    async def send(self, update: dict[str, Any]) -> None:
        assert self.http is not None
        started = time.perf_counter()
        if self.local is not None:
            update_id = update["update_id"] = self.local.next_update_id()
            self.local.push(update)
        else:
            async with self.http.post(self.control_url, json=[update]) as response:
                response.raise_for_status()
                [update_id] = await response.json()
        ended = self.finished.pop(update_id, None)
        if ended is None:
            future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            self.waiting[update_id] = future
            ended = await asyncio.wait_for(future, self.timeout)
        self.latencies.append(ended - started)

    def message(self, user: int, body: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": 1, "date": int(time.time()), "text": body,
            "chat": {"id": user, "type": "private"},
            "from": {"id": user, "is_bot": False, "first_name": "SME"}}
        if body.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(body.split(" ")[0])}]
        return {"update_id": 0, "message": message}

    def press(self, user: int, data: str) -> dict[str, Any]:
        return {"update_id": 0, "callback_query": {
            "id": str(user), "from": {"id": user, "is_bot": False, "first_name": "SME"},
            "chat_instance": "c", "data": data,
            "message": {"message_id": 1, "date": int(time.time()),
                        "chat": {"id": user, "type": "private"}}}}


async def faq_user(clients: Clients, user: int, count: int) -> int:
    for i in range(count):
        await clients.send(clients.message(user, QUESTIONS[(user + i) % len(QUESTIONS)]))
    return count


async def eoi_user(clients: Clients, user: int, ref: str) -> int:
    steps = [
        clients.message(user, f"/interest {ref}"),
        clients.message(user, f"Bench Company {user}"),
        clients.press(user, "f:size:small"),
        clients.press(user, "f:country:United Kingdom"),
        clients.message(user, "Birmingham"),
        clients.press(user, "f:website:-"),
        clients.message(user, "Pat Bench"),
        clients.message(user, f"pat{user}@example.com"),
        clients.message(user, "We would deploy low-cost sensors and share the data openly."),
        clients.press(user, "f:consent:yes"),
        clients.press(user, "f:confirm:submit"),
    ]
    for update in steps:
        await clients.send(update)
    return len(steps)


async def fresh(url: str) -> Store:
    store = await open_store(url)
    if store.dialect == "postgresql":
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        async with store.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await seed_catalogue(store)
    return store


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class EchoCore:
    """--adapter-only: a core that answers at once, to see the adapter's own cost."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.real = build_core(store)

    def today(self) -> Any:
        return self.real.today()

    async def handle(self, message: Any) -> list[Reply]:
        return [Reply(f"You said: {message.text or message.command or message.button}")]


async def run(url: str, users: int, rounds: int, api_url: str, control_url: str,
              adapter_only: bool = False) -> None:
    local = None
    if not api_url:  # the fake shares this process (and its CPU) with the bot
        local = await FakeTelegram().start()
        api_url = local.api_url
    store = await fresh(url)
    core: Any = EchoCore(store) if adapter_only else build_core(store)
    async with store.session() as session:
        refs = [c.ref for c in await challenges.list_challenges(session, open_on=core.today())]
    adapter = TelegramAdapter(core, Settings(telegram_token=TOKEN, telegram_api_url=api_url))
    await adapter.start()
    clients = Clients(control_url, adapter, local)
    async with aiohttp.ClientSession() as clients.http:
        await asyncio.gather(*(faq_user(clients, 10_000 + u, 3) for u in range(users)))  # warm
        for name in ("faq", "eoi"):
            clients.latencies = []
            started, cpu = time.perf_counter(), time.process_time()
            if name == "faq":
                jobs = [faq_user(clients, 20_000 + u, rounds * 11) for u in range(users)]
            else:  # one EOI per SME and challenge: new SMEs for every round
                jobs = [eoi_user(clients, 30_000 + r * users + u, refs[r % len(refs)])
                        for r in range(rounds) for u in range(users)]
                jobs = [_chain(jobs[u::users]) for u in range(users)]
            total = sum(await asyncio.gather(*jobs))
            elapsed = time.perf_counter() - started
            cpu_ms = (time.process_time() - cpu) / total * 1000
            lat = clients.latencies
            label = f"{name} (adapter only)" if adapter_only else name
            print(f"{store.dialect:10} {label:4} users={users:3} updates={total:5} "
                  f"{total / elapsed:7.0f} updates/s  p50 {percentile(lat, .5) * 1000:6.1f} ms  "
                  f"p99 {percentile(lat, .99) * 1000:6.1f} ms  max {max(lat) * 1000:6.1f} ms  "
                  f"mean {statistics.fmean(lat) * 1000:5.1f} ms  "
                  f"bot CPU {cpu_ms:.2f} ms/update", flush=True)
    await adapter.stop()
    await store.close()
    if local is not None:
        await local.stop()


async def _chain(jobs: list[Any]) -> int:
    done = 0
    for job in jobs:
        done += await job
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="store URL (default: a temporary SQLite file)")
    parser.add_argument("--users", type=int, nargs="+", default=[8, 16, 32],
                        help="conversations in flight (one run for each)")
    parser.add_argument("--rounds", type=int, default=4,
                        help="EOIs walked per simulated user slot (11 updates each)")
    parser.add_argument("--fake-process", action="store_true",
                        help="run the fake Bot API in a process of its own (on a 2-vCPU VM the "
                             "cross-process wake-ups cost more than the fake itself)")
    parser.add_argument("--adapter-only", action="store_true",
                        help="a core that replies at once: the adapter's own cost")
    args = parser.parse_args()
    if not args.fake_process:
        with tempfile.TemporaryDirectory() as tmp:
            for users in args.users:
                url = args.db or f"sqlite+aiosqlite:///{Path(tmp) / f'bench{users}.db'}"
                asyncio.run(run(url, users, args.rounds, "", "", args.adapter_only))
        return
    logging.basicConfig(level=logging.WARNING)
    port = multiprocessing.Value("q", 0)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=_serve_fake, args=(port, ready), daemon=True)
    server.start()
    ready.wait(30)
    api_port, control_port = divmod(port.value, 100000)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for users in args.users:
                url = args.db or f"sqlite+aiosqlite:///{Path(tmp) / f'bench{users}.db'}"
                asyncio.run(run(url, users, args.rounds, f"http://127.0.0.1:{api_port}/bot",
                                f"http://127.0.0.1:{control_port}/push", args.adapter_only))
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
