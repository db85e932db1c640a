"""`/forget` reaches every copy: the store file and its WAL, and the officers' Slack channel
(the new-EOI notice, the case notice and its thread replies, posted or still queued), through
the durable delivery queue and the Slack worker against the fake Web API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from bot.slack.worker import SlackWorker
from handlers.app import build_core, seed_catalogue
from handlers.kernel.core import Core
from handlers.kernel.messages import Speaker
from storage import deliveries
from storage.models import Delivery
from storage.store import Store
from tests.conftest import Chat
from tests.fake_slack import BOT_TOKEN, FakeSlack
from tests.test_cases import officer
from tests.test_eoi_flow import complete_eoi
from tests.test_slack import CHANNEL, slack_settings

QUESTION = "Can our secret widget bid jointly? Call me on 07700 900123"
REPLY = "Also: is the pilot site Moseley Road?"
LATE_REPLY = "One more thing about Kings Heath bakery"
PERSONAL = ("Acme Food Tech Ltd", "acme.example.com", "Jane Smith", "jane@acme.example.com",
            "neighbourhood ordering app", "secret widget", "07700 900123", "Janet Quinlan",
            "Moseley Road", "Kings Heath bakery")


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


async def drain(worker: SlackWorker) -> None:
    while await worker.drain_once():
        pass


def store_bytes(store: Store) -> bytes:
    path = Path(store.engine.url.database or "")
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


async def sme_with_eoi_case_and_thread(core: Core, worker: SlackWorker) -> Chat:
    sme = Chat(core, user="sme-forget-1", platform="telegram")
    sme.speaker = Speaker("telegram", "sme-forget-1", chat_id="5551", display_name="Janet Quinlan")
    await complete_eoi(sme)
    await sme.send(f"/human {QUESTION}")
    await drain(worker)  # the new-EOI notice and the case notice are posted
    alice = await officer(core, "alice")
    await alice.send("/dips answer 1 Yes, partners may bid together.")
    await sme.press("csr:1")
    await sme.send(REPLY)
    assert "passed your reply" in sme.text, sme.text
    await drain(worker)  # the answer's note and the SME's reply in the case's thread
    await sme.press("csr:1")
    await sme.send(LATE_REPLY)  # still queued when the SME asks to be forgotten
    return sme


async def test_forget_leaves_nothing_in_slack_the_store_or_its_wal(
        fake: FakeSlack, store: Store) -> None:
    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
    worker = SlackWorker(core, slack_settings(fake), client, per_channel=0.0)
    other = Chat(core, user="sme-other", platform="telegram")  # another SME, in the same notice
    sme = await sme_with_eoi_case_and_thread(core, worker)
    await other.send("/interest food-hubs")
    await other.send("Other Orchards Ltd")
    history = fake.history_text()
    shown = ("Acme Food Tech Ltd", "Janet Quinlan", "neighbourhood ordering app", "secret widget",
             "07700 900123", "Moseley Road")
    assert [p for p in shown if p not in history] == [], history
    assert any(m["thread_ts"] for m in fake.history[CHANNEL])  # thread replies were posted

    await sme.send("/forget")
    await sme.press("forget:yes")
    assert "erased" in sme.text
    # A new worker (as after a restart) finds the redactions in the queue and sends them.
    worker = SlackWorker(core, slack_settings(fake), client, per_channel=0.0)
    await drain(worker)

    history = fake.history_text()
    assert [p for p in PERSONAL if p in history] == []
    assert "Removed at the SME" in history  # redacted, not silently gone
    assert not fake.calls_to("chat.postMessage")[-1].get("text", "").count("Kings Heath")
    async with store.session() as session:
        rows = list(await session.scalars(select(Delivery).where(Delivery.platform == "slack")))
        assert await deliveries.pending_count(session, "slack") == 0
    assert any(r.status == "erased" for r in rows)  # the late reply never went out
    assert all(r.status in ("sent", "erased") for r in rows)
    dump = json.dumps([r.payload for r in rows])
    assert [p for p in PERSONAL if p in dump] == []
    if store.dialect == "sqlite":
        await store.checkpoint()
        raw = store_bytes(store)
        assert raw and [p for p in PERSONAL if p.encode() in raw] == []


async def test_a_notice_posted_while_the_sme_was_forgotten_is_taken_back(
        fake: FakeSlack, store: Store) -> None:
    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
    worker = SlackWorker(core, slack_settings(fake), client, per_channel=0.0)
    sme = Chat(core, user="sme-forget-2", platform="telegram")
    await complete_eoi(sme)
    async with store.session() as session:  # the worker claims the notice and renders it...
        claimed = await deliveries.claim(session, "slack", worker.worker_id, 10)
    assert [d.kind for d in claimed] == ["new_eoi"]
    ids = [int(claimed[0].payload["eoi_id"])]
    rendered = await worker._notice(ids, 1)
    await sme.send("/forget")  # ...the SME is forgotten before it posts...
    await sme.press("forget:yes")
    await worker._post(claimed, CHANNEL, rendered, group=ids)  # ...and the post lands anyway
    assert "Acme Food Tech Ltd" in fake.history_text()
    async with store.session() as session:
        assert await deliveries.status_of(session, claimed[0].id) == "erased"
    await drain(worker)  # the worker queued its own redaction when its record was refused
    history = fake.history_text()
    assert [p for p in PERSONAL if p in history] == []
    assert "[erased]" in history  # the notice, rendered again without the SME's details
