"""What the calendar sends SMEs, through the Telegram fake: the adapter for what they type and
press, the delivery worker for what the scheduler queued (a controlled clock), in English and
in Swedish (each worded in the recipient's language, the .ics included).

SQLite by default; PostgreSQL when DIPS_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from handlers.app import build_core
from handlers.domain.calendar import CalendarConfig, schedule_publishing
from handlers.domain.scheduler import Scheduler
from handlers.kernel.core import CoreConfig
from handlers.kernel.text import day_name, speaking, t
from storage import subscriptions
from storage.models import Challenge
from storage.store import Store
from tests.calendar_helpers import add_challenge
from tests.fake_telegram import FakeTelegram
from tests.test_telegram import Harness, start_bot
from tests.test_worker import drain, make_worker

LONDON = ZoneInfo("Europe/London")
EN, SV = 4101, 4102
NO_QUIET = CalendarConfig(quiet_start=time(0, 0), quiet_end=time(0, 0))


def digest_day() -> int:
    """The weekday two days from now: the digest test's call opens tomorrow (the digest lists
    calls opened in the week to it, by the audit log's real clock)."""
    return (datetime.now(LONDON).date() + timedelta(days=2)).weekday()


class Clock:
    def __init__(self, at: datetime) -> None:
        self.now = at

    def __call__(self) -> datetime:
        return self.now


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def swedish(key: str, **values: object) -> str:
    with speaking("sv"):
        return t(key, **values)


@pytest.fixture
async def bot(store: Store) -> AsyncIterator[Harness]:
    fake = await FakeTelegram().start()
    fake.languages[SV] = "sv"  # Telegram's language_code on first contact
    harness = await start_bot(fake, build_core(store, CoreConfig(digest_day=digest_day()), with_faq=False))
    try:
        yield harness
    finally:
        await harness.adapter.stop()
        await fake.stop()


async def run_queue(store: Store, bot: Harness) -> int:
    """Send what the scheduler queued; the index of the first call it made."""
    since = len(bot.fake.calls)
    await drain(make_worker(store, bot.fake))
    return since


def got(bot: Harness, chat: int, since: int) -> list[dict[str, object]]:
    """What reached `chat` from call `since` on: each message's or file's parameters."""
    return [c.params for c in bot.fake.calls[since:] if c.ok
            and c.method in ("sendMessage", "sendDocument") and int(c.params["chat_id"]) == chat]


def text_of(params: dict[str, object]) -> str:
    return str(params.get("text") or params.get("caption"))


def labels(params: dict[str, object]) -> list[str]:
    markup = params.get("reply_markup") or {}
    assert isinstance(markup, dict)
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_reminders_and_a_moved_date_reach_each_sme_in_their_language(bot, store):
    closes = datetime.now(LONDON).date() + timedelta(days=30)
    cid = await add_challenge(store, "grit", closes)
    assert "7 days and 48 hours" in await bot.say("/follow grit", user=EN)
    assert swedish("calendar.following", title="Challenge grit", ref="grit") in await bot.say(
        "/follow grit", user=SV)
    clock = Clock(london(closes - timedelta(days=7), 17, 1))
    scheduler = Scheduler(store, NO_QUIET, clock)
    assert "reminder_7d" in await scheduler.tick()
    since = await run_queue(store, bot)
    (en,), (sv,) = got(bot, EN, since), got(bot, SV, since)
    assert "closes in a week" in text_of(en) and "Stop reminders" in labels(en)
    assert "closes in a week" not in text_of(sv) and swedish("calendar.unfollow") in labels(sv)
    uploads = {c.params["chat_id"]: c.params["document"] for c in bot.fake.calls[since:]
               if c.method == "sendDocument" and hasattr(c.params["document"], "content")}
    assert len(uploads) == 2  # two languages, two calendar files (each uploaded once)
    for upload in uploads.values():
        (event,) = icalendar.Calendar.from_ical(upload.content).walk("VEVENT")
        assert event.decoded("dtend").date() == closes
    summaries = {str(icalendar.Calendar.from_ical(u.content).walk("VEVENT")[0]["summary"])
                 for u in uploads.values()}
    assert summaries == {t("calendar.ics_summary", title="Challenge grit", ref="grit"),
                         swedish("calendar.ics_summary", title="Challenge grit", ref="grit")}

    async with store.session() as session:  # an officer moves the closing date
        (await session.get(Challenge, cid)).closes = closes + timedelta(days=7)
    clock.now += timedelta(minutes=5)
    assert "close_moved" in await scheduler.tick()
    since = await run_queue(store, bot)
    (en,), (sv,) = got(bot, EN, since), got(bot, SV, since)
    assert "Challenge grit" in text_of(en) and text_of(sv) != text_of(en)

    assert "No more reminders" in await bot.press("Stop reminders", user=EN)
    clock.now = london(closes + timedelta(days=5), 17, 1)  # 48 hours before the new date
    assert "reminder_48h" in await scheduler.tick()
    since = await run_queue(store, bot)
    assert got(bot, EN, since) == []  # stopped: nothing more
    # One message: the new date's 7-day reminder came due while "every replica was down"
    # (the clock jumped five days past it), so it is skipped rather than sent days late.
    (sv,) = got(bot, SV, since)
    new_deadline = datetime.combine(closes + timedelta(days=7), time(17, 0), tzinfo=LONDON)
    reminder = swedish("calendar.reminder_48h", title="Challenge grit", ref="grit",
                       date=new_deadline)
    opening = reminder.split("”")[0]  # "Två dagar kvar: ", before the title
    assert opening.strip() and opening in text_of(sv) and "17:00" in text_of(sv)


