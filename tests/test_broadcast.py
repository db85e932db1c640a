"""The admin broadcast flow: preview, audience, confirmation, permissions, progress, report.

Driven through the core with the Errbot-style harness; the store is real (SQLite, or PostgreSQL
when DIPS_TEST_DATABASE_URL is set). Sending is tested in test_worker*.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from handlers.app import build_core, seed_catalogue
from handlers.domain import broadcasts as bc
from handlers.domain.outbound import from_payload
from handlers.kernel.core import Core
from storage import challenges, deliveries, people, subscriptions
from storage.audit import audit_entries
from storage.models import Broadcast, Delivery
from tests.conftest import Chat

REF = "food-hubs"
ROOT = Path(__file__).resolve().parents[1]


async def setup(store, matching: int = 3, other: int = 2, draft: bool = True) -> Core:
    """A draft challenge, an admin, `matching` subscribers whose interests fit and `other` not."""
    await seed_catalogue(store)
    async with store.session() as session:
        if draft:
            await challenges.set_status(session, REF, "draft")
        await people.set_role(session, "console", "boss", "admin")
        for n in range(matching + other):
            who = await people.ensure_identity(session, "telegram", str(500 + n), str(500 + n))
            tags = ["urban farming", "drones"] if n < matching else ["sewage pipes"]
            await subscriptions.set_subscription(session, who.id, tags)
    return build_core(store, with_faq=False, with_matching=False)


async def counts(store) -> tuple[int, int, str]:
    async with store.session() as session:
        b = await session.scalar(select(func.count()).select_from(Broadcast))
        d = await session.scalar(select(func.count()).select_from(Delivery))
        status = (await challenges.get_challenge(session, REF)).status
    return b, d, status


async def test_preview_changes_and_queues_nothing_until_confirmed(store):
    core = await setup(store)
    admin = Chat(core, user="boss")
    await admin.send(f"/publish {REF}")
    preview, question = admin.replies[1], admin.replies[2]
    assert preview.title.startswith("New challenge: ") and "urban farming" in preview.text
    assert "3 subscribers whose interests match" in question.text and "5 subscribers in all" in question.text
    assert await counts(store) == (0, 0, "draft")
    await admin.press_label("Matching subscribers (3)")
    assert "send the announcement to 3 matching subscribers" in admin.text
    assert await counts(store) == (0, 0, "draft")
    await admin.press_label("Cancel")
    assert "Cancelled" in admin.text and await counts(store) == (0, 0, "draft")

    await admin.send(f"/publish {REF}")
    await admin.press_label("Matching subscribers")
    await admin.press_label("Confirm")
    assert "is now open" in admin.text and "queued for 3 recipients" in admin.text
    assert await counts(store) == (1, 3, "open")
    async with store.session() as session:
        actions = [(e.action, e.target) for e in await audit_entries(session)]
        b = await session.scalar(select(Broadcast))
    assert ("challenge_open", REF) in actions and ("broadcast", REF) in actions
    assert b.notify["chat_id"] == "boss" and b.audience == "matching"

    # A double press, or widening to everyone, never reaches anyone twice.
    await admin.press(f"bcy:m:{b.challenge_id}")
    assert "Nobody in that audience is left" in admin.text and await counts(store) == (1, 3, "open")
    await admin.send(f"/broadcast {REF}")
    assert "0 subscribers whose interests match" in admin.text and "2 subscribers in all" in admin.text
    await admin.press_label("All subscribers (2)")
    await admin.press_label("Confirm")
    assert "queued for 2 recipients" in admin.text and await counts(store) == (2, 5, "open")


async def test_weekly_digest_readers_are_left_to_their_digest_and_counted(store):
    core = await setup(store, matching=3, other=1)
    async with store.session() as session:
        reader = await people.get_identity(session, "telegram", "500")  # matches: its digest
        other = await people.get_identity(session, "telegram", "503")  # no match: no digest
        for who in (reader, other):
            assert await subscriptions.set_alert_mode(session, who.id, "weekly")
    admin = Chat(core, user="boss")
    await admin.send(f"/publish {REF}")
    assert "2 subscribers whose interests match" in admin.text
    assert "chose the weekly digest, left out here" in admin.text and "choose: 1." in admin.text
    await admin.press_label("All subscribers (3)")  # the non-matching reader hears of it now
    await admin.press_label("Confirm")
    assert "queued for 3 recipients" in admin.text
    async with store.session() as session:
        sent_to = set(await session.scalars(select(Delivery.identity_id)))
    assert reader.id not in sent_to and other.id in sent_to and len(sent_to) == 3


async def test_weekly_readers_get_an_announcement_their_digest_would_not_carry(store):
    """A call already open is not among the digest's new calls: announcing it reaches them."""
    core = await setup(store, matching=2, other=0, draft=False)
    async with store.session() as session:
        reader = await people.get_identity(session, "telegram", "500")
        assert await subscriptions.set_alert_mode(session, reader.id, "weekly")
    admin = Chat(core, user="boss")
    await admin.send(f"/broadcast {REF}")
    assert "2 subscribers whose interests match" in admin.text
    assert "weekly digest" not in admin.text


