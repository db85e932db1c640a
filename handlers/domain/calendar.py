"""The programme's calendar: what the scheduler plans and what each job does.

Every replica plans the same jobs from the store (idempotent: a job's key is unique) and
runs a due job in the transaction that claims it (storage/schedule.py), so each reminder is
queued once however many processes run. Messages go out through the durable delivery queue,
whose workers pace them at the platform's rate; SMEs' messages wait out quiet hours there
(`not_before`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain import broadcasts, digests, draft_notices, officer_digest
from handlers.domain.buttons import FollowChallenge, Interest, ShowChallenge, UnfollowChallenge
from handlers.domain.challenge_text import localised
from handlers.domain.outbound import notify, worded_for_each
from handlers.kernel.callbacks import Cancel, Resume
from handlers.kernel.core import IDLE_LIMIT
from handlers.kernel.messages import Attachment, Reply, buttons
from handlers.kernel.text import t
from storage import challenges, conversations, deliveries, follows, privacy, reviews, schedule
from storage.audit import audit
from storage.models import Challenge, Identity, ScheduledJob

log = logging.getLogger("dips.calendar")

REMINDERS = {"reminder_7d": timedelta(days=7), "reminder_48h": timedelta(hours=48)}
MOVED = "close_moved"
HOUSEKEEPING = "housekeeping"
NUDGE = "form_nudge"
PUBLISH = "publish"
APPROVED = "draft_publish"  # a chat-drafted challenge an admin approved for a date
DIGEST = "digest"
OFFICER_DIGEST = "officer_digest"
LATE_GRACE = timedelta(hours=6)
SCHEDULER = "scheduler"  # the actor in the audit log


@dataclass(frozen=True)
class CalendarConfig:
    timezone: str = "Europe/London"
    closing_time: time = time(17, 0)  # the hour a challenge closes on its closing date
    quiet_start: time = time(21, 0)  # SMEs get nothing from the scheduler between these
    quiet_end: time = time(8, 0)
    housekeeping_at: time = time(3, 0)
    publish_at: time = time(9, 0)  # a scheduled challenge opens at this hour of its opens date
    digest_day: int = 0  # the weekly digests go on this weekday (0 Monday) ...
    digest_at: time = time(9, 0)  # ... at this hour
    unmoved_days: int = 14  # the officers' digest lists EOIs not moved for this long
    retention_days: int = 730
    form_flow: str = "eoi"  # the EOI form's flow (handlers.sme.eoi_form.FORM; checked by a test)
    idle_limit: timedelta = IDLE_LIMIT  # an unfinished form is dropped after this (the kernel)
    nudge_before: timedelta = timedelta(hours=3)  # its one reminder comes this much earlier

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def deadline(closes: date, cfg: CalendarConfig) -> datetime:
    """The moment a challenge closes: its closing date at the closing time, UK time."""
    return datetime.combine(closes, cfg.closing_time, tzinfo=cfg.zone)


def reminder_due(closes: date, before: timedelta, cfg: CalendarConfig) -> datetime:
    """Whole days are counted on the UK clock (7 days before is the same hour across a
    clock change); hours are elapsed time."""
    end = deadline(closes, cfg)
    if before.seconds == 0 and before.days >= 7:
        return datetime.combine(closes - timedelta(days=before.days), cfg.closing_time,
                                tzinfo=cfg.zone)
    return end - before


def reminders_to_come(closes: date, now: datetime, cfg: CalendarConfig) -> list[str]:
    """The reminders someone who starts following now will still get (their runs not yet due)."""
    return [kind for kind, before in REMINDERS.items() if reminder_due(closes, before, cfg) > now]


def after_quiet_hours(moment: datetime, cfg: CalendarConfig) -> datetime:
    """`moment`, or the end of the SMEs' quiet hours it falls in."""
    local = moment.astimezone(cfg.zone)
    start, end = cfg.quiet_start, cfg.quiet_end
    clock = local.timetz().replace(tzinfo=None)
    wraps = start > end  # e.g. 21:00-08:00 spans midnight
    quiet = (clock >= start or clock < end) if wraps else (start <= clock < end)
    if not quiet:
        return moment
    day = local.date() + timedelta(days=1) if wraps and clock >= start else local.date()
    return datetime.combine(day, end, tzinfo=cfg.zone)


