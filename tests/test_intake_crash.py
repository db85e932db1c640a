"""`dips run` killed with SIGKILL while SMEs are writing to it, then restarted (issue 20, 1).

Polling and webhook, on the test's store (SQLite, or PostgreSQL with DIPS_TEST_DATABASE_URL).
Every update sent must reach the core exactly once: its id claimed in the store (the claim sits
in the core's transaction with the update's effects), and no chat answered more often than its
user wrote. Before the fix the adapter confirmed updates it had merely fetched (polling) or
answered 200 before handling them (webhook), so those in hand at the kill were lost.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from bot.telegram.adapter import webhook_secret
from bot.telegram.intake import Intake
from storage.models import InboxUpdate, ProcessedUpdate
from storage.store import Store
from tests.conftest import free_port
from tests.fake_telegram import TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
USERS = 20
MESSAGES = 15  # each; 300 updates in all (modest: each variant starts `dips run` twice)
KILL_AFTER = 80  # replies seen before the SIGKILL
SECRET = webhook_secret(Settings(telegram_token=TOKEN))


async def start_run(tmp_path: Path, db_url: str, fake: FakeTelegram, log: str,
                    webhook: tuple[str, int] | None) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPS_")}
    env.update(DIPS_TELEGRAM_TOKEN=TOKEN, DIPS_TELEGRAM_API_URL=fake.api_url,
               DIPS_DATABASE_URL=db_url, DIPS_LOG_LEVEL="WARNING")
    if webhook is not None:
        env.update(DIPS_TELEGRAM_WEBHOOK_URL=webhook[0], DIPS_TELEGRAM_PORT=str(webhook[1]),
                   DIPS_TELEGRAM_LISTEN="127.0.0.1")
    with open(tmp_path / log, "wb") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=ROOT, env=env, stdout=out, stderr=out)


async def claimed(store: Store) -> int:
    async with store.session() as session:
        return int(await session.scalar(select(func.count()).select_from(ProcessedUpdate)
                                        .where(ProcessedUpdate.platform == "telegram")) or 0)


async def inbox_rows(store: Store) -> int:
    async with store.session() as session:
        return int(await session.scalar(select(func.count()).select_from(InboxUpdate)) or 0)


async def until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def post_until_taken(url: str, update: dict[str, Any]) -> None:
    """As Telegram does: deliver again until the webhook answers 2xx."""
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.post(url, json=update, timeout=aiohttp.ClientTimeout(total=30),
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                    if r.status < 300:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.2)


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_sigkill_under_load_loses_and_repeats_nothing(
        mode: str, store: Store, db_url: str, tmp_path: Path) -> None:
    from handlers.app import seed_catalogue

    await seed_catalogue(store)  # as the first start would, so both processes start alike
    fake = await FakeTelegram().start()
    webhook = None
    if mode == "webhook":
        port = free_port()
        webhook = (f"http://127.0.0.1:{port}/telegram/hook", port)
    sent: list[dict[str, Any]] = []
    senders: list[asyncio.Task[None]] = []
    first = second = None
    try:
        first = await start_run(tmp_path, db_url, fake, "first.log", webhook)
        await until(lambda: _ready(fake, mode), 60, "the first process to start")

        async def user(chat: int) -> None:
            for n in range(MESSAGES):
                update = fake.message(chat, "/help" if n % 2 else "/start")
                sent.append(update)
                if webhook is None:
                    fake.push(update)
                    await asyncio.sleep(0.02)
                else:
                    await post_until_taken(webhook[0], update)

        senders = [asyncio.create_task(user(9000 + u)) for u in range(USERS)]

        async def some_answered() -> bool:
            return len(fake.sent()) >= KILL_AFTER

        await until(some_answered, 60, f"{KILL_AFTER} replies")
        first.send_signal(signal.SIGKILL)
        await first.wait()
        answered_at_kill, claimed_at_kill = len(fake.sent()), await claimed(store)
        in_inbox_at_kill = await inbox_rows(store)

        second = await start_run(tmp_path, db_url, fake, "second.log", webhook)
        await asyncio.wait_for(asyncio.gather(*senders), 120)
        total = USERS * MESSAGES

        async def all_claimed() -> bool:
            return await claimed(store) >= total

        await until(all_claimed, 120, "every update to be handled")
        await asyncio.sleep(0.5)  # room for a wrong second answer to arrive
        if mode == "polling":  # cleared while running, not left for the stop (the poller is
            # in a 30 s long poll by now, so only clearing as handling ends gets here)
            async def inbox_empty() -> bool:
                return await inbox_rows(store) == 0

            await until(inbox_empty, 10, "the handled updates to leave the inbox")
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 60) == 0
    finally:
        for task in senders:
            task.cancel()
        for process in (first, second):  # never leave a process behind a failed test
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
        await fake.stop()
    async with store.session() as session:
        ids = set(await session.scalars(select(ProcessedUpdate.update_id)
                                        .where(ProcessedUpdate.platform == "telegram")))
    lost = [u["update_id"] for u in sent if u["update_id"] not in ids]
    written = collections.Counter(u["message"]["chat"]["id"] for u in sent)
    answers = collections.Counter(int(c.params["chat_id"]) for c in fake.sent())
    repeated = {chat: answers[chat] - written[chat] for chat in written if answers[chat] > written[chat]}
    print(f"\n{mode}: killed after {answered_at_kill} replies ({claimed_at_kill} updates "
          f"claimed, {in_inbox_at_kill} fetched and kept, not yet handled); {len(sent)} sent, "
          f"{len(lost)} lost, {sum(repeated.values())} repeated")
    assert len(sent) == USERS * MESSAGES
    assert lost == []
    assert repeated == {}
    assert len(ids) == len(sent)
    if mode == "polling":  # the kill caught updates taken and not handled: the inbox kept them
        assert in_inbox_at_kill > 0
        assert await inbox_rows(store) == 0  # and each was cleared once handled
    log = (tmp_path / "second.log").read_text()
    assert "Traceback" not in log, log


async def _ready(fake: FakeTelegram, mode: str) -> bool:
    return bool(fake.sent(method="setWebhook" if mode == "webhook" else "deleteWebhook"))


class SwallowingBot:
    """A getUpdates that swallows its cancellation, as Python 3.11's `asyncio.wait_for` can."""

    def __init__(self) -> None:
        self.calls = 0

    async def get_updates(self, **_: Any) -> list[Any]:
        self.calls += 1
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0.5)
        return []