async def test_recipient_message_says_why_and_has_the_buttons(store):
    core = await setup(store, matching=1, other=1)
    admin = Chat(core, user="boss")
    await admin.send(f"/broadcast {REF}")
    await admin.press_label("All subscribers")
    await admin.press_label("Confirm")
    async with store.session() as session:
        rows = list(await session.scalars(select(Delivery).order_by(Delivery.id)))
        challenge = await challenges.get_challenge(session, REF)
    fits, other = (from_payload(r.payload) for r in rows)
    assert fits.title == f"New challenge: {challenge.title}"
    assert challenge.department in fits.text
    assert "matches your interests in urban farming" in fits.text and "drones" not in fits.text
    assert f"{challenge.closes:%d %B %Y}" in fits.text
    assert [[b.data for b in row] for row in fits.buttons] == [
        [f"ch:{REF}", f"int:{REF}"], ["unsub:", "amode:weekly"]]
    assert "you asked to hear about new challenges" in other.text
    # The preview was exactly the first recipient's message.
    await admin.send(f"/broadcast {REF}")
    assert "0 subscribers in all" in admin.text


async def test_sme_and_officer_cannot_publish_or_broadcast(store):
    core = await setup(store)
    async with store.session() as session:
        await people.set_role(session, "console", "off", "officer")
        cid = (await challenges.get_challenge(session, REF)).id
    for user in ("sme", "off"):
        chat = Chat(core, user=user)
        for command in (f"/publish {REF}", f"/broadcast {REF}", "/broadcast status 1"):
            await chat.send(command)
            assert "only available" in chat.text
        await chat.press(f"bcy:a:{cid}")  # a forged or forwarded confirm button
        assert "only available to admins" in chat.text
        await chat.press(f"bca:a:{cid}")
        assert "only available to admins" in chat.text
    assert await counts(store) == (0, 0, "draft")


async def test_publish_without_announcing_and_unknown_refs(store):
    core = await setup(store, matching=0, other=0)
    admin = Chat(core, user="boss")
    await admin.send("/publish no-such-thing")
    assert "can't find" in admin.text
    await admin.send(f"/publish {REF}")
    assert "Matching subscribers" not in admin.text
    await admin.press_label("Publish without announcing")
    await admin.press_label("Confirm")
    assert "is now open; no announcement" in admin.text
    assert await counts(store) == (0, 0, "open")
    await admin.send(f"/publish {REF}")
    assert "already open" in admin.text


async def test_status_estimate_and_final_report(store):
    core = await setup(store, matching=4, other=0)
    admin = Chat(core, user="boss", platform="telegram")
    async with store.session() as session:
        await people.set_role(session, "telegram", "boss", "admin")
    await admin.send(f"/broadcast {REF}")
    await admin.press_label("Matching")
    await admin.press_label("Confirm")
    async with store.session() as session:
        b = await session.scalar(select(Broadcast))
        rows = await deliveries.claim(session, "telegram", "w", 10)
    assert len(rows) == 4
    await admin.send(f"/broadcast status {b.id}")
    assert "sent 0, failed 0, pending 4" in admin.text and "left at 25.0 a second" in admin.text
    async with store.session() as session:
        await deliveries.mark_sent_many(session, [rows[0].id, rows[1].id], "w")
        await deliveries.mark_failed(session, rows[2].id, "w", "blocked")
        assert not await bc.on_finished(session, b.id)
    await admin.send(f"/broadcast {b.id}")
    assert "sent 2, failed 1, pending 1" in admin.text and "left at" in admin.text
    async with store.session() as session:
        await deliveries.mark_sent(session, rows[3].id, "w")
        assert await bc.on_finished(session, b.id)
        assert not await bc.on_finished(session, b.id)  # reported once only
        report = await session.scalar(select(Delivery).where(Delivery.kind == "broadcast_report"))
    assert (report.platform, report.chat_id, report.broadcast_id) == ("telegram", "boss", None)
    assert "reached 3 of 4 recipients. 1 could not be reached" in from_payload(report.payload).text
    await admin.send(f"/broadcast status {b.id}")
    assert "sent 3, failed 1, pending 0" in admin.text and "finished" in admin.text
    await admin.send("/broadcast status 99")
    assert "no broadcast 99" in admin.text


def _cli(args: list[str], db_url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DIPS_")},
           "DIPS_DATABASE_URL": db_url}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, text=True,
                          capture_output=True, env=env, cwd=ROOT, timeout=120)


async def test_cli_broadcast_preview_confirm_and_status(store, db_url):
    await setup(store)
    refused = _cli(["broadcast", REF], db_url, stdin="n\n")
    assert refused.returncode == 1 and "Cancelled: nothing was sent" in refused.stdout
    assert "== New challenge:" in refused.stdout and "3 matching subscribers" in refused.stdout
    assert await counts(store) == (0, 0, "draft")
    done = _cli(["broadcast", REF, "--all", "--yes"], db_url)
    assert done.returncode == 0, done.stderr
    assert "broadcast 1 queued for 5 recipients" in done.stdout
    assert await counts(store) == (1, 5, "open")
    status = _cli(["broadcast", "status", "1"], db_url)
    assert status.returncode == 0 and "sent 0, failed 0, pending 5" in status.stdout
