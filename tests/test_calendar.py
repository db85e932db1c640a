"""The programme's calendar with a controlled clock: following, deadline reminders with a
calendar file, closing-date notices, quiet hours, housekeeping, and replicas sharing one store.

SQLite by default; PostgreSQL when DIPS_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import select

from handlers.app import build_core
from handlers.domain.calendar import CalendarConfig, after_quiet_hours
from handlers.domain.outbound import from_payload
from handlers.domain.scheduler import Scheduler
from handlers.kernel.text import speaking, t
from storage import follows
from storage.models import (
    AuditEntry,
    Broadcast,
    Challenge,
    Delivery,
    Eoi,
    Identity,
    Organisation,
    ScheduledJob,
)
from storage.store import open_store
from tests.calendar_helpers import add_challenge, add_followers
from tests.conftest import Chat

LONDON = ZoneInfo("Europe/London")
CLOSES = date(2027, 6, 18)  # a Friday in British Summer Time (UTC+1)
CFG = CalendarConfig()


class Clock:
    def __init__(self, at: datetime) -> None:
        self.now = at

    def __call__(self) -> datetime:
        return self.now


ROUTINE = ("housekeeping", "digest", "officer_digest")  # daily and weekly jobs


def own(kinds: list[str]) -> list[str]:
    """The jobs a tick ran, leaving out the routine ones."""
    return [k for k in kinds if k not in ROUTINE]


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


async def sent_rows(store, kind: str | None = None) -> list[Delivery]:
    async with store.session() as session:
        query = select(Delivery).join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        if kind:
            query = query.where(Broadcast.kind == kind)
        return list(await session.scalars(query.order_by(Delivery.id)))


async def give_eoi(store, identity_id: int, challenge_id: int) -> None:
    async with store.session() as session:
        org = Organisation(name="Acme", size_band="small", country="UK", city="Birmingham")
        session.add(org)
        await session.flush()
        identity = await session.get(Identity, identity_id)
        identity.organisation_id = org.id
        session.add(Eoi(organisation_id=org.id, challenge_id=challenge_id, summary="x",
                        stage="submitted"))


async def test_reminders_go_7_days_and_48_hours_before_to_followers_without_an_eoi(store):
    cid = await add_challenge(store, "grit", CLOSES)
    ids = await add_followers(store, cid, 5, first=7000)
    await give_eoi(store, ids[0], cid)  # registered interest: no reminders
    clock = Clock(london(CLOSES - timedelta(days=8), 12))
    scheduler = Scheduler(store, CFG, clock)

    assert own(await scheduler.tick()) == []  # no reminder due yet
    clock.now = london(CLOSES - timedelta(days=7), 17, 1)
    assert own(await scheduler.tick()) == ["reminder_7d"]
    assert own(await scheduler.tick()) == []  # never twice
    week = await sent_rows(store, "reminder_7d")
    assert sorted(r.identity_id for r in week) == ids[1:]
    reply = from_payload(week[0].payload)
    assert "closes in a week" in reply.text and "17:00 on Friday 18 June 2027" in reply.text
    assert reply.attachment is not None and reply.attachment.filename == "grit-closes.ics"
    labels = [b.label for row in reply.buttons for b in row]
    assert "Register interest" in labels and "Stop reminders" in labels

    clock.now = london(CLOSES - timedelta(days=2), 17)
    assert own(await scheduler.tick()) == ["reminder_48h"]
    assert len(await sent_rows(store, "reminder_48h")) == 4
    assert len(await sent_rows(store)) == 8
    async with store.session() as session:
        jobs = list(await session.scalars(select(ScheduledJob).where(
            ScheduledJob.kind.like("reminder%")).order_by(ScheduledJob.due)))
    assert [(j.kind, j.status, j.recipients) for j in jobs] == [
        ("reminder_7d", "done", 4), ("reminder_48h", "done", 4)]
    # The hour is UK time: 17:00 BST is 16:00 UTC.
    assert jobs[1].due == datetime(2027, 6, 16, 16, 0, tzinfo=UTC)


async def test_the_ics_file_parses_with_the_closing_date_in_uk_time(store):
    cid = await add_challenge(store, "grit", CLOSES)
    await add_followers(store, cid, 1, first=7100)
    await Scheduler(store, CFG, Clock(london(CLOSES - timedelta(days=7), 18))).tick()
    (row,) = await sent_rows(store)
    attachment = from_payload(row.payload).attachment
    assert attachment is not None and attachment.mime_type == "text/calendar"
    cal = icalendar.Calendar.from_ical(attachment.content)
    (event,) = cal.walk("VEVENT")
    end = event.decoded("dtend")
    assert end.date() == CLOSES and end.hour == 17 and end.minute == 0
    assert str(end.tzinfo) == "Europe/London" or getattr(end.tzinfo, "key", "") == "Europe/London"
    assert end.utcoffset() == timedelta(hours=1)  # summer time on that date
    assert event["dtend"].params["TZID"] == "Europe/London"
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    assert "grit" in str(event["summary"])


async def test_a_moved_closing_date_is_told_to_followers_and_reminders_follow_it(store):
    cid = await add_challenge(store, "grit", CLOSES)
    ids = await add_followers(store, cid, 3, first=7200)
    await give_eoi(store, ids[2], cid)
    clock = Clock(london(CLOSES - timedelta(days=10), 10))
    scheduler = Scheduler(store, CFG, clock)
    await scheduler.tick()
    later = CLOSES + timedelta(days=14)
    async with store.session() as session:
        (await session.get(Challenge, cid)).closes = later
    clock.now += timedelta(minutes=5)
    assert own(await scheduler.tick()) == ["close_moved"]
    moved = await sent_rows(store, "close_moved")
    assert sorted(r.identity_id for r in moved) == ids  # every follower hears of it
    text = from_payload(moved[0].payload).text
    assert "from 18 June 2027" in text and "Friday 2 July 2027" in text
    assert own(await scheduler.tick()) == []
    clock.now = london(CLOSES - timedelta(days=7), 18)  # the old date's reminder: skipped
    assert own(await scheduler.tick()) == []
    clock.now = london(later - timedelta(days=7), 18)
    assert own(await scheduler.tick()) == ["reminder_7d"]
    assert len(await sent_rows(store, "reminder_7d")) == 2


async def test_quiet_hours_hold_a_reminder_until_the_morning(store):
    cfg = CalendarConfig(closing_time=time(23, 30))
    cid = await add_challenge(store, "grit", CLOSES)
    await add_followers(store, cid, 2, first=7300)
    await Scheduler(store, cfg, Clock(london(CLOSES - timedelta(days=2), 23, 31))).tick()
    rows = await sent_rows(store, "reminder_48h")
    assert len(rows) == 2
    assert all(r.not_before == london(CLOSES - timedelta(days=1), 8) for r in rows)
    assert after_quiet_hours(london(CLOSES, 7, 59), cfg) == london(CLOSES, 8)
    assert after_quiet_hours(london(CLOSES, 12), cfg) == london(CLOSES, 12)


async def test_housekeeping_closes_expired_challenges_once_a_day_and_audits_the_purge(store):
    await add_challenge(store, "old", date(2027, 1, 4))
    await add_challenge(store, "live", date(2027, 3, 1))
    clock = Clock(london(date(2027, 1, 5), 3, 5))
    scheduler = Scheduler(store, CFG, clock)
    assert "housekeeping" in await scheduler.tick()
    assert await scheduler.tick() == []  # once a day
    async with store.session() as session:
        statuses = dict((await session.execute(select(Challenge.ref, Challenge.status))).all())
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert statuses == {"old": "closed", "live": "open"}
    assert actions == ["privacy_purge", "challenges_closed"]
    clock.now += timedelta(days=1)
    assert "housekeeping" in await scheduler.tick()


async def test_follow_and_unfollow_through_the_core(store):
    await add_challenge(store, "grit", CLOSES)
    core = build_core(store, with_faq=False)
    chat = Chat(core, "sme1")
    await chat.send("/challenge grit")
    await chat.press_label("Remind me before it closes")
    assert "7 days and 48 hours before it closes" in chat.text
    await chat.send("/follow grit")  # twice is still once
    async with store.session() as session:
        assert await follows.count_followers(session, 1) == 1
    await chat.press_label("Stop reminders")
    assert "No more reminders" in chat.text
    await chat.send("/follow nope")
    assert "nope" in chat.text
    await chat.send("/follow")
    assert "/follow" in chat.text
    async with store.session() as session:
        assert await follows.count_followers(session, 1) == 0


async def test_following_promises_only_the_reminders_there_is_time_for(store):
    today = date(2027, 3, 1)  # a Monday; the core's clock stands at noon, UK time
    for ref, days in (("far", 20), ("edge", 7), ("week", 5), ("soon", 1), ("done", 30)):
        await add_challenge(store, ref, today + timedelta(days=days))
    core = build_core(store, with_faq=False)
    core.clock = Clock(london(today, 12))
    chat = Chat(core, "sme9")
    await chat.send("/follow far")
    assert "7 days and 48 hours before it closes" in chat.text
    await chat.send("/follow edge")  # the 7-day reminder goes at 17:00 today: still to come
    assert "7 days and 48 hours before it closes" in chat.text
    await chat.send("/follow week")
    assert "48 hours before it closes on 6 March 2027" in chat.text and "7 days" not in chat.text
    await chat.send("/follow soon")
    assert "too soon for reminders" in chat.text and "Register interest" in str(chat.replies[-1])
    await chat.send("/challenge soon")
    assert "Remind me before it closes" not in str(chat.replies[-1].buttons)
    await chat.send("/challenge week")
    assert "Remind me before it closes" in str(chat.replies[-1].buttons)
    async with store.session() as session:
        identity = await session.scalar(select(Identity).where(Identity.external_id == "sme9"))
        assert identity is not None
        ids = dict((await session.execute(select(Challenge.ref, Challenge.id))).all())
    await give_eoi(store, identity.id, ids["done"])
    await chat.send("/follow done")
    assert "already registered interest" in chat.text
    async with store.session() as session:  # followed: far, edge and week; not soon, not done
        assert [await follows.count_followers(session, ids[ref])
                for ref in ("far", "edge", "week", "soon", "done")] == [1, 1, 1, 0, 0]


async def test_starting_the_eoi_form_follows_the_challenge(store):
    await add_challenge(store, "grit", CLOSES)
    chat = Chat(build_core(store, with_faq=False), "sme2")
    await chat.send("/interest grit")
    async with store.session() as session:
        assert await follows.count_followers(session, 1) == 1


async def test_an_aside_mid_form_answers_then_asks_the_forms_question_again(store):
    await add_challenge(store, "grit", datetime.now(LONDON).date() + timedelta(days=30))
    chat = Chat(build_core(store, with_faq=False), "sme8")
    await chat.send("/interest grit")
    question = chat.text.splitlines()[-1]
    await chat.send("/unfollow grit")
    assert "No more reminders" in chat.text and chat.text.splitlines()[-1] == question
    await chat.send("/language sv")
    with speaking("sv"):
        assert t("language.set", language="svenska") in chat.text
        asked = t("eoi.ask.org_name", title="Challenge grit").splitlines()[-1]
    assert chat.text.splitlines()[-1] == asked != question  # the same question, now in Swedish
    await chat.send("/cancel")
    await chat.send("/follow grit")  # no form open: nothing asked again
    assert "isn't finished" not in chat.text and len(chat.replies) == 1


async def test_two_schedulers_on_one_store_queue_each_reminder_once(store, db_url):
    """Two replicas (two engines, as two processes have) tick at the same moment, again and
    again: every job runs once and every follower is queued one reminder."""
    cid = await add_challenge(store, "grit", CLOSES)
    await add_followers(store, cid, 300, first=8000)
    other = await open_store(db_url)
    try:
        now = london(CLOSES - timedelta(days=2), 17, 2)  # the 7-day one is long past: skipped
        a = Scheduler(store, CFG, Clock(now), name="a")
        b = Scheduler(other, CFG, Clock(now), name="b")
        for _ in range(3):
            await asyncio.gather(a.tick(), b.tick())
    finally:
        await other.close()
    rows = await sent_rows(store, "reminder_48h")
    assert len(rows) == 300 and len({r.identity_id for r in rows}) == 300
    async with store.session() as session:
        jobs = list(await session.scalars(select(ScheduledJob)))
    assert sorted(j.kind for j in jobs) == ["digest", "housekeeping", "officer_digest", "reminder_48h"]
    # (the digests are planned for their next day, not yet due)
    assert {(j.kind, j.status) for j in jobs if j.status not in ("done", "skipped")
            and j.due <= now} == set()


NO_QUIET = CalendarConfig(quiet_start=time(0, 0), quiet_end=time(0, 0))


async def nudges(store) -> list[Delivery]:
    async with store.session() as session:
        return list(await session.scalars(select(Delivery).where(Delivery.kind == "form_nudge")))


async def test_an_unfinished_form_is_nudged_once_before_it_lapses_and_carries_on(store):
    from handlers.sme.eoi_form import FORM
    assert NO_QUIET.form_flow == FORM.name
    await add_challenge(store, "grit", CLOSES)
    chat = Chat(build_core(store, with_faq=False), "sme3")
    await chat.send("/interest grit")
    question = chat.text
    started = datetime.now(UTC)
    clock = Clock(started + timedelta(hours=20))
    scheduler = Scheduler(store, NO_QUIET, clock)
    assert "form_nudge" not in await scheduler.tick()
    clock.now = started + timedelta(hours=21, minutes=1)
    assert "form_nudge" in await scheduler.tick()
    assert "form_nudge" not in await scheduler.tick()  # once
    (row,) = await nudges(store)
    reply = from_payload(row.payload)
    assert "Challenge grit" in reply.text and "isn't finished" in reply.text
    assert [b.label for b in reply.buttons[0]] == ["Carry on", "Cancel"]
    await chat.press(reply.buttons[0][0].data)  # Carry on: the same question again
    assert question.splitlines()[-1] in chat.text


async def test_no_nudge_after_the_sme_cancelled_or_said_stop(store):
    await add_challenge(store, "grit", CLOSES)
    core = build_core(store, with_faq=False)
    for user, leave in (("sme4", "/cancel"), ("sme5", "stop")):
        chat = Chat(core, user)
        await chat.send("/interest grit")
        clock = Clock(datetime.now(UTC) + timedelta(hours=1))
        await Scheduler(store, NO_QUIET, clock).tick()  # planned while the form was open
        await chat.send(leave)
        clock.now += timedelta(hours=21)
        assert "form_nudge" in await Scheduler(store, NO_QUIET, clock).tick()  # ran: skipped
    assert await nudges(store) == []
    async with store.session() as session:
        jobs = list(await session.scalars(select(ScheduledJob.status).where(
            ScheduledJob.kind == "form_nudge")))
    assert jobs == ["skipped", "skipped"]


async def test_a_scheduled_challenge_publishes_itself_and_is_announced_if_chosen(store):
    from handlers.domain.calendar import NotSchedulable, schedule_publishing
    from storage import people, subscriptions
    opens = date(2027, 3, 1)
    for ref in ("loud", "quiet"):
        cid = await add_challenge(store, ref, CLOSES, status="draft")
        async with store.session() as session:
            (await session.get(Challenge, cid)).opens = opens
    async with store.session() as session:
        fan = await people.ensure_identity(session, "telegram", "9001", "9001")
        await subscriptions.set_subscription(session, fan.id, ["sensors"])
    before = london(date(2027, 2, 20), 12)
    async with store.session() as session:
        for ref, announce in (("loud", "matching"), ("quiet", "none")):
            due = await schedule_publishing(session, ref, announce, "admin:1", before, CFG)
            assert due == london(opens, 9)
    async with store.session() as session:
        try:
            await schedule_publishing(session, "nope", "none", "admin:1", before, CFG)
            raise AssertionError("scheduled a challenge that doesn't exist")
        except NotSchedulable as refused:
            assert "nope" in str(refused)
    clock = Clock(london(opens, 8, 59))
    scheduler = Scheduler(store, CFG, clock)
    assert "publish" not in await scheduler.tick()
    clock.now = london(opens, 9)
    assert own(await scheduler.tick()) == ["publish", "publish"]
    async with store.session() as session:
        statuses = dict((await session.execute(select(Challenge.ref, Challenge.status))).all())
        calls = list(await session.scalars(select(Broadcast).where(
            Broadcast.kind == "challenge_call")))
    assert statuses == {"loud": "open", "quiet": "open"}
    assert [(b.total, b.created_by) for b in calls] == [(1, "admin:1")]
    assert await scheduler.tick() == []


async def test_weekly_subscribers_get_one_digest_instead_of_each_alert(store):
    from handlers.domain import broadcasts as bc
    from storage import people, subscriptions
    real_today = datetime.now(LONDON).date()
    await add_challenge(store, "pond", real_today + timedelta(days=60), status="draft")
    core = build_core(store, with_faq=False)
    weekly, eager = Chat(core, "weekly"), Chat(core, "eager")
    for chat in (weekly, eager):
        await chat.send("/subscribe sensors")
    async with store.session() as session:
        who = {c.speaker.user_id: (await people.ensure_identity(session, "console",
               c.speaker.user_id, c.speaker.user_id)).id for c in (weekly, eager)}
        assert await subscriptions.get_subscription(session, who["eager"]) is not None
        assert (await subscriptions.get_subscription(session, who["eager"])).alert_mode == "weekly"
        assert await subscriptions.set_alert_mode(session, who["eager"], "immediate")
    async with store.session() as session:
        broadcast, _ = await bc.confirm(session, "pond", bc.MATCHING, "admin:1")
    assert broadcast is not None
    alerts = await sent_rows(store, "challenge_call")
    assert [r.identity_id for r in alerts] == [who["eager"]]
    labels = [b.label for row in from_payload(alerts[0].payload).buttons for b in row]
    assert "Weekly digest instead" in labels  # one tap from any alert

    days = (7 - real_today.weekday()) % 7 or 7
    monday = london(real_today + timedelta(days=days), 9, 1)
    clock = Clock(monday - timedelta(days=7, minutes=2))  # last Monday's: nothing new yet
    scheduler = Scheduler(store, CFG, clock)
    await scheduler.tick()
    clock.now = monday
    assert "digest" in await scheduler.tick()
    assert "digest" not in await scheduler.tick()
    (row,) = await sent_rows(store, "digest")
    digest = from_payload(row.payload)
    assert row.identity_id == who["weekly"]
    assert "Challenge pond (pond)" in digest.text and digest.title.endswith("(1)")
    await weekly.press(next(b for r in digest.buttons for b in r if "as they open" in b.label).data)
    assert "as soon as it opens" in weekly.text
    async with store.session() as session:
        assert await subscriptions.weekly_identities(session) == set()


async def test_a_missed_weeks_calls_come_in_the_next_digest(store):
    """Every replica was down on digest day: the next digest lists the calls opened since the
    last digest that went, not only the last seven days'."""
    from storage import people, subscriptions
    now = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)  # a Wednesday, GMT
    await add_challenge(store, "pond", now.date() + timedelta(days=60))
    async with store.session() as session:
        reader = await people.ensure_identity(session, "telegram", "9100", "9100")
        await subscriptions.set_subscription(session, reader.id, ["sensors"], mode="weekly")
        session.add(AuditEntry(actor="admin:1", action="challenge_open", target="pond",
                               at=now - timedelta(days=10), detail={}))
        session.add(ScheduledJob(key="digest:weekly:earlier", kind="digest", subject="weekly",
                                 due=now - timedelta(days=14), status="done", detail={},
                                 recipients=0, created_at=now - timedelta(days=14)))
    cfg = CalendarConfig(quiet_start=time(0, 0), quiet_end=time(0, 0), digest_day=2,
                         digest_at=time(11, 59))
    assert "digest" in await Scheduler(store, cfg, Clock(now)).tick()
    (row,) = await sent_rows(store, "digest")
    assert row.identity_id == reader.id and "Challenge pond (pond)" in from_payload(row.payload).text


