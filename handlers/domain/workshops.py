"""Exploration workshops (stage 3): create one for a challenge, invite the EOIs at Exploration,
take the SMEs' answers (a calendar file, a reminder the day before on the delivery queue with
`not_before`), and record who came. No chat wording: replies are built by the callers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.outbound import notify
from handlers.kernel.messages import Reply
from storage import eois, workshops
from storage.audit import audit
from storage.models import Challenge, Eoi, Identity
from storage.officer_models import Workshop, WorkshopInvite
from storage.stage_moves import cancel_delivery

LOCAL = ZoneInfo("Europe/London")  # times are typed as the council reads its clock
ANSWERS = ("yes", "no", "maybe")
REMIND_BEFORE = timedelta(days=1)
MAX_CAPACITY = 500


def when(day: str, at: str) -> datetime | None:
    """"2027-02-10" and "14:30" (London time) as an aware datetime, or None."""
    try:
        return datetime.combine(date.fromisoformat(day.strip()),
                                time.fromisoformat(at.strip()), LOCAL)
    except ValueError:
        return None


def capacity_of(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and 1 <= int(text) <= MAX_CAPACITY else None


def problems(day: str, at: str, place: str, capacity: str, now: datetime) -> dict[str, str]:
    """{field: wording key} for a workshop that can't be created."""
    found: dict[str, str] = {}
    starts = when(day, at)
    if when(day, "00:00") is None:
        found["date"] = "workshops.problem.date"
    elif starts is None:
        found["time"] = "workshops.problem.time"
    elif starts <= now:
        found["date"] = "workshops.problem.past"
    if not place.strip() or len(place) > 300:
        found["place"] = "workshops.problem.place"
    if capacity_of(capacity) is None:
        found["capacity"] = "workshops.problem.capacity"
    return found


async def create(session: AsyncSession, challenge: Challenge, actor: str, starts: datetime,
                 place: str, capacity: int) -> Workshop:
    row = Workshop(challenge_id=challenge.id, starts_at=starts.astimezone(UTC), place=place.strip()[:300],
                   capacity=capacity, created_by=actor)
    session.add(row)
    await session.flush()
    await audit(session, actor, "workshop_create", challenge.ref, workshop=row.id,
                starts=row.starts_at.isoformat())
    return row


async def invite_exploration(session: AsyncSession, workshop: Workshop, challenge: Challenge,
                             actor: str, invitation: Callable[[WorkshopInvite, Eoi], Reply]
                             ) -> tuple[int, int]:
    """Invite every EOI of the challenge at Exploration not invited yet: (invited, unreachable)."""
    done = await workshops.invited_eoi_ids(session, workshop.id)
    invited = unreachable = 0
    for eoi in await eois.list_eois(session, challenge_ref=challenge.ref):
        if eoi.stage != "exploration" or eoi.id in done:
            continue
        invite = WorkshopInvite(workshop_id=workshop.id, eoi_id=eoi.id)
        session.add(invite)
        await session.flush()
        sme = await session.get(Identity, eoi.identity_id) if eoi.identity_id else None
        if await notify(session, sme, "workshop",
                        lambda: invitation(invite, eoi)) is None:  # noqa: B023 (called at once)
            unreachable += 1
        invited += 1
    await audit(session, actor, "workshop_invite", challenge.ref, workshop=workshop.id,
                invited=invited)
    return invited, unreachable


async def answer(session: AsyncSession, invite: WorkshopInvite, workshop: Workshop,
                 sme: Identity, given: str, now: datetime, reminder: Reply) -> str | None:
    """Record the SME's answer; a problem ("full", "past") or None. Attending or maybe: a
    reminder is queued for the day before (withdrawn if they later say no)."""
    if workshop.starts_at <= now:
        return "past"
    if given == "yes" and invite.answer != "yes" \
            and await workshops.attending(session, workshop.id) >= workshop.capacity:
        return "full"
    invite.answer = given
    await cancel_delivery(session, invite.reminder_id)
    invite.reminder_id = None
    due = workshop.starts_at - REMIND_BEFORE
    if given in ("yes", "maybe") and due > now:
        queued = await notify(session, sme, "workshop_reminder", lambda: reminder)
        if queued is not None:
            queued.not_before = due
            invite.reminder_id = queued.id
    await session.flush()
    return None


def ics(workshop: Workshop, title: str, description: str) -> bytes:
    """The workshop as an iCalendar file (RFC 5545), times in UTC."""
    calendar = Calendar()
    calendar.add("prodid", "-//Birmingham City Council//DIPS Assistant//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"dips-workshop-{workshop.id}@dips-assistant")
    event.add("dtstamp", workshop.created_at)
    event.add("dtstart", workshop.starts_at)
    event.add("dtend", workshop.starts_at + timedelta(minutes=workshop.minutes))
    event.add("summary", title)
    event.add("location", workshop.place)
    event.add("description", description)
    calendar.add_component(event)
    return calendar.to_ical()