def ics(challenge: Challenge, cfg: CalendarConfig) -> bytes:
    """The closing date as a calendar entry (RFC 5545) in UK time, with the zone's rules."""
    assert challenge.closes is not None
    cal = Calendar()
    cal.add("prodid", "-//Birmingham City Council//DIPS Assistant//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    end = deadline(challenge.closes, cfg)
    event.add("uid", f"dips-{challenge.ref}-closes@dips.birmingham.gov.uk")
    event.add("summary", t("calendar.ics_summary", title=localised(challenge)[0], ref=challenge.ref))
    event.add("description", t("calendar.ics_description", ref=challenge.ref))
    event.add("dtstart", end - timedelta(minutes=30))
    event.add("dtend", end)
    event.add("dtstamp", datetime.now(cfg.zone))
    if challenge.url:
        event.add("url", challenge.url)
    cal.add_component(event)
    cal.add_missing_timezones()  # VTIMEZONE for Europe/London, so any client gets it right
    return cal.to_ical()


def reminder(challenge: Challenge, kind: str, cfg: CalendarConfig) -> Reply:
    assert challenge.closes is not None
    title = localised(challenge)[0]
    values = {"title": title, "ref": challenge.ref,
              "date": deadline(challenge.closes, cfg)}
    text = (t("calendar.reminder_7d", **values) if kind == "reminder_7d"
            else t("calendar.reminder_48h", **values))
    return Reply(text, buttons(
        [(t("button.register_interest"), Interest(challenge.ref)),
         (t("button.details"), ShowChallenge(challenge.ref))],
        [(t("calendar.unfollow"), UnfollowChallenge(challenge.ref))],
    ), Attachment(f"{challenge.ref}-closes.ics", ics(challenge, cfg), "text/calendar"),
        t("calendar.reminder_title", title=title))


def moved_notice(challenge: Challenge, was: date, cfg: CalendarConfig) -> Reply:
    assert challenge.closes is not None
    title = localised(challenge)[0]
    text = t("calendar.moved", title=title, ref=challenge.ref, was=was,
             date=deadline(challenge.closes, cfg))
    return Reply(text, buttons([(t("button.details"), ShowChallenge(challenge.ref))],
                               [(t("calendar.unfollow"), UnfollowChallenge(challenge.ref))]),
                 Attachment(f"{challenge.ref}-closes.ics", ics(challenge, cfg), "text/calendar"),
                 t("calendar.reminder_title", title=title))


def follow_button(ref: str) -> tuple[str, FollowChallenge]:
    return (t("calendar.follow_button"), FollowChallenge(ref))


# ---- planning: every replica, every tick; idempotent ----

async def plan(session: AsyncSession, now: datetime, cfg: CalendarConfig) -> int:
    """Plan the jobs the store implies; returns how many this call created."""
    created = 0
    today = now.astimezone(cfg.zone).date()
    for challenge in await challenges.list_challenges(session, open_on=today):
        if challenge.closes is None:
            continue
        subject, closes = str(challenge.id), challenge.closes.isoformat()
        earlier = await schedule.jobs_about(session, (*REMINDERS, MOVED), subject)
        known = [j.detail.get("closes") for j in earlier if j.status != "skipped"]
        if known and known[-1] != closes:  # the closing date moved since reminders were planned
            await schedule.skip_pending(session, tuple(REMINDERS), subject, {"closes": closes})
            created += await schedule.plan(session, MOVED, subject, now,
                                           {"closes": closes, "was": known[-1]},
                                           key=schedule.job_key(MOVED, subject, closes))
        for kind, before in REMINDERS.items():
            due = reminder_due(challenge.closes, before, cfg)
            # A reminder whose time passed long ago (the challenge opened or moved late) is
            # not sent: "a week left" two days before the end would mislead. Within the grace,
            # e.g. after every replica was down for an hour, it still goes.
            if due > now - LATE_GRACE:
                created += await schedule.plan(session, kind, subject, due, {"closes": closes})
    created += await plan_nudges(session, now, cfg)
    for challenge, review in await reviews.drafts(session):
        if review.state == "approved" and review.publish_on is not None:
            day = review.publish_on.date()  # published at the same hour as a scheduled call
            created += await schedule.plan(session, APPROVED, str(challenge.id),
                                           datetime.combine(day, cfg.publish_at, tzinfo=cfg.zone),
                                           {"publish_on": day.isoformat()})
    local_day = now.astimezone(cfg.zone).date()
    created += await schedule.plan(
        session, HOUSEKEEPING, "daily",
        datetime.combine(local_day, cfg.housekeeping_at, tzinfo=cfg.zone), {})
    # This week's digest (today's, or the latest before it, while within the grace), else the
    # next one: what `dips schedule list` shows is the digest that will go.
    day = local_day - timedelta(days=(local_day.weekday() - cfg.digest_day) % 7)
    if datetime.combine(day, cfg.digest_at, tzinfo=cfg.zone) < now - LATE_GRACE:
        day += timedelta(days=7)
    for kind in (DIGEST, OFFICER_DIGEST):
        created += await schedule.plan(
            session, kind, "weekly", datetime.combine(day, cfg.digest_at, tzinfo=cfg.zone), {})
    return created


def before_quiet_hours(moment: datetime, not_before: datetime, cfg: CalendarConfig) -> datetime:
    """`moment`, or, when it falls in quiet hours, the evening before they began (if that is
    still after `not_before`): a nudge must come before the form lapses, not after."""
    if after_quiet_hours(moment, cfg) == moment:
        return moment
    local = moment.astimezone(cfg.zone)
    day = local.date() if local.timetz().replace(tzinfo=None) >= cfg.quiet_start else (
        local.date() - timedelta(days=1))
    evening = datetime.combine(day, cfg.quiet_start, tzinfo=cfg.zone) - timedelta(minutes=1)
    return evening if evening > not_before else moment


async def plan_nudges(session: AsyncSession, now: datetime, cfg: CalendarConfig) -> int:
    """One nudge per idle stretch of each unfinished EOI form (the key holds when it was last
    touched: carrying on and going quiet again earns another before that lapse)."""
    created = 0
    for state in await conversations.in_flow(session, cfg.form_flow):
        lapses = state.updated_at + cfg.idle_limit
        if lapses <= now:
            continue
        due = before_quiet_hours(lapses - cfg.nudge_before, state.updated_at, cfg)
        touched = state.updated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
        created += await schedule.plan(
            session, NUDGE, str(state.identity_id), due, {"touched": touched},
            key=schedule.job_key(NUDGE, str(state.identity_id), touched))
    return created


async def nudge(session: AsyncSession, job: ScheduledJob, now: datetime,
                cfg: CalendarConfig) -> None:
    """Only if the form is still where it was left: never after a cancel, a stop, a submit."""
    state = await conversations.load_state(session, int(job.subject))
    identity = await session.get(Identity, int(job.subject))
    if (state is None or identity is None or state.flow != cfg.form_flow
            or state.updated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
            != job.detail.get("touched")
            or now >= state.updated_at + cfg.idle_limit):
        await schedule.finish(session, job, now, "skipped")
        return
    lapses = (state.updated_at + cfg.idle_limit).astimezone(cfg.zone)
    queued = await notify(session, identity, NUDGE, lambda: Reply(
        t("calendar.nudge", title=state.data.get("title", ""), at=lapses),
        buttons([(t("button.carry_on"), Resume()), (t("button.cancel"), Cancel())])))
    await schedule.finish(session, job, now, recipients=int(queued is not None))


class NotSchedulable(ValueError):
    """Only a draft with a future `opens` date can be scheduled; the message says which."""


async def schedule_publishing(session: AsyncSession, ref: str, announce: str, actor: str,
                              now: datetime, cfg: CalendarConfig) -> datetime:
    """Publish draft `ref` on its opens date; announce it to `announce` (matching | all |
    none) then. Returns when. Raises NotSchedulable with the reason."""
    challenge = await challenges.get_challenge(session, ref)
    today = now.astimezone(cfg.zone).date()
    if challenge is None:
        raise NotSchedulable(f"no challenge {ref!r}")
    if challenge.status != "draft":
        raise NotSchedulable(f"{ref} is {challenge.status}, not a draft")
    if challenge.opens is None or challenge.opens <= today:
        raise NotSchedulable(f"{ref} has no opens date after today")
    due = datetime.combine(challenge.opens, cfg.publish_at, tzinfo=cfg.zone)
    await schedule.plan(session, PUBLISH, str(challenge.id), due,
                        {"opens": challenge.opens.isoformat(), "announce": announce, "by": actor})
    await audit(session, actor, "challenge_scheduled", ref, opens=challenge.opens.isoformat(),
                announce=announce)
    return due


async def publish(session: AsyncSession, job: ScheduledJob, now: datetime,
                  cfg: CalendarConfig) -> None:
    challenge = await session.get(Challenge, int(job.subject))
    if challenge is None or challenge.status != "draft":  # published or closed by hand meanwhile
        await schedule.finish(session, job, now, "skipped")
        return
    today = now.astimezone(cfg.zone).date()
    if challenge.opens is not None and challenge.opens > today:  # its date moved on: follow it
        due = datetime.combine(challenge.opens, cfg.publish_at, tzinfo=cfg.zone)
        await schedule.plan(session, PUBLISH, job.subject, due,
                            {**job.detail, "opens": challenge.opens.isoformat()})
        await schedule.finish(session, job, now, "skipped")
        return
    audience = job.detail.get("announce", "none")
    broadcast, _ = await broadcasts.confirm(session, challenge.ref, audience,
                                            job.detail.get("by", SCHEDULER))
    await schedule.finish(session, job, now, recipients=broadcast.total if broadcast else 0,
                          broadcast_id=broadcast.id if broadcast else None)


# ---- running one claimed job, in its claiming transaction ----

async def run(session: AsyncSession, job: ScheduledJob, now: datetime,
              cfg: CalendarConfig) -> None:
    if (job.kind in REMINDERS or job.kind in (DIGEST, OFFICER_DIGEST)) and now - job.due > LATE_GRACE:
        # Every replica was down when it was due: "a week left" days late would mislead, and a
        # missed week's digest is said by the next week's.
        await schedule.finish(session, job, now, "skipped")
    elif job.kind in REMINDERS or job.kind == MOVED:
        await _to_followers(session, job, now, cfg)
    elif job.kind == DIGEST:
        hold = after_quiet_hours(now, cfg)
        # Since the last digest that went (a skipped week's calls come in this one), at most
        # four weeks back.
        sent_before = [j.due for j in await schedule.jobs_about(session, (DIGEST,), "weekly")
                       if j.status == "done" and j.id != job.id]
        since = max([*sent_before, now - 4 * digests.WEEK]) if sent_before else None
        sent = await digests.send_weekly(session, now, hold if hold != now else None, since)
        await schedule.finish(session, job, now, recipients=sent.total if sent else 0,
                              broadcast_id=sent.id if sent else None)
    elif job.kind == OFFICER_DIGEST:  # officers' channel: no quiet hours there
        notice = await officer_digest.queue(session, now, cfg.unmoved_days)
        await schedule.finish(session, job, now, recipients=1, delivery_id=notice.id)
    elif job.kind == PUBLISH:
        await publish(session, job, now, cfg)
    elif job.kind == APPROVED:
        done = await draft_notices.publish_due(session, now, only=int(job.subject))
        await schedule.finish(session, job, now, "done" if done else "skipped")
    elif job.kind == NUDGE:
        await nudge(session, job, now, cfg)
    elif job.kind == HOUSEKEEPING:
        await housekeeping(session, job, now, cfg)
    else:
        log.warning("scheduled job %s of unknown kind %r skipped", job.id, job.kind)
        await schedule.finish(session, job, now, "skipped")


async def _to_followers(session: AsyncSession, job: ScheduledJob, now: datetime,
                        cfg: CalendarConfig) -> None:
    challenge = await session.get(Challenge, int(job.subject))
    today = now.astimezone(cfg.zone).date()
    if (challenge is None or challenge.closes is None or not challenge.is_open(today)
            or challenge.closes.isoformat() != job.detail.get("closes")):
        await schedule.finish(session, job, now, "skipped")  # closed, or its date moved again
        return
    build: Callable[[], Reply]
    if job.kind == MOVED:
        build = partial(moved_notice, challenge, date.fromisoformat(job.detail["was"]), cfg)
        people = await follows.followers(session, challenge.id)
    else:  # a reminder: only to those who haven't registered interest yet
        build = partial(reminder, challenge, job.kind, cfg)
        people = await follows.followers(session, challenge.id, without_eoi=True)
    hold = after_quiet_hours(now, cfg)  # None: at once (the queue's clock, not the job's)
    broadcast = await deliveries.create_broadcast(
        session, kind=job.kind, challenge_id=challenge.id, audience="followers",
        created_by=SCHEDULER, recipients=worded_for_each(people, build),
        not_before=hold if hold != now else None)
    await schedule.finish(session, job, now, recipients=broadcast.total,
                          broadcast_id=broadcast.id)
    log.info("%s for %s queued to %d followers", job.kind, challenge.ref, broadcast.total)


async def housekeeping(session: AsyncSession, job: ScheduledJob, now: datetime,
                       cfg: CalendarConfig) -> None:
    """Close expired challenges; purge SMEs inactive beyond retention (dry-run count first)."""
    today = now.astimezone(cfg.zone).date()
    closed = []
    for challenge in await challenges.published_challenges(session):
        if challenge.status == "open" and challenge.closes is not None and challenge.closes < today:
            await challenges.set_status(session, challenge.ref, "closed")
            closed.append(challenge.ref)
    stale = await privacy.stale_identities(session, now - timedelta(days=cfg.retention_days))
    log.warning("retention purge: %d SME(s) inactive for %d days will be erased (dry run "
                "count)", len(stale), cfg.retention_days)
    for identity in stale:
        await privacy.erase(session, identity, erased_by="retention")
    await audit(session, SCHEDULER, "privacy_purge", None, days=cfg.retention_days,
                erased=len(stale))
    if closed:
        await audit(session, SCHEDULER, "challenges_closed", None, refs=closed)
    await schedule.finish(session, job, now, recipients=0, closed=closed, erased=len(stale))