async def test_the_digest_day_and_hour_are_configurable(store):
    cfg = CalendarConfig(digest_day=2, digest_at=time(10, 0))  # Wednesdays 10:00
    wednesday = CLOSES - timedelta(days=2)
    clock = Clock(london(wednesday, 9, 59))
    scheduler = Scheduler(store, cfg, clock)
    assert "digest" not in await scheduler.tick()
    clock.now = london(wednesday, 10, 1)
    assert {"digest", "officer_digest"} <= set(await scheduler.tick())
    async with store.session() as session:
        jobs = list(await session.scalars(select(ScheduledJob).where(
            ScheduledJob.kind.in_(("digest", "officer_digest")))))
    assert {(j.due, j.status) for j in jobs} == {(london(wednesday, 10), "done")}


async def test_choosing_the_digest_names_the_configured_day_in_the_smes_language(store):
    from handlers.domain.buttons import AlertMode
    from handlers.kernel.core import CoreConfig
    core = build_core(store, CoreConfig(digest_day=2), with_faq=False)  # DIPS_DIGEST_DAY=wed
    english, swedish = Chat(core, "en"), Chat(core, "sv")
    await swedish.send("/language sv")
    for chat in (english, swedish):
        await chat.send("/subscribe sensors")
        await chat.press(AlertMode("weekly").pack())
    assert "one message a week, every Wednesday," in english.text
    assert "varje onsdag" in swedish.text and "{day}" not in swedish.text
    assert "Monday" not in english.text and "måndag" not in swedish.text