async def test_the_poller_stops_even_when_its_cancellation_is_swallowed(store: Store) -> None:
    """The CI stall: a stopped adapter whose poller went on polling for ever."""
    intake = Intake(store.engine)
    bot = SwallowingBot()
    task = asyncio.create_task(intake.poll(bot, asyncio.Queue(), 1, []))  # type: ignore[arg-type]
    while not bot.calls:
        await asyncio.sleep(0.01)
    await intake.stop_polling(task, grace=5.0)
    assert task.done()
    assert bot.calls == 1


async def test_a_cancelled_run_waits_for_every_service_to_finish_stopping() -> None:
    """SIGTERM cancels `dips run`: a bare gather returned when the quickest service (the
    delivery worker) was cancelled, and the store closed under the Telegram adapter's stop,
    cutting off its last inbox DELETE."""
    from bot.cli.serve import run_all

    stopped: list[str] = []

    async def quick() -> None:
        await asyncio.Event().wait()

    async def slow_to_stop() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            for _ in range(5):  # a stop that awaits several times, as adapter.stop() does
                await asyncio.sleep(0)
            stopped.append("slow")

    runner = asyncio.create_task(run_all([quick(), slow_to_stop()]))
    await asyncio.sleep(0.01)
    runner.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await runner
    assert stopped == ["slow"]
