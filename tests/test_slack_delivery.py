"""Slack rendering limits, the Slack delivery worker, a stage change end to end to Telegram,
and `dips run` serving /dips against the fake Web API."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.slack.adapter import SlackAdapter
from bot.slack.render import escape, home_view, render, split_text
from bot.slack.worker import SlackWorker
from bot.telegram.transport import telegram_bot
from bot.telegram.worker import Worker
from handlers.domain.outbound import to_payload
from handlers.kernel.messages import Button, Reply
from storage import deliveries
from storage.models import Delivery
from storage.store import Store
from tests.conftest import free_port
from tests.fake_slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    action_body,
    command_body,
    signed_headers,
)
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.test_impact import seed
from tests.test_slack import CHANNEL, OFFICER, grant, make_core, slack_settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


# ---- rendering ----

def test_long_text_and_many_buttons_are_paged_within_limits() -> None:
    long_line = "word & <b> " * 700  # one 7,700-character line, widened further by escaping
    replies = [Reply("\n".join(f"line {i} " + "x" * 200 for i in range(60)) + "\n" + long_line,
                     tuple((Button(f"EOI {i}", f"oe:{i}"),) for i in range(70)), title="Many")]
    messages, files = render(replies)
    assert files == [] and len(messages) >= 2
    blocks = [b for m in messages for b in m.blocks]
    assert all(len(m.blocks) <= 50 for m in messages)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(s) <= 3000 for s in sections)
    assert "".join(sections).count("&amp;") == 700 and "<b>" not in "".join(sections)
    assert not any(s.endswith("&am") or s.endswith("&l") for s in sections)  # no cut entity
    action_ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(action_ids) == 70 == len(set(action_ids))
    assert all(len(m.text) <= 3000 for m in messages)


def test_escaping_and_home_view_limit() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert split_text("") == []
    view = home_view([Reply("x\n" * 10, tuple((Button(str(i), f"oe:{i}"),) for i in range(150)))])
    assert view["type"] == "home" and len(view["blocks"]) == 100


# ---- the Slack delivery worker ----

async def queue_new_eois(store: Store, eoi_ids: list[int]) -> None:
    async with store.session() as session:
        for eoi_id in eoi_ids:
            await deliveries.enqueue_for_officers(session, "new_eoi", {"eoi_id": eoi_id})


async def statuses(store: Store) -> list[str]:
    async with store.session() as session:
        return list(await session.scalars(
            select(Delivery.status).where(Delivery.platform == "slack").order_by(Delivery.id)))


async def test_new_eois_waiting_together_go_out_as_one_message(fake: FakeSlack, store: Store) -> None:
    ids = await seed(store)
    await queue_new_eois(store, [ids["air-quality/0"], ids["food-hubs/2"], ids["food-hubs/5"]])
    worker = SlackWorker(make_core(store), slack_settings(fake), SlackAdapter(
        make_core(store), slack_settings(fake)).client, per_channel=0.0)
    assert await worker.drain_once() == 3
    posted = fake.calls_to("chat.postMessage")
    assert len(posted) == 1 and posted[0]["channel"] == CHANNEL
    text = json.dumps(posted[0]["blocks"], ensure_ascii=False)
    assert "3 new expressions of interest" in text
    for org in ("Acme Ltd", "Tartu Data", "Paris SAS"):
        assert org in text
    values = [e["value"] for b in posted[0]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert f"stg:{ids['food-hubs/2']}:exploration@submitted" in values
    assert f"oe:{ids['air-quality/0']}" in values
    assert await statuses(store) == ["sent"] * 3
    assert await worker.drain_once() == 0


async def test_one_message_a_second_per_channel_and_rate_limits(fake: FakeSlack, store: Store) -> None:
    core = make_core(store)
    async with store.session() as session:
        for i in range(3):
            session.add(Delivery(platform="slack", chat_id="CSAME", kind="notice",
                                 payload=to_payload(Reply(f"notice {i}")), status="pending", attempts=0))
    worker = SlackWorker(core, slack_settings(fake), SlackAdapter(core, slack_settings(fake)).client,
                         per_channel=0.3)
    await worker.drain_once()
    times = [c.at for c in fake.calls if c.method == "chat.postMessage"]
    assert len(times) == 3 and all(b - a >= 0.29 for a, b in itertools.pairwise(times))
    # Slack says "ratelimited": the row goes back in the queue for later, not failed.
    fake.fail["chat.postMessage"] = [("ratelimited", 429, {"Retry-After": "7"}),
                                     ("channel_not_found", 200, {})]
    async with store.session() as session:
        for text in ("limited", "lost"):
            session.add(Delivery(platform="slack", chat_id="CSAME", kind="notice",
                                 payload=to_payload(Reply(text)), status="pending", attempts=0))
    await worker.drain_once()
    assert await statuses(store) == ["sent", "sent", "sent", "pending", "failed"]


async def test_officer_channel_unset_fails_clearly(fake: FakeSlack, store: Store) -> None:
    ids = await seed(store)
    await queue_new_eois(store, [ids["air-quality/0"]])
    settings = slack_settings(fake).__class__(**{**slack_settings(fake).__dict__, "slack_channel": ""})
    core = make_core(store)
    await SlackWorker(core, settings, SlackAdapter(core, settings).client).drain_once()
    async with store.session() as session:
        row = await session.scalar(select(Delivery).where(Delivery.platform == "slack"))
    assert row is not None and row.status == "failed" and "DIPS_SLACK_CHANNEL" in (row.last_error or "")


# ---- end to end: a stage change on Slack reaches the SME on Telegram ----

async def test_stage_change_on_slack_reaches_the_sme_on_telegram(fake: FakeSlack, store: Store) -> None:
    ids = await seed(store)
    await grant(store)
    telegram = await FakeTelegram().start()
    adapter = SlackAdapter(make_core(store), slack_settings(fake), process_before_response=True)
    runner = web.AppRunner(adapter.web_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        # One stage forward (skipping to prototype is refused now), previewed, then confirmed.
        body = command_body(f"stage {ids['food-hubs/2']} exploration tell: Demo day is 3 June",
                            response_url=fake.response_url("e2e"))
        async with aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{port}/slack/events", data=body.encode(),
                                 headers=signed_headers(body)) as response:
                assert response.status == 200
            confirm = re.search(r'"value": "(stc:\d+)"', json.dumps(fake.responses))
            assert confirm, json.dumps(fake.responses)[:2000]
            body = action_body(confirm.group(1), user=OFFICER, response_url=fake.response_url("ok"))
            async with http.post(f"http://127.0.0.1:{port}/slack/events", data=body.encode(),
                                 headers=signed_headers(body)) as response:
                assert response.status == 200
        assert "The SME will be told" in json.dumps(fake.responses)
        bot = telegram_bot(TOKEN, telegram.api_url, 8)
        worker = Worker(store, bot, rate=50.0, idle_poll=0.05, backoff_base=0.05)
        async with bot:
            await asyncio.wait_for(worker.run(until_idle=True), 30)
        sent = [c.params for c in telegram.calls if c.method == "sendMessage"]
        assert len(sent) == 1 and str(sent[0]["chat_id"]) == "1002"  # Tartu Data's Telegram chat
        assert "Exploration" in sent[0]["text"] and "Demo day is 3 June" in sent[0]["text"]
        async with store.session() as session:
            row = await session.scalar(select(Delivery).where(Delivery.platform == "telegram"))
        assert row is not None and row.status == "sent"
    finally:
        await runner.cleanup()
        await telegram.stop()


# ---- `dips run` ----


async def test_dips_run_serves_slack_against_the_fake(fake: FakeSlack, store: Store, db_url: str) -> None:
    ids = await seed(store)
    await queue_new_eois(store, [ids["air-quality/0"]])
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPS_")}
    env.update({"DIPS_DATABASE_URL": db_url, "DIPS_SLACK_BOT_TOKEN": BOT_TOKEN,
                "DIPS_SLACK_SIGNING_SECRET": SIGNING_SECRET, "DIPS_SLACK_API_URL": fake.api_url,
                "DIPS_SLACK_CHANNEL": CHANNEL, "DIPS_SLACK_PORT": str(port),
                "DIPS_HEALTH_PORT": str(free_port())})
    granted = subprocess.run([sys.executable, "-m", "bot.cli", "roles", "grant", f"slack:{OFFICER}",
                              "officer"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert granted.returncode == 0, granted.stderr
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, process.communicate()[1].decode()[-2000:]
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{url}/slack/events") as response:
                        if response.status == 405:  # listening (events are POSTed)
                            break
                assert time.monotonic() < deadline, "dips run did not start"
                await asyncio.sleep(0.2)
            for i, sub in enumerate(("help", "challenges", "challenge food-hubs", "eois",
                                     f"eoi {ids['food-hubs/0']}", f"stage {ids['food-hubs/0']} exploration",
                                     "export", "impact since 2025-01-01", "questions")):
                body = command_body(sub, response_url=fake.response_url(f"run{i}"))
                started = time.monotonic()
                async with http.post(f"{url}/slack/events", data=body.encode(),
                                     headers=signed_headers(body)) as response:
                    assert response.status == 200
                assert time.monotonic() - started < 3  # acknowledged within Slack's 3 seconds
                await fake.wait_for(lambda i=i: [r for r in fake.responses if r["key"] == f"run{i}"])
            # The stage move was previewed; its Confirm button makes it.
            preview = json.dumps([r for r in fake.responses if r["key"] == "run5"])
            confirm = re.search(r'"value": "(stc:\d+)"', preview)
            assert confirm, preview[:2000]
            body = action_body(confirm.group(1), user=OFFICER, response_url=fake.response_url("ok"))
            async with http.post(f"{url}/slack/events", data=body.encode(),
                                 headers=signed_headers(body)) as response:
                assert response.status == 200
            await fake.wait_for(lambda: [r for r in fake.responses if r["key"] == "ok"])
            body = command_body("help", response_url=fake.response_url("bad"))
            async with http.post(f"{url}/slack/events", data=body.encode(),
                                 headers=signed_headers(body, secret="wrong")) as response:
                assert response.status == 401
        answers = json.dumps(fake.responses, ensure_ascii=False)
        assert "Challenges (4)" in answers and "moved from Submitted" in answers
        assert "SMEs engaged: 6" in answers  # since 1 Jan 2025, Leeds Co in May included
        await fake.wait_for(lambda: [f for f in fake.files() if f[0].endswith(".csv")])
        # The worker inside `dips run` posted the queued new-EOI notice to the channel.
        notice = await fake.wait_for(lambda: [c for c in fake.calls_to("chat.postMessage")
                                              if c["channel"] == CHANNEL])
        assert "Acme Ltd" in json.dumps(notice[0]["blocks"])
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def test_server_errors_are_retried_and_the_notice_sent_once(fake: FakeSlack, store: Store) -> None:
    core = make_core(store)
    async with store.session() as session:
        session.add(Delivery(platform="slack", chat_id="CSAME", kind="notice",
                             payload=to_payload(Reply("after a hiccup")), status="pending", attempts=0))
    fake.fail["chat.postMessage"] = [("internal_error", 503, {})]
    await SlackWorker(core, slack_settings(fake), SlackAdapter(core, slack_settings(fake)).client
                      ).drain_once()
    posts = [c for c in fake.calls if c.method == "chat.postMessage"]
    assert len(posts) == 2 and "after a hiccup" in fake.texts()
    assert await statuses(store) == ["sent"]
