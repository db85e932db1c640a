"""The Telegram delivery worker against the fake Bot API (real PTB networking) and a real store.

SQLite by default; PostgreSQL when DIPS_TEST_DATABASE_URL is set (the two-worker test needs it).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from bot.telegram.pacing import Pacer
from bot.telegram.transport import telegram_bot
from bot.telegram.worker import Worker
from handlers.app import build_core, seed_catalogue
from handlers.domain import broadcasts as bc
from handlers.domain.outbound import to_payload
from handlers.kernel.messages import Reply
from storage import deliveries, people
from storage.models import Broadcast, Delivery, Identity, Subscription, utcnow
from storage.store import Store
from tests.conftest import Chat
from tests.fake_telegram import TOKEN, FakeTelegram

FIRST_CHAT = 10_000


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram().start()
    yield server
    await server.stop()


def make_worker(store: Store, fake: FakeTelegram, **kw: object) -> Worker:
    bot = telegram_bot(TOKEN, fake.api_url, 64)
    options: dict[str, object] = {"rate": 200.0, "idle_poll": 0.05, "backoff_base": 0.05,
                                  "lease": timedelta(seconds=5)}
    options.update(kw)
    return Worker(store, bot, **options)  # type: ignore[arg-type]


async def drain(worker: Worker, timeout: float = 60.0) -> None:
    async with worker.bot:
        await asyncio.wait_for(worker.run(until_idle=True), timeout)


async def add_subscribers(store: Store, n: int, first: int = FIRST_CHAT) -> None:
    """`n` active Telegram subscribers with chat ids first..first+n-1, in bulk."""
    now = utcnow()
    async with store.session() as session:
        await session.execute(insert(Identity), [
            {"platform": "telegram", "external_id": str(c), "chat_id": str(c), "role": "sme",
             "active": True, "created_at": now} for c in range(first, first + n)])
        ids = list(await session.scalars(
            select(Identity.id).where(Identity.platform == "telegram",
                                      Identity.chat_id.in_([str(c) for c in range(first, first + n)]))))
        await session.execute(insert(Subscription), [
            {"identity_id": i, "tags": ["urban farming"], "created_at": now, "updated_at": now}
            for i in ids])


async def queue_broadcast(store: Store, n: int, notify: dict | None = None) -> int:
    """Subscribers and a confirmed broadcast of the food-hubs call to all of them."""
    await seed_catalogue(store)
    await add_subscribers(store, n)
    async with store.session() as session:
        broadcast, _ = await bc.confirm(session, "food-hubs", bc.MATCHING, "test", notify)
    assert broadcast is not None and broadcast.total == n
    return broadcast.id


async def statuses(store: Store) -> dict[str, int]:
    async with store.session() as session:
        rows = await session.execute(select(Delivery.status, Delivery.id))
        found: dict[str, int] = {}
        for status, _ in rows:
            found[status] = found.get(status, 0) + 1
    return found


async def test_every_active_recipient_gets_exactly_one_message(store, fake):
    n = 60
    async with store.session() as session:
        admin = await people.ensure_identity(session, "telegram", "1", "1")
        notify = {"platform": "telegram", "chat_id": "1", "identity_id": admin.id}
    bid = await queue_broadcast(store, n, notify)
    blocked = [FIRST_CHAT + i for i in (3, 17, 40)]
    limited = [FIRST_CHAT + i for i in (5, 30)]
    for chat in blocked:
        fake.block(chat)
    for chat in limited:
        fake.rate_limit(chat, retry_after=1)
    worker = make_worker(store, fake)
    await drain(worker)

    counts = fake.delivered_counts()
    for chat in range(FIRST_CHAT, FIRST_CHAT + n):
        assert counts[chat] == (0 if chat in blocked else 1), chat
        assert len(fake.sent(chat)) == 1 + (chat in limited)  # blocked: tried once, never again
    assert "matches your interests in urban farming" in fake.texts(FIRST_CHAT)[0]
    markup = fake.last_keyboard(FIRST_CHAT)
    assert [[b["callback_data"] for b in row] for row in markup] == [
        ["ch:food-hubs", "int:food-hubs"], ["unsub:", "amode:weekly"]]
    async with store.session() as session:
        inactive = set(await session.scalars(
            select(Identity.chat_id).where(Identity.active.is_(False))))
        assert inactive == {str(c) for c in blocked}
        assert await deliveries.progress(session, bid) == {"sent": n - 3, "failed": 3}
        b = await session.get(Broadcast, bid)
        assert b.finished_at is not None
    # A 429 paused every send for its retry_after, not only the refused chat's: within the
    # second after it only sends already on the wire arrive (at 200/s, ~180 without a pause).
    refused = [c.at for c in fake.calls if c.method == "sendMessage" and not c.ok
               and int(c.params["chat_id"]) in limited]
    for at in refused:
        soon = [c for c in fake.calls if c.method == "sendMessage" and at < c.at < at + 0.9]
        assert len(soon) <= 8, len(soon)
    assert worker.stats.rate_limited == 2 and worker.stats.blocked == 3
    # The admin's final report came through the same queue.
    report = await fake.wait_for_text(1, "has finished")
    assert f"reached {n - 3} of {n} recipients" in report and "3 could not be reached" in report


async def test_admin_preview_sends_nothing(store, fake):
    await seed_catalogue(store)
    await add_subscribers(store, 5)
    async with store.session() as session:
        await people.set_role(session, "console", "boss", "admin")
    admin = Chat(build_core(store, with_faq=False, with_matching=False), user="boss")
    await admin.send("/broadcast food-hubs")
    await admin.press_label("All subscribers (5)")
    assert "Confirm" in admin.text
    await drain(make_worker(store, fake))
    assert fake.sent() == []
    await admin.press_label("Confirm")
    await drain(make_worker(store, fake))
    assert len(fake.texts()) == 5


async def test_errors_migration_backoff_and_cap(store, fake):
    await queue_broadcast(store, 5)
    c = FIRST_CHAT
    fake.fail(c, 400, "Bad Request: can't parse entities")  # our fault: never repeated
    fake.fail(c + 1, 502, "Bad Gateway", times=2)  # transient: retried, then delivered
    fake.fail(c + 2, 502, "Bad Gateway", times=10)  # transient for good: given up at the cap
    fake.fail(c + 3, 400, "Bad Request: group chat was upgraded to a supergroup chat",
              parameters={"migrate_to_chat_id": -100777})
    worker = make_worker(store, fake, max_attempts=3)
    await drain(worker)
    counts = fake.delivered_counts()
    assert counts[c] == 0 and len(fake.sent(c)) == 1
    assert counts[c + 1] == 1 and len(fake.sent(c + 1)) == 3
    assert counts[c + 2] == 0 and len(fake.sent(c + 2)) == 3
    assert counts[-100777] == 1 and counts[c + 4] == 1
    async with store.session() as session:
        rows = {d.identity_id: d for d in await session.scalars(select(Delivery))}
        moved = await session.scalar(select(Identity).where(Identity.external_id == str(c + 3)))
    assert moved.chat_id == "-100777"
    failed = sorted(d.last_error for d in rows.values() if d.status == "failed")
    assert failed[0].startswith("BadRequest") and failed[1].startswith("gave up after 3 attempts")
    assert worker.stats.retried == 4 and worker.stats.migrated == 1


async def test_one_message_a_second_per_chat_and_the_global_pace(store, fake):
    await seed_catalogue(store)
    async with store.session() as session:
        who = await people.ensure_identity(session, "telegram", "77", "77")
        for text in ("one", "two", "three"):
            await deliveries.enqueue(session, who, "notice", to_payload(Reply(text)))
    fake.limit_rate(None, per_chat_interval=1.0)  # the fake refuses a chat's second message in 1 s
    await drain(make_worker(store, fake))
    assert fake.texts(77) == ["one", "two", "three"] and fake.too_many == 0
    times = [c.at for c in fake.sent(77)]
    assert all(b - a >= 0.99 for a, b in itertools.pairwise(times))


async def test_pacer_spaces_slots_evenly_and_pauses():
    pacer = Pacer(50.0)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(26):
        await pacer.slot()
    assert 0.45 <= loop.time() - start <= 0.7  # 25 intervals of 20 ms, no initial burst
    pacer.pause(0.3)
    before = loop.time()
    await pacer.slot()
    assert loop.time() - before >= 0.29


async def test_two_workers_on_postgresql_never_send_to_a_recipient_twice(store, fake):
    if store.dialect != "postgresql":
        pytest.skip("several workers share a queue only on PostgreSQL (SKIP LOCKED)")
    n = 600
    await queue_broadcast(store, n)
    one = make_worker(store, fake, rate=400.0, batch=20, name="w1")
    two = make_worker(store, fake, rate=400.0, batch=20, name="w2")
    await asyncio.gather(drain(one), drain(two))
    counts = fake.delivered_counts()
    assert sorted(counts) == list(range(FIRST_CHAT, FIRST_CHAT + n))
    assert set(counts.values()) == {1}
    assert one.stats.sent > n / 5 and two.stats.sent > n / 5  # both really shared the work
    assert one.stats.sent + two.stats.sent == n
    assert await statuses(store) == {"sent": n}


async def test_a_stopped_worker_hands_back_what_it_never_sent(store, fake):
    await queue_broadcast(store, 40)
    worker = make_worker(store, fake, rate=20.0, batch=40)
    stop = asyncio.Event()
    async with worker.bot:
        running = asyncio.create_task(worker.run(stop))
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.wait_for(running, 15)
    sent = len(fake.texts())
    assert 0 < sent < 40
    found = await statuses(store)
    assert found == {"sent": sent, "pending": 40 - sent}  # nothing left leased to a dead name
    async with store.session() as session:
        assert {d.attempts for d in await session.scalars(
            select(Delivery).where(Delivery.status == "pending"))} == {0}
    await drain(make_worker(store, fake))
    assert set(fake.delivered_counts().values()) == {1}

