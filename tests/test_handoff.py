"""Hand-offs across both adapters, against the local fake Telegram and Slack servers: the whole
round trip, claims on Slack, a published clarification reaching each bidder once, reminders."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select, update

from bot.slack.adapter import SlackAdapter
from bot.slack.cases import plain_text
from bot.slack.worker import SlackWorker
from bot.telegram.transport import telegram_bot
from bot.telegram.worker import Worker
from handlers.app import build_core, seed_catalogue
from handlers.kernel.core import Core
from storage.models import Delivery, Question
from storage.store import Store
from tests.fake_slack import FakeSlack, action_body, event_body
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.test_cases import PERSONAL, QUESTION, Sme, add_contact, subscribe
from tests.test_impact import seed
from tests.test_slack import CHANNEL, OFFICER, Harness, grant, slack_settings
from tests.test_telegram import USER, start_bot

OTHER = "UOTHER"


@pytest.fixture
async def slack_fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


@pytest.fixture
async def tg_fake() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram().start()
    yield server
    await server.stop()


class Both:
    """One core behind the Telegram adapter and the Slack app, and both delivery workers."""

    def __init__(self, core: Core, slack: Harness, slack_worker: SlackWorker, tg: FakeTelegram,
                 store: Store) -> None:
        self.core, self.slack, self.slack_worker, self.tg, self.store = (
            core, slack, slack_worker, tg, store)

    async def telegram_worker(self) -> None:
        bot = telegram_bot(TOKEN, self.tg.api_url, 8)
        worker = Worker(self.store, bot, rate=50.0, idle_poll=0.05, backoff_base=0.05)
        async with bot:
            await asyncio.wait_for(worker.run(until_idle=True), 30)

    def posted(self) -> list[dict[str, Any]]:
        return self.slack.fake.calls_to("chat.postMessage")

    async def thread_reply(self, ts: str, text: str, user: str = OFFICER, n: int = 1) -> None:
        event = {"type": "message", "channel": CHANNEL, "user": user, "text": text,
                 "ts": f"{time.time():.6f}", "thread_ts": ts, "channel_type": "channel"}
        status, _ = await self.slack.post(event_body(event, event_id=f"EvThread{user}{n}"))
        assert status == 200

    async def press(self, value: str, user: str = OFFICER, action_id: str = "dips_btn_0",
                    key: str = "p") -> None:
        body = action_body(value, action_id=action_id, user=user, channel=CHANNEL,
                           response_url=self.slack.fake.response_url(key))
        assert (await self.slack.post(body))[0] == 200


@pytest.fixture
async def both(store: Store, slack_fake: FakeSlack, tg_fake: FakeTelegram) -> AsyncIterator[Both]:
    core = build_core(store, with_matching=False)
    settings = slack_settings(slack_fake)
    adapter = SlackAdapter(core, settings, process_before_response=True)
    runner = web.AppRunner(adapter.web_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    worker = SlackWorker(core, settings, adapter.client, per_channel=0.0)
    async with aiohttp.ClientSession() as http:
        yield Both(core, Harness(slack_fake, adapter, f"http://127.0.0.1:{port}/slack/events", http),
                   worker, tg_fake, store)
    await runner.cleanup()


async def case(store: Store, case_id: int = 1) -> Question:
    async with store.session() as session:
        found = await session.get(Question, case_id)
    assert found is not None
    return found


def view_submission(metadata: str, values: dict[str, str], user: str = OFFICER) -> str:
    payload = {
        "type": "view_submission", "team": {"id": "T0TEST", "domain": "test"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEST"},
        "api_app_id": "A0TEST", "token": "legacy", "trigger_id": "trigger-3",
        "view": {"id": "V0TEST", "type": "modal", "callback_id": "dips_case",
                 "private_metadata": metadata, "team_id": "T0TEST", "app_id": "A0TEST",
                 "state": {"values": {k: {k: {"type": "plain_text_input", "value": v}}
                                      for k, v in values.items()}},
                 "hash": "h", "blocks": []},
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


# ---- the whole round trip ----

async def test_round_trip_telegram_to_slack_thread_and_back(both: Both) -> None:
    await seed_catalogue(both.store)
    await grant(both.store)
    bot = await start_bot(both.tg, both.core)
    try:
        # 1. The SME asks something the FAQ can't answer, on Telegram.
        said = await bot.say("can you check my tender documents for mistakes before i send them")
        assert "Shall I pass your question" in said
        assert "passed it to a DIPS officer" in await bot.press("Yes, ask an officer")
        # 2. The notice reaches the officers' channel and heads the case's thread.
        assert await both.slack_worker.drain_once() == 1
        notice = both.posted()[-1]
        assert notice["channel"] == CHANNEL and "thread_ts" not in notice
        blocks = json.dumps(notice["blocks"], ensure_ascii=False)
        assert "case #1" in blocks and "check my tender documents" in blocks and "Sam Smith" in blocks
        assert '"value": "csa:1"' in blocks and '"action_id": "dips_case_' in blocks
        ts = notice["ts"] if "ts" in notice else (await case(both.store)).slack_ts
        assert ts and (await case(both.store)).slack_ts == ts
        # 3. An officer answers in the thread (Slack markup and entities as Slack sends them).
        await both.thread_reply(ts, "No, we can&apos;t &amp; won&apos;t, but see "
                                    "<https://www.birmingham.gov.uk/dips|the bidder guide>.")
        ack = both.slack.fake.calls_to("chat.postEphemeral")[-1]
        assert ack["thread_ts"] == ts and "Sent to the SME" in json.dumps(ack["blocks"])
        # 4. The answer reaches the SME on Telegram, with a Reply button.
        await both.telegram_worker()
        answer = await both.tg.wait_for_text(USER, "answered your question")
        assert "the bidder guide (https://www.birmingham.gov.uk/dips)" in answer
        assert "can&#x27;t &amp; won&#x27;t" in answer or "can't &amp; won't" in answer
        # 5. The SME replies; it lands in the same Slack thread.
        assert "Type your reply" in await bot.press("Reply")
        assert "passed your reply" in await bot.say("Thanks! Could you point me to a checklist?")
        assert await both.slack_worker.drain_once() == 1
        follow_up = both.posted()[-1]
        assert follow_up["thread_ts"] == ts and follow_up["channel"] == CHANNEL
        assert "Could you point me to a checklist?" in json.dumps(follow_up["blocks"])
        found = await case(both.store)
        assert found.status == "open" and found.claimed_by == f"slack:{OFFICER}"
        # The bot's own post in the thread (as Slack echoes it) is not taken as an answer.
        event = {"type": "message", "subtype": "bot_message", "bot_id": "BBOT", "channel": CHANNEL,
                 "text": "Reply from the SME", "ts": "9.9", "thread_ts": ts}
        assert (await both.slack.post(event_body(event, "EvBot")))[0] == 200
        async with both.store.session() as session:
            answers = await session.scalars(select(Delivery).where(Delivery.kind == "case_answer"))
            assert len(list(answers)) == 1
    finally:
        await bot.adapter.stop()


# ---- claims on Slack ----

async def test_claimed_case_cannot_be_answered_by_another_officer_on_slack(both: Both) -> None:
    await seed(both.store)
    await grant(both.store)
    await grant(both.store, OTHER)
    await Sme(both.core).send("/human Is the budget fixed?")
    await both.slack_worker.drain_once()
    ts = (await case(both.store)).slack_ts
    assert ts
    await both.press("csc:1", key="claim")
    assert "Case #1 is yours" in json.dumps(both.slack.fake.responses)
    # Another officer writes in the thread: refused, nothing reaches the SME.
    await both.thread_reply(ts, "It's flexible.", user=OTHER)
    refusal = both.slack.fake.calls_to("chat.postEphemeral")[-1]
    assert refusal["user"] == OTHER and "claimed by uofficer" in json.dumps(refusal["blocks"])
    # Their Answer button opens no form; the press is answered with the same refusal.
    await both.press("csa:1", user=OTHER, action_id="dips_case_1", key="other")
    assert not both.slack.fake.calls_to("views.open")
    assert "claimed by uofficer" in json.dumps(both.slack.fake.responses[-1])
    # The holder answers with the button's modal.
    await both.press("csa:1", action_id="dips_case_1", key="mine")
    view = both.slack.fake.calls_to("views.open")[-1]["view"]
    assert view["callback_id"] == "dips_case" and "Is the budget fixed?" in json.dumps(view)
    body = view_submission(view["private_metadata"], {"answer": "Yes, fixed at the stated sum."})
    assert (await both.slack.post(body))[0] == 200
    await both.slack_worker.drain_once()
    thread = [c for c in both.posted() if c.get("thread_ts") == ts]
    assert [json.dumps(c["blocks"]) for c in thread if "Answer from" in json.dumps(c["blocks"])]
    await both.telegram_worker()
    assert both.tg.texts(1000) and "fixed at the stated sum" in both.tg.texts(1000)[-1]
    assert len(both.tg.texts(1000)) == 1


# ---- clarifications ----

async def test_published_clarification_reaches_each_bidder_once_anonymised(both: Both) -> None:
    await seed(both.store)
    await add_contact(both.store)
    await subscribe(both.store, "fan", "2001", ["test"])
    await grant(both.store)
    await Sme(both.core).send(f"/human {QUESTION}")
    await both.slack_worker.drain_once()
    ts = (await case(both.store)).slack_ts
    assert ts
    await both.thread_reply(ts, "Yes Sam, joint bids are welcome with a named lead partner.")
    await both.press("csp:1", action_id="dips_case_2", key="pub")
    view = both.slack.fake.calls_to("views.open")[-1]["view"]
    prefilled = json.dumps(view, ensure_ascii=False)
    for personal in PERSONAL:
        assert personal not in prefilled, personal
    values = {b["block_id"]: b["element"]["initial_value"] for b in view["blocks"]
              if b["type"] == "input"}
    assert set(values) == {"question", "answer"} and "jointly with a partner" in values["question"]
    for _ in range(2):  # a double submission publishes once
        assert (await both.slack.post(view_submission(view["private_metadata"], values)))[0] == 200
    assert "already been published" in json.dumps(both.slack.fake.calls_to("chat.postEphemeral"))
    await both.telegram_worker()
    await both.telegram_worker()
    got = Counter(int(c.params["chat_id"]) for c in both.tg.sent() if c.ok
                  and "Clarification" in c.params["text"])
    # Every organisation with an EOI on food-hubs, and the matching subscriber: once each.
    assert got == Counter({1000: 1, 1002: 1, 1005: 1, 1006: 1, 2001: 1})
    for call in both.tg.sent():
        if "Clarification" in call.params["text"]:
            for personal in PERSONAL:
                assert personal not in call.params["text"], personal
    assert "joint bids are welcome" in both.tg.texts(1002)[-1]


# ---- reminders ----

async def test_an_unanswered_case_is_reminded_once(both: Both) -> None:
    await seed(both.store)
    sme = Sme(both.core)
    await sme.send("/human Old question?")
    await sme.send("/human New question?")
    await both.slack_worker.drain_once()
    async with both.store.session() as session:
        await session.execute(update(Question).where(Question.id == 1).values(
            asked_at=both.core.clock() - timedelta(hours=25)))
    assert await both.slack_worker.remind_once() == 1
    assert await both.slack_worker.remind_once() == 0
    await both.slack_worker.drain_once()
    reminders = [c for c in both.posted() if "Reminder" in json.dumps(c["blocks"])]
    assert len(reminders) == 1 and "case #1" in json.dumps(reminders[0]["blocks"])
    assert reminders[0]["thread_ts"] == (await case(both.store)).slack_ts
    assert reminders[0]["reply_broadcast"] in (True, "true", "1", 1)
    # The worker's own loop checks too, and still doesn't remind again.
    task = asyncio.create_task(both.slack_worker.run())
    await asyncio.sleep(0.3)
    both.slack_worker.stop()
    await task
    assert len([c for c in both.posted() if "Reminder" in json.dumps(c["blocks"])]) == 1


def test_slack_markup_becomes_plain_text() -> None:
    assert plain_text("a &lt;b&gt; &amp; <https://x.org|X> <@U1> <mailto:a@b.org|a@b.org>") == (
        "a <b> & X (https://x.org) @someone a@b.org")
