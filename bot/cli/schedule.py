"""The one scheduler in a process (`dips run`, `dips worker`) and `dips schedule list`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import calendar_config, open_cli_store
from bot.settings import Settings
from handlers.domain import calendar
from handlers.domain.scheduler import Scheduler
from storage import follows, schedule, subscriptions
from storage.models import Challenge, ScheduledJob, utcnow
from storage.store import Store


async def run_scheduler(store: Store, settings: Settings,
                        stop: asyncio.Event | None = None) -> None:
    """Every replica runs one; the store sees to it that each job runs once among them."""
    scheduler = Scheduler(store, calendar_config(settings))
    await scheduler.run(stop, interval=float(settings.scheduler_interval))


async def _about(session: AsyncSession, job: ScheduledJob) -> tuple[str, str]:
    """What a job is about (a challenge's reference where it has one) and who it reaches."""
    challenge_jobs = (*calendar.REMINDERS, calendar.MOVED, calendar.PUBLISH, calendar.APPROVED)
    challenge = (await session.get(Challenge, int(job.subject))
                 if job.kind in challenge_jobs and job.subject.isdigit() else None)
    subject = challenge.ref if challenge else job.subject
    if job.kind in calendar.REMINDERS or job.kind == calendar.MOVED:
        n = await follows.count_followers(session, int(job.subject),
                                          without_eoi=job.kind != calendar.MOVED)
        return subject, f"{n} follower(s)"
    if job.kind == calendar.DIGEST:
        return subject, f"{len(await subscriptions.weekly_identities(session))} weekly reader(s)"
    if job.kind == calendar.NUDGE:
        return "SME", "1 SME"
    if job.kind == calendar.PUBLISH:
        return subject, f"announced to: {job.detail.get('announce', 'none')}"
    if job.kind == calendar.OFFICER_DIGEST:
        return subject, "the officers' channel"
    return subject, ""


async def cmd_schedule_list(args: argparse.Namespace, settings: Settings) -> int:
    """What is due, when (UK time) and for how many people, as things stand now."""
    cfg = calendar_config(settings)
    zone = ZoneInfo(cfg.timezone)
    store = await open_cli_store(settings)
    try:
        async with store.session() as session:
            await calendar.plan(session, utcnow(), cfg)  # what the scheduler would plan now
            jobs = await schedule.upcoming(session, limit=args.limit)
            rows = [(job.due.astimezone(zone).strftime("%a %d %b %Y %H:%M"), job.kind,
                     *await _about(session, job)) for job in jobs]
            counts = await schedule.by_status(session)
    finally:
        await store.close()
    if not rows:
        print("Nothing is scheduled.")
    for due, kind, subject, people in rows:
        print(f"{due}  {kind:<14} {subject:<8} {people}")
    print("jobs so far: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"))
    return 0


async def cmd_challenges_schedule(args: argparse.Namespace, settings: Settings) -> int:
    """Publish a draft on its opens date, announcing it then if asked."""
    cfg = calendar_config(settings)
    store = await open_cli_store(settings)
    try:
        async with store.session() as session:
            due = await calendar.schedule_publishing(session, args.ref, args.announce, "cli",
                                                     utcnow(), cfg)
    except calendar.NotSchedulable as refused:
        print(f"can't schedule it: {refused}", file=sys.stderr)
        return 2
    finally:
        await store.close()
    whom = {"none": "without an announcement", "matching": "announced to matching subscribers",
            "all": "announced to every subscriber"}[args.announce]
    print(f"{args.ref} will open at {due.strftime('%H:%M on %d %B %Y')} (UK time), {whom}")
    return 0
