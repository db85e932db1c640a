"""Two `dips run` processes in webhook mode sharing one store, as two replicas behind a load
balancer: a user's messages alternate between them and the conversation carries on as one.

Real processes, real python-telegram-bot, the local fake Bot API; the store is the test's
(PostgreSQL when DIPS_TEST_DATABASE_URL is set, else one SQLite file both processes open).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.settings import Settings
from bot.telegram.adapter import webhook_secret
from handlers.app import seed_samples
from storage import eois
from storage.store import Store
from tests.conftest import free_port
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.journeys import journey_to_eoi

DIPS = Path(sys.executable).with_name("dips")
USER = 5150
SECRET = webhook_secret(Settings(telegram_token=TOKEN))


@dataclass
class Replica:
    process: asyncio.subprocess.Process
    url: str


@pytest.fixture
async def replicas(tmp_path: Path, store: Store, db_url: str
                   ) -> AsyncIterator[tuple[FakeTelegram, list[Replica]]]:
    """Both processes start together on an empty store (seeding and migrations race). A
    PostgreSQL store is never seeded with the sample challenges by `dips run` (issue 15): there
    the samples the journey uses are added first, as `dips challenges seed-samples` would."""
    if store.dialect == "postgresql":
        await seed_samples(store, "test")
    fake = await FakeTelegram().start()
    started: list[Replica] = []
    ready = False
    for _ in range(2):
        port = free_port()
        url = f"http://127.0.0.1:{port}/telegram/hook"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DIPS_")}
        env.update(DIPS_TELEGRAM_TOKEN=TOKEN, DIPS_TELEGRAM_API_URL=fake.api_url,
                   DIPS_TELEGRAM_WEBHOOK_URL=url, DIPS_TELEGRAM_PORT=str(port),
                   DIPS_TELEGRAM_LISTEN="127.0.0.1", DIPS_DATABASE_URL=db_url)
        process = await asyncio.create_subprocess_exec(
            str(DIPS), "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        started.append(Replica(process, url))
    try:
        async with asyncio.timeout(60):  # setWebhook comes once the replica's server listens
            while len(fake.sent(method="setWebhook")) < 2:
                for replica in started:
                    assert replica.process.returncode is None, await replica.process.stderr.read()
                await asyncio.sleep(0.05)
        ready = True
        yield fake, started
    finally:
        for replica in started:
            if replica.process.returncode is None:
                replica.process.send_signal(signal.SIGTERM)
        for replica in started:
            _, stderr = await asyncio.wait_for(replica.process.communicate(), 30)
            if ready:  # a clean stop, and no error on the way
                assert replica.process.returncode == 0, stderr.decode()
                assert b"Traceback" not in stderr, stderr.decode()
        await fake.stop()


async def post(replica: Replica, update: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as http, http.post(
            replica.url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
        assert response.status == 200


async def test_alternate_messages_make_one_conversation(
        replicas: tuple[FakeTelegram, list[Replica]], store: Store) -> None:
    fake, pair = replicas
    turn = 0

    async def step(update: dict[str, Any], expect: str) -> str:
        nonlocal turn
        since = len(fake.calls)
        await post(pair[turn % 2], update)
        turn += 1
        return await fake.wait_for_text(USER, expect, since, timeout=30)

    async def say(text: str, expect: str) -> str:
        return await step(fake.message(USER, text), expect)

    async def press(label: str, expect: str) -> str:
        return await step(fake.callback(USER, fake.button(USER, label)), expect)

    # Each step goes to the other replica: the one that asked a question is never the one
    # that reads its answer, so the conversation lives in the store or nowhere.
    reference = await journey_to_eoi(fake, USER, say, press, org="Relay Robotics", website=None,
                                     contact="Jo Bloggs", email="jo@example.com")
    assert reference in await say("/my", reference)

    # The same update reaching both replicas (a redelivery after a timeout) is handled once.
    since = len(fake.calls)
    update = fake.message(USER, "/my")
    await asyncio.gather(post(pair[0], update), post(pair[1], update))
    await fake.wait_for_text(USER, reference, since, timeout=30)
    await asyncio.sleep(0.5)  # room for a second, wrong, answer to arrive
    answers = [c for c in fake.calls[since:] if c.method == "sendMessage"]
    assert len(answers) == 1

    async with store.session() as session:
        rows = await eois.list_eois(session)
    assert [(e.reference, e.organisation.name, e.contact.email, e.stage) for e in rows] == [
        (reference, "Relay Robotics", "jo@example.com", "submitted")]
