"""Health and metrics: every serving mode answers /healthz, /readyz and /metrics on
DIPS_HEALTH_PORT; readiness follows the store (fails while it can't be reached, recovers after);
the queue's figures come from the store; start-up says what runs, on which store."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import shutil
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from bot import health
from bot.cli.serve import cmd_run, cmd_worker
from bot.settings import Settings
from handlers.domain.outbound import to_payload
from handlers.kernel.messages import Reply
from storage.models import Delivery, utcnow
from storage.store import Store, open_store
from tests.conftest import database_url, free_port
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.test_outage import Proxy


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = await FakeTelegram().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    yield fake
    await fake.stop()


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def wait_until_up(base: str, task: asyncio.Task[Any]) -> None:
    deadline = time.monotonic() + 30
    while True:
        if task.done():
            task.result()  # raises what stopped it
            raise AssertionError("the serving command returned")
        with contextlib.suppress(aiohttp.ClientError):
            if (await get(f"{base}/healthz"))[0] == 200:
                return
        assert time.monotonic() < deadline, "no health server"
        await asyncio.sleep(0.1)


def metric(text: str, name: str, **labels: str) -> float:
    """One sample's value from Prometheus text."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {name}{labels} in metrics")


async def queue(store: Store, platform: str, chat_id: str, waited: float) -> None:
    """A message for `chat_id`, due for `waited` seconds already."""
    async with store.session() as session:
        session.add(Delivery(platform=platform, chat_id=chat_id, kind="notice",
                             payload=to_payload(Reply("Hello from the queue")), status="pending",
                             attempts=0, not_before=utcnow() - timedelta(seconds=waited)))


@contextlib.asynccontextmanager
async def serving(command: Any, settings: Settings) -> AsyncIterator[str]:
    """Run a `dips` serving command in this process; yields its health server's base URL."""
    task = asyncio.create_task(command(argparse.Namespace(), settings))
    base = f"http://127.0.0.1:{settings.health_port}"
    try:
        await wait_until_up(base, task)
        yield base
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def settings_for(db_url: str, **extra: Any) -> Settings:
    return Settings(database_url=db_url, health_port=free_port(), health_listen="127.0.0.1", **extra)


async def check_endpoints(base: str) -> str:
    assert await get(f"{base}/healthz") == (200, "ok\n")
    assert await get(f"{base}/readyz") == (200, "ready\n")
    status, text = await get(f"{base}/metrics")
    assert status == 200
    for name in ("dips_updates_handled_total", "dips_updates_failed_total", "dips_reply_seconds_bucket",
                 "dips_deliveries_sent_total", "dips_deliveries_failed_total",
                 "dips_deliveries_pending", "dips_delivery_oldest_pending_seconds"):
        assert f"# HELP {name.removesuffix('_bucket')} " in text, name
    return text


# ---- each serving mode ----

async def test_telegram_polling_counts_updates_and_reads_the_queue_from_the_store(
        telegram: FakeTelegram, store: Store, db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "dips")
    await queue(store, "slack", "C1", waited=120)  # no Slack worker in this process: it waits
    settings = settings_for(db_url, telegram_token=TOKEN, telegram_api_url=telegram.api_url)
    before = health.UPDATES_HANDLED.labels("telegram")._value.get()
    async with serving(cmd_run, settings) as base:
        text = await check_endpoints(base)
        assert metric(text, "dips_deliveries_pending", platform="slack") == 1
        assert 110 < metric(text, "dips_delivery_oldest_pending_seconds", platform="slack") < 600
        assert metric(text, "dips_deliveries_pending", platform="telegram") == 0
        telegram.push(telegram.message(42, "/start"))
        await telegram.wait_for_text(42, "Welcome")
        deadline = time.monotonic() + 10
        while metric((await get(f"{base}/metrics"))[1], "dips_updates_handled_total",
                     platform="telegram") < before + 1:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        text = (await get(f"{base}/metrics"))[1]
        assert metric(text, "dips_reply_seconds_count", platform="telegram") >= 1
    started = [r.getMessage() for r in caplog.records if "DIPS Assistant started" in r.getMessage()]
    assert len(started) == 1 and "Telegram (long polling) with its delivery worker" in started[0]
    assert make_url(db_url).render_as_string(hide_password=True) in started[0]
    assert f"health on http://127.0.0.1:{settings.health_port}" in started[0]


async def test_telegram_webhook(telegram: FakeTelegram, db_url: str) -> None:
    port = free_port()
    settings = settings_for(db_url, telegram_token=TOKEN, telegram_api_url=telegram.api_url,
                            telegram_webhook_url=f"http://127.0.0.1:{port}/tg", telegram_port=port,
                            telegram_listen="127.0.0.1")
    async with serving(cmd_run, settings) as base:
        await check_endpoints(base)
        deadline = time.monotonic() + 10
        while not telegram.sent(method="setWebhook"):  # the webhook mode it is
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)


