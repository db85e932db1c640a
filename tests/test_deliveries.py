"""The durable delivery queue: claims, leases, outcomes and the one-row-per-recipient rule."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from handlers.app import build_core, seed_catalogue
from handlers.domain.outbound import from_payload
from storage import deliveries, people
from storage.models import Delivery, utcnow
from tests.conftest import Chat
from tests.test_eoi_flow import complete_eoi


async def make_identities(store, n: int, platform: str = "telegram") -> list:
    async with store.session() as session:
        return [await people.ensure_identity(session, platform, str(1000 + i), str(1000 + i))
                for i in range(n)]


async def test_stage_change_is_queued_for_the_sme(store):
    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    await complete_eoi(Chat(core, user="sme1", platform="telegram"))
    async with store.session() as session:
        await people.set_role(session, "console", "boss", "officer")
    officer = Chat(core, user="boss")
    await officer.send("/stage 1 exploration internal only tell: Workshop on 3 March")
    await officer.press_label("Confirm")  # a move is previewed, then confirmed
    assert "The SME will be told" in officer.text
    async with store.session() as session:
        row = await session.scalar(select(Delivery).where(Delivery.kind == "stage_change"))
    assert (row.platform, row.chat_id, row.kind, row.status) == ("telegram", "sme1", "stage_change",
                                                                  "pending")
    reply = from_payload(row.payload)
    assert "EOI-000001" in reply.text and "Exploration" in reply.text
    assert "Workshop on 3 March" in reply.text and reply.buttons[0][0].data == "my:1"
    assert "internal only" not in reply.text  # the internal note stays with the officers


async def test_broadcast_rows_are_unique_per_recipient(store):
    identities = await make_identities(store, 3)
    async with store.session() as session:
        b = await deliveries.create_broadcast(
            session, kind="challenge_call", challenge_id=None, audience="all", created_by="t",
            recipients=[(i, {"text": "hi"}) for i in identities])
        assert b.total == 3
    with pytest.raises(IntegrityError):
        async with store.session() as session:
            await deliveries.enqueue(session, identities[0], "challenge_call", {"text": "again"},
                                     broadcast_id=b.id)
    async with store.session() as session:
        assert await deliveries.progress(session, b.id) == {"pending": 3}


async def test_claim_lease_expiry_and_outcomes(store):
    identities = await make_identities(store, 4)
    async with store.session() as session:
        for i in identities:
            await deliveries.enqueue(session, i, "notice", {"text": "x"})
    async with store.session() as session:
        first = await deliveries.claim(session, "telegram", "w1", 3)
    assert [d.id for d in first] == [1, 2, 3]
    async with store.session() as session:
        assert [d.id for d in await deliveries.claim(session, "telegram", "w2", 10)] == [4]
        assert await deliveries.claim(session, "telegram", "w2", 10) == []
        assert await deliveries.mark_sent(session, 1, "w1")
        assert await deliveries.mark_failed(session, 2, "w1", "blocked")
        assert await deliveries.retry_later(session, 4, "w2", timedelta(0), "timeout")
    # w1 dies holding row 3: after its lease runs out another worker gets it
    later = utcnow() + timedelta(minutes=5)
    async with store.session() as session:
        again = await deliveries.claim(session, "telegram", "w3", 10, now=later)
        assert sorted(d.id for d in again) == [3, 4]
        assert not await deliveries.mark_sent(session, 3, "w1")  # the dead worker's claim is void
        assert await deliveries.mark_sent(session, 3, "w3")
        rows = {d.id: d for d in await session.scalars(select(Delivery))}
    assert rows[3].attempts == 2 and rows[1].status == "sent" and rows[2].status == "failed"


async def test_concurrent_claimers_never_share_a_row(store):
    identities = await make_identities(store, 200)
    async with store.session() as session:
        await deliveries.create_broadcast(
            session, kind="challenge_call", challenge_id=None, audience="all", created_by="t",
            recipients=[(i, {"text": "hi"}) for i in identities])

    async def worker(name: str) -> list[int]:
        got: list[int] = []
        while True:
            async with store.session() as session:
                batch = await deliveries.claim(session, "telegram", name, 7)
            if not batch:
                return got
            got += [d.id for d in batch]

    results = await asyncio.gather(*(worker(f"w{n}") for n in range(4)))
    claimed = [i for r in results for i in r]
    assert len(claimed) == 200 and len(set(claimed)) == 200


async def test_inactive_or_chatless_identities_are_not_queued(store):
    identities = await make_identities(store, 2)
    async with store.session() as session:
        a = await session.merge(identities[0])
        a.active = False
        assert await deliveries.enqueue(session, a, "notice", {"text": "x"}) is None
