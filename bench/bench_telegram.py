"""Telegram adapter throughput: updates per second through the whole adapter, with latency.

Run from the repository root:

    .venv/bin/python bench/bench_telegram.py                       # SQLite (a temporary file)
    .venv/bin/python bench/bench_telegram.py --db postgresql+asyncpg://postgres@127.0.0.1:5432/dips_bench

Everything real except Telegram: python-telegram-bot polls the local fake Bot API server
(tests/fake_telegram.py, real HTTP and JSON; in the same process unless --fake-process, so
its CPU is counted against the bot), updates are
de-duplicated in the store, the core handles each in its own transaction, and replies go back
over HTTP. Simulated SMEs each send their next update as soon as the previous one is fully
answered (a closed loop), so `--users` is the number of conversations in flight, for
`--seconds` per workload. "slowest second" is the fewest updates answered in any whole second
of the run: the sustained rate, which the bar (>= 300/s, p99 < 100 ms) is judged on.

Latency is from the update being available to getUpdates until the adapter has sent the last
reply to it. "bot CPU" is this process's CPU time per update (adapter, core, store client),
the figure that bounds one process's rate on an idle core.

Two workloads: FAQ questions (reads, the FAQ answerer), and EOI steps (an SME
walking the whole expression-of-interest flow: a state write per step, an EOI at the end).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import logging
import multiprocessing
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.settings import Settings  # noqa: E402
from bot.telegram.adapter import TelegramAdapter  # noqa: E402
from handlers.app import build_core, seed_catalogue  # noqa: E402
from handlers.kernel.messages import Reply  # noqa: E402
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
        self.done_at: list[float] = []  # when each update was fully answered
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
        self.done_at.append(ended)

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


async def faq_user(clients: Clients, user: int, until: float) -> int:
    """Questions in rotation until `until` (a perf_counter time)."""
    sent = 0
    while time.perf_counter() < until:
        await clients.send(clients.message(user, QUESTIONS[(user + sent) % len(QUESTIONS)]))
        sent += 1
    return sent


async def walk_eoi(clients: Clients, user: int, ref: str) -> int:
    """One SME's whole EOI, from /interest to the reference number."""
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


async def eoi_user(clients: Clients, slot: int, refs: list[str], until: float) -> int:
    """Whole EOIs until `until`, each by a new SME (one EOI per SME and challenge)."""
    sent = 0
    for round_ in itertools.count():
        if time.perf_counter() >= until:
            break
        sent += await walk_eoi(clients, 30_000 + slot * 100_000 + round_, refs[round_ % len(refs)])
    return sent


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


@dataclass
class Result:
    store: str
    workload: str
    users: int
    updates: int
    rate: float  # updates per second over the whole run
    slowest: int  # updates answered in the run's slowest whole second
    p50: float  # ms
    p99: float  # ms
    cpu: float  # this process's CPU ms per update

    @property
    def meets_bar(self) -> bool:
        """Issue 5's bar: at least 300 updates/s sustained, p99 under 100 ms."""
        return self.slowest >= 300 and self.p99 < 100

    def line(self) -> str:
        return (f"{self.store:10} {self.workload:4} users={self.users:3} updates={self.updates:6}"
                f" {self.rate:5.0f} updates/s (slowest second {self.slowest:4})  "
                f"p50 {self.p50:6.1f} ms  p99 {self.p99:6.1f} ms  "
                f"bot CPU {self.cpu:.2f} ms/update")


def slowest_second(done_at: list[float], started: float, ended: float) -> int:
    """The fewest updates answered in any whole one-second window of the run."""
    counts = collections.Counter(int(t - started) for t in done_at)
    return min((counts[i] for i in range(int(ended - started))), default=len(done_at))


async def run(url: str, users: int, seconds: float, api_url: str, control_url: str,
              adapter_only: bool = False) -> list[Result]:
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
    results = []
    async with aiohttp.ClientSession() as clients.http:
        warm_until = time.perf_counter() + 1
        await asyncio.gather(*(faq_user(clients, 10_000 + u, warm_until) for u in range(users)))
        for name in ("faq", "eoi"):
            clients.latencies, clients.done_at = [], []
            started, cpu = time.perf_counter(), time.process_time()
            until = started + seconds
            if name == "faq":
                jobs = [faq_user(clients, 20_000 + u, until) for u in range(users)]
            else:
                jobs = [eoi_user(clients, u, refs, until) for u in range(users)]
            total = sum(await asyncio.gather(*jobs))
            ended = time.perf_counter()
            latencies = clients.latencies
            result = Result(
                store=store.dialect, workload=f"{name} (adapter only)" if adapter_only else name,
                users=users, updates=total, rate=total / (ended - started),
                slowest=slowest_second(clients.done_at, started, ended),
                p50=percentile(latencies, .5) * 1000, p99=percentile(latencies, .99) * 1000,
                cpu=(time.process_time() - cpu) / total * 1000)
            print(result.line(), flush=True)
            results.append(result)
    await adapter.stop()
    await store.close()
    if local is not None:
        await local.stop()
    return results



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="store URL (default: a temporary SQLite file)")
    parser.add_argument("--users", type=int, nargs="+", default=[8, 16],
                        help="conversations in flight (one run for each)")
    parser.add_argument("--seconds", type=float, default=10,
                        help="how long each workload is sustained (default 10)")
    parser.add_argument("--fake-process", action="store_true",
                        help="run the fake Bot API in a process of its own (on a 2-vCPU VM the "
                             "cross-process wake-ups cost more than the fake itself)")
    parser.add_argument("--adapter-only", action="store_true",
                        help="a core that replies at once: the adapter's own cost")
    args = parser.parse_args()
    results: list[Result] = []
    server = None
    if args.fake_process:
        logging.basicConfig(level=logging.WARNING)
        port = multiprocessing.Value("q", 0)
        ready = multiprocessing.Event()
        server = multiprocessing.Process(target=_serve_fake, args=(port, ready), daemon=True)
        server.start()
        ready.wait(30)
        api_port, control_port = divmod(port.value, 100000)
        api_url = f"http://127.0.0.1:{api_port}/bot"
        control_url = f"http://127.0.0.1:{control_port}/push"
    else:
        api_url = control_url = ""
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for users in args.users:
                url = args.db or f"sqlite+aiosqlite:///{Path(tmp) / f'bench{users}.db'}"
                results += asyncio.run(run(url, users, args.seconds, api_url, control_url,
                                           args.adapter_only))
    finally:
        if server is not None:
            server.terminate()
    print("\nbar (>= 300 updates/s in every second, p99 < 100 ms): "
          + ", ".join(f"{r.workload}/{r.users} {'met' if r.meets_bar else 'NOT met'}"
                      for r in results))



if __name__ == "__main__":
    main()