async def test_a_lapsing_form_is_nudged_on_telegram_and_carries_on(bot, store):
    await add_challenge(store, "grit", datetime.now(LONDON).date() + timedelta(days=30))
    question = await bot.say("/interest grit", user=SV)
    started = datetime.now(UTC)
    clock = Clock(started + timedelta(hours=21, minutes=1))
    assert "form_nudge" in await Scheduler(store, NO_QUIET, clock).tick()
    since = await run_queue(store, bot)
    (nudge,) = got(bot, SV, since)
    assert labels(nudge) == [swedish("button.carry_on"), swedish("button.cancel")]
    assert "Challenge grit" in text_of(nudge) and "isn't finished" not in text_of(nudge)
    again = await bot.press(swedish("button.carry_on"), user=SV)
    assert question.splitlines()[-1] in again  # the same question, where it was left


async def test_weekly_digest_and_a_scheduled_call_on_telegram(bot, store):
    today = datetime.now(LONDON).date()
    opens = today + timedelta(days=1)
    cfg = CalendarConfig(quiet_start=time(0, 0), quiet_end=time(0, 0), digest_day=digest_day())
    cid = await add_challenge(store, "pond", today + timedelta(days=60), status="draft")
    async with store.session() as session:
        (await session.get(Challenge, cid)).opens = opens
    await bot.say("/language sv", user=SV)
    for user in (EN, SV):
        chose = await bot.say("/subscribe sensors", user=user)
    with speaking("sv"):  # a new subscriber gets the weekly digest, on the configured day
        assert t("alerts.done_weekly", tags="sensor", day=day_name(digest_day())) in chose
    assert "as soon as it opens" in await bot.press("Alerts as they open", user=EN)
    await bot.press(swedish("digest.to_immediate"), user=SV)  # both on alerts: the call's
    async with store.session() as session:
        due = await schedule_publishing(session, "pond", "matching", "admin:1",
                                        datetime.now(UTC), cfg)
    assert due.astimezone(LONDON).date() == opens

    clock = Clock(due + timedelta(minutes=1))
    scheduler = Scheduler(store, cfg, clock)
    assert "publish" in await scheduler.tick()
    since = await run_queue(store, bot)
    (en_alert,), (sv_alert,) = got(bot, EN, since), got(bot, SV, since)
    assert "Weekly digest instead" in labels(en_alert)
    assert swedish("digest.to_weekly") in labels(sv_alert)
    chose = await bot.press(swedish("digest.to_weekly"), user=SV)
    with speaking("sv"):
        assert t("digest.now_weekly", day=day_name(digest_day())) in chose

    clock.now = london(today + timedelta(days=2), 9, 1)  # the digest day after it opened
    assert "digest" in await scheduler.tick()
    since = await run_queue(store, bot)
    assert got(bot, EN, since) == []  # alerts as they open: no digest
    (digest,) = got(bot, SV, since)
    assert "Challenge pond (pond)" in text_of(digest)
    assert swedish("digest.title", n=1) in text_of(digest)
    assert "Alerts as they open" not in labels(digest)
    chose = await bot.press(swedish("digest.to_immediate"), user=SV)
    assert swedish("digest.now_immediate") in chose
    async with store.session() as session:
        assert await subscriptions.weekly_identities(session) == set()