async def test_slack_http_mode(slack: FakeSlack, db_url: str) -> None:
    settings = settings_for(db_url, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                            slack_api_url=slack.api_url, slack_port=free_port())
    async with serving(cmd_run, settings) as base:
        await check_endpoints(base)


async def test_slack_socket_mode(slack: FakeSlack, db_url: str) -> None:
    settings = settings_for(db_url, slack_bot_token=BOT_TOKEN, slack_app_token="xapp-1-test",
                            slack_api_url=slack.api_url)
    async with serving(cmd_run, settings) as base:
        await check_endpoints(base)
        await slack.wait_for(lambda: slack.sockets)  # it did connect in Socket Mode


async def test_dips_worker_counts_deliveries(telegram: FakeTelegram, store: Store, db_url: str) -> None:
    await queue(store, "telegram", "77", waited=5)
    settings = settings_for(db_url, telegram_token=TOKEN, telegram_api_url=telegram.api_url)
    before = health.DELIVERIES_SENT.labels("telegram")._value.get()
    async with serving(cmd_worker, settings) as base:
        await check_endpoints(base)
        await telegram.wait_for_text(77, "Hello from the queue")
        deadline = time.monotonic() + 10
        while True:
            text = (await get(f"{base}/metrics"))[1]
            # The counter moves when Telegram accepts; the gauge, read from the store, once the
            # worker has recorded the send (a moment later, in its own transaction).
            if (metric(text, "dips_deliveries_sent_total", platform="telegram") >= before + 1
                    and metric(text, "dips_deliveries_pending", platform="telegram") == 0):
                break
            assert time.monotonic() < deadline, text
            await asyncio.sleep(0.05)
        assert metric(text, "dips_delivery_oldest_pending_seconds", platform="telegram") == 0


async def test_a_busy_health_port_is_said_and_serving_goes_on(db_url: str, store: Store,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "dips")
    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = blocker.sockets[0].getsockname()[1]
    try:
        settings = Settings(database_url=db_url, health_port=port, health_listen="127.0.0.1")
        async with health.serving(store, settings, "a test") as server:
            assert server is None
    finally:
        blocker.close()
    assert "health endpoints NOT started" in caplog.text


# ---- readiness follows the store ----

async def wait_for_status(url: str, status: int) -> None:
    deadline = time.monotonic() + 20
    while (await get(url))[0] != status:
        assert time.monotonic() < deadline, f"{url} never answered {status}"
        await asyncio.sleep(0.1)


async def test_readiness_fails_while_the_store_is_unreachable_and_recovers(tmp_path: Path) -> None:
    url = database_url(tmp_path)
    if url.startswith("sqlite"):  # the store's folder goes away, then comes back
        folder = tmp_path / "store"
        folder.mkdir()
        store = await open_store(f"sqlite+aiosqlite:///{folder / 'dips.db'}")
        moved = tmp_path / "elsewhere"

        async def cut() -> None:
            await store.engine.dispose()  # no open connection keeps the old file
            shutil.move(folder, moved)

        async def restore() -> None:
            shutil.move(moved, folder)
    else:  # a TCP relay in front of PostgreSQL, cut and restored
        target = make_url(url)
        proxy = Proxy(target.host or "127.0.0.1", target.port or 5432)
        await proxy.start()
        await (await open_store(url)).close()  # migrated once, directly
        store = await open_store(target.set(host="127.0.0.1", port=proxy.port)
                                 .render_as_string(hide_password=False), migrate=False)

        async def cut() -> None:
            await proxy.cut()
            await store.engine.dispose()

        async def restore() -> None:
            await proxy.start()

    server = health.HealthServer(store)
    port = await server.start("127.0.0.1", 0)
    base = f"http://127.0.0.1:{port}"
    try:
        assert (await get(f"{base}/readyz"))[0] == 200
        await cut()
        status, text = await get(f"{base}/readyz")
        assert status == 503 and text.startswith("store unavailable")
        assert await get(f"{base}/healthz") == (200, "ok\n")  # alive all the same
        assert (await get(f"{base}/metrics"))[0] == 200  # the counters are still served
        await restore()
        await wait_for_status(f"{base}/readyz", 200)
    finally:
        await server.stop()
        await store.close()


def test_the_store_url_is_logged_without_its_password() -> None:
    masked = health.masked_url("postgresql+asyncpg://dips:s3cret-pw@db.example:5432/dips")
    assert "s3cret-pw" not in masked and re.search(r"dips:\*+@db\.example:5432/dips", masked)

