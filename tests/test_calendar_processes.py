"""The calendar's scheduler in real processes against the fake Bot API and the test's store
(PostgreSQL when DIPS_TEST_DATABASE_URL is set, else one SQLite file the processes share).

- the Telegram worker sends a reminder as a message and its .ics file;
- two `dips run` replicas (webhook mode) send each follower one reminder, each weekly reader
  one digest and each lapsing form one nudge;
- `dips worker` killed with SIGKILL in the middle of a reminder run, then restarted, loses
  nobody, and duplicates only what was in flight (counted).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import select

from handlers.domain.calendar import CalendarConfig
from handlers.domain.scheduler import Scheduler
from storage import deliveries
from storage.models import ScheduledJob
from tests.calendar_helpers import add_challenge, add_followers
from tests.conftest import free_port
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.test_worker import drain, make_worker, statuses

DIPS = Path(sys.executable).with_name("dips")
LONDON = ZoneInfo("Europe/London")
FIRST = 20_000


def due_now_env() -> tuple[dict[str, str], datetime]:
    """Settings under which a challenge closing in two days at this minute has its 48-hour
    reminder due now (the 7-day one long past, so never sent), outside quiet hours."""
    moment = datetime.now(LONDON).replace(second=0, microsecond=0) - timedelta(minutes=1)
    quiet = ((moment + timedelta(hours=6)).strftime("%H:%M") + "-"
             + (moment + timedelta(hours=7)).strftime("%H:%M"))
    return {"DIPS_CLOSING_TIME": moment.strftime("%H:%M"), "DIPS_QUIET_HOURS": quiet,
            "DIPS_SCHEDULER_INTERVAL": "0.2"}, moment


def base_env(fake: FakeTelegram, db_url: str, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPS_")}
    env.update(DIPS_TELEGRAM_TOKEN=TOKEN, DIPS_TELEGRAM_API_URL=fake.api_url,
               DIPS_DATABASE_URL=db_url, DIPS_LOG_LEVEL="WARNING", **extra)
    return env


async def until(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def documents(fake: FakeTelegram) -> collections.Counter[int]:
    return collections.Counter(int(c.params["chat_id"]) for c in fake.calls
                               if c.ok and c.method == "sendDocument")


async def test_the_worker_sends_the_reminder_and_its_calendar_file(store):
    fake = await FakeTelegram().start()
    try:
        closes = datetime(2027, 11, 26).date()  # GMT on that date
        cid = await add_challenge(store, "grit", closes)
        await add_followers(store, cid, 3, first=FIRST)
        at = datetime(2027, 11, 19, 17, 30, tzinfo=LONDON)
        assert "reminder_7d" in await Scheduler(store, CalendarConfig(), lambda: at).tick()
        await drain(make_worker(store, fake))
    finally:
        await fake.stop()
    # One call each: the file, the reminder its caption, the buttons under it.
    assert documents(fake) == {FIRST: 1, FIRST + 1: 1, FIRST + 2: 1}
    assert fake.delivered_counts() == {}
    (call,) = fake.sent(FIRST, method="sendDocument")
    assert "closes in a week" in call.params["caption"] and call.params["parse_mode"] == "HTML"
    assert "int:grit" in json.dumps(call.params["reply_markup"])
    upload = call.params["document"]
    assert upload.filename == "grit-closes.ics"
    (event,) = icalendar.Calendar.from_ical(upload.content).walk("VEVENT")
    end = event.decoded("dtend")
    assert (end.date(), end.hour, end.utcoffset()) == (closes, 17, timedelta(0))


async def test_the_calendar_file_is_uploaded_once_then_sent_by_its_file_id(store):
    """10,000 followers get the same .ics: Telegram holds it after the first upload, so the
    rest name it (one sendDocument without a multipart body each)."""
    fake = await FakeTelegram().start()
    try:
        cid = await add_challenge(store, "grit", datetime(2027, 11, 26).date())
        await add_followers(store, cid, 3, first=FIRST)
        at = datetime(2027, 11, 19, 17, 30, tzinfo=LONDON)
        assert "reminder_7d" in await Scheduler(store, CalendarConfig(), lambda: at).tick()
        await drain(make_worker(store, fake, max_in_flight=1))  # one at a time: deterministic
    finally:
        await fake.stop()
    first, *rest = [c for c in fake.calls if c.ok and c.method == "sendDocument"]
    assert first.params["document"].filename == "grit-closes.ics"
    named = [c.params["document"] for c in rest]  # the fake's file_ids are "doc<n>"
    assert len(named) == 2 and named[0] == named[1] and str(named[0]).startswith("doc")
    assert all("closes in a week" in c.params["caption"] for c in rest)


async def start(command: str, env: dict[str, str], tmp_path: Path, log: str,
                ) -> asyncio.subprocess.Process:
    if command == "run":  # webhook mode on a port of its own, as a replica behind a balancer
        port = free_port()
        env = {**env, "DIPS_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/hook",
               "DIPS_TELEGRAM_PORT": str(port), "DIPS_TELEGRAM_LISTEN": "127.0.0.1"}
    with open(tmp_path / log, "wb") as out:
        return await asyncio.create_subprocess_exec(str(DIPS), command, cwd=tmp_path, env=env,
                                                    stdout=out, stderr=out)


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 30) == 0


async def two_replicas_until(fake: FakeTelegram, env: dict[str, str], tmp_path: Path,
                             done: Callable[[], Awaitable[bool]], what: str) -> None:
    """Two `dips run` replicas on the store until `done`, and a second more (a duplicate would
    arrive within it); then both stopped, and the fake Bot API; neither logged a traceback."""
    pair = [await start("run", env, tmp_path, f"replica{i}.log") for i in range(2)]
    try:
        await until(done, 90, f"both replicas to send {what}")
        await asyncio.sleep(1.0)
    finally:
        for process in pair:
            await stop(process)
        await fake.stop()
    for i in range(2):
        assert "Traceback" not in (tmp_path / f"replica{i}.log").read_text()


async def test_two_replicas_send_each_follower_one_reminder(store, db_url, tmp_path):
    n = 400
    extra, moment = due_now_env()
    cid = await add_challenge(store, "grit", moment.date() + timedelta(days=2))
    await add_followers(store, cid, n, first=FIRST)
    fake = await FakeTelegram().start()
    env = base_env(fake, db_url, {**extra, "DIPS_TELEGRAM_RATE": "200"})

    async def all_sent() -> bool:
        return sum(documents(fake).values()) >= n

    await two_replicas_until(fake, env, tmp_path, all_sent, "the reminders")
    files = documents(fake)
    followers = range(FIRST, FIRST + n)
    assert [c for c in followers if files[c] != 1] == []
    async with store.session() as session:
        jobs = list(await session.scalars(select(ScheduledJob).where(
            ScheduledJob.kind.like("reminder%"))))
    assert [(j.kind, j.status, j.recipients) for j in jobs] == [("reminder_48h", "done", n)]
    assert len({j.claimed_by for j in jobs}) == 1


async def test_two_replicas_send_each_digest_and_nudge_once(store, db_url, tmp_path):
    """The weekly digest and the nudges of lapsing forms, due now, with two `dips run`
    replicas ticking on one store: one digest per weekly reader, one nudge per form."""
    from handlers.sme.eoi_form import FORM
    from storage import subscriptions
    from storage.audit import audit
    from storage.models import ConversationState, utcnow

    n = 60
    extra, moment = due_now_env()
    extra.update(DIPS_DIGEST_DAY=moment.strftime("%A"), DIPS_DIGEST_TIME=moment.strftime("%H:%M"),
                 DIPS_NUDGE_HOURS="3")
    cid = await add_challenge(store, "pond", moment.date() + timedelta(days=30))
    readers = await add_followers(store, cid, n, first=FIRST)
    writers = await add_followers(store, cid, n, first=FIRST + n)
    # Each form was last touched 21 hours ago: it lapses in 3 hours, so its nudge is due now.
    touched = utcnow() - timedelta(hours=21, seconds=5)
    async with store.session() as session:
        await audit(session, "admin:1", "challenge_open", "pond")  # a new call this week
        for reader in readers:
            await subscriptions.set_subscription(session, reader, ["sensors"])
            await subscriptions.set_alert_mode(session, reader, "weekly")
        session.add_all(ConversationState(
            identity_id=w, flow=FORM.name, step=FORM.steps[0].name, version=1,
            data={"ref": "pond", "title": "Challenge pond"}, updated_at=touched) for w in writers)
    fake = await FakeTelegram().start()
    env = base_env(fake, db_url, extra)
    chats = range(FIRST, FIRST + 2 * n)

    async def all_sent() -> bool:
        return all(fake.delivered_counts()[c] for c in chats)

    await two_replicas_until(fake, env, tmp_path, all_sent, "the digests and nudges")
    counts = fake.delivered_counts()
    assert [c for c in chats if counts[c] != 1] == []
    digests = [t for c in range(FIRST, FIRST + n) for t in fake.texts(c)]
    nudges = [t for c in range(FIRST + n, FIRST + 2 * n) for t in fake.texts(c)]
    assert all("Challenge pond" in t for t in digests) and "isn't finished" not in digests[0]
    assert all("isn't finished" in t for t in nudges)
    async with store.session() as session:
        jobs = list(await session.scalars(select(ScheduledJob).where(
            ScheduledJob.kind.in_(("digest", "form_nudge")))))
    assert sorted((j.kind, j.status, j.recipients) for j in jobs) == (
        [("digest", "done", n)] + [("form_nudge", "done", 1)] * n)


async def test_a_worker_killed_mid_reminder_run_loses_nobody(store, db_url, tmp_path):
    n = 2000
    extra, moment = due_now_env()
    cid = await add_challenge(store, "grit", moment.date() + timedelta(days=2))
    await add_followers(store, cid, n, first=FIRST)
    fake = await FakeTelegram().start()
    env = base_env(fake, db_url, {**extra, "DIPS_TELEGRAM_RATE": "400",
                                  "DIPS_DELIVERY_LEASE": "2"})
    try:
        first = await start("worker", env, tmp_path, "first.log")

        async def some_sent() -> bool:
            return sum(documents(fake).values()) >= 500

        await until(some_sent, 60, "the first worker to send 500 reminders")
        first.send_signal(signal.SIGKILL)
        await first.wait()
        at_kill = await statuses(store)
        in_flight = at_kill.get("sending", 0)
        assert 0 < sum(documents(fake).values()) < n and at_kill.get("pending", 0) > 0
        second = await start("worker", env, tmp_path, "second.log")

        async def all_done() -> bool:
            async with store.session() as session:
                return await deliveries.pending_count(session, "telegram") == 0

        await until(all_done, 90, "the restarted worker to finish")
        await stop(second)
    finally:
        await fake.stop()
    counts = documents(fake)
    followers = range(FIRST, FIRST + n)
    lost = [c for c in followers if counts[c] == 0]
    duplicates = sum(counts[c] - 1 for c in followers if counts[c] > 1)
    print(f"\nkilled with {in_flight} reminders in flight; duplicates after restart: {duplicates}")
    assert lost == []
    assert duplicates <= in_flight
    assert await statuses(store) == {"sent": n}
    async with store.session() as session:  # the restarted scheduler did not queue it again
        jobs = list(await session.scalars(select(ScheduledJob).where(
            ScheduledJob.kind.like("reminder%"))))
    assert [(j.kind, j.status, j.recipients) for j in jobs] == [("reminder_48h", "done", n)]
    assert "Traceback" not in (tmp_path / "second.log").read_text()
