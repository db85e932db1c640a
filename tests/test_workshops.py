"""Exploration workshops end to end: an officer plans one and invites the EOIs at
Exploration; the SME answers on Telegram (through the fake Bot API) and gets a calendar file
and a reminder queued for the day before; officers see attendance and record who came."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from handlers.app import build_core
from handlers.domain import workshops as rules
from storage import departments, eois, people
from storage.models import Delivery
from storage.officer_models import Workshop, WorkshopInvite
from storage.store import Store
from tests.conftest import Chat
from tests.fake_telegram import FakeTelegram
from tests.test_telegram import USER, Harness, open_ref, start_bot, walk_eoi


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram().start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(tg: FakeTelegram, store: Store) -> AsyncIterator[Harness]:
    harness = await start_bot(tg, build_core(store, with_faq=False, with_matching=False))
    yield harness
    await harness.adapter.stop()


async def _officer(store: Store, user: str, *named: str) -> Chat:
    async with store.session() as session:
        identity = await people.set_role(session, "console", user, "officer")
        await departments.set_departments(session, identity.id, named)
    return Chat(build_core(store, with_faq=False, with_matching=False), user=user)


async def test_a_workshop_from_invitation_to_attendance(bot: Harness, store: Store) -> None:
    ref = await open_ref(store)
    assert "EOI-000001" in await walk_eoi(bot, ref)
    async with store.session() as session:
        eoi = await eois.get_eoi(session, 1)
        assert eoi is not None
        department = eoi.challenge.department
        await eois.change_stage(session, eoi, "exploration", "test", None)
    officer = await _officer(store, "wo", department)
    other = await _officer(store, "elsewhere", "Some Other Department")
    day = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    await officer.send(f"/dips workshop {ref} {day} 25:00 20 Council House")
    assert "HH:MM" in officer.text
    await officer.send(f"/dips workshop {ref} {day} 14:00 20 Council House, Victoria Square")
    assert "Workshop #1" in officer.text
    await other.press("wsi:1")
    assert "department you are not in" in other.text
    await officer.press_label("Invite the EOIs at Exploration")
    assert "Invited 1 EOI" in officer.text
    async with store.session() as session:
        invitation = await session.scalar(select(Delivery).where(Delivery.kind == "workshop"))
    assert invitation is not None and invitation.chat_id == str(USER)
    yes = next(b[1] for row in invitation.payload["buttons"] for b in row if b[1].endswith(":yes"))
    assert "expired" in await bot.press_data(yes, user=777)  # not their invitation
    told = await bot.press_data(yes)
    assert "you're down as attending" in told
    documents = bot.fake.sent(USER, "sendDocument")
    assert documents and documents[-1].ok
    async with store.session() as session:
        invite = await session.get(WorkshopInvite, 1)
        workshop = await session.get(Workshop, 1)
        assert invite is not None and workshop is not None and invite.answer == "yes"
        reminder = await session.get(Delivery, invite.reminder_id)
    assert reminder is not None and reminder.status == "pending"
    assert reminder.not_before == workshop.starts_at - timedelta(days=1)
    assert "tomorrow" in reminder.payload["text"]
    name, _, mime = reminder.payload["file"]  # the calendar entry comes with it again
    assert name.endswith(".ics") and mime == "text/calendar"
    event = Calendar.from_ical(rules.ics(workshop, "T", "D")).walk("VEVENT")[0]
    assert event.decoded("dtstart") == workshop.starts_at
    assert str(event.get("location")) == "Council House, Victoria Square"
    # saying no afterwards withdraws the reminder
    assert "can't attend" in await bot.press_data(yes.replace(":yes", ":no"))
    async with store.session() as session:
        assert (await session.get(Delivery, reminder.id)).status == "cancelled"  # type: ignore[union-attr]
    await bot.press_data(yes)
    await officer.send("/dips attendance 1")
    assert "EOI-000001" in officer.text and "attending" in officer.text
    await officer.press_label("EOI-000001 came")
    assert ", came" in officer.text
    async with store.session() as session:
        invite = await session.get(WorkshopInvite, 1)
        assert invite is not None and invite.attended


async def test_a_full_workshop_refuses_another_attendee(store: Store) -> None:
    from handlers.app import seed_catalogue
    from handlers.kernel.messages import Reply
    from storage import challenges
    from storage.models import Contact, Organisation

    await seed_catalogue(store)
    now = datetime.now(UTC)
    async with store.session() as session:
        challenge = await challenges.get_challenge(session, "food-hubs")
        assert challenge is not None
        workshop = await rules.create(session, challenge, "slack:U1", now + timedelta(hours=5),
                                      "Online: https://meet.example/x", 1)
        answers = []
        for n in range(2):
            sme = await people.ensure_identity(session, "telegram", f"90{n}", f"90{n}")
            org = Organisation(name=f"Org {n}", size_band="small", country="UK", city="B")
            session.add(org)
            await session.flush()
            contact = Contact(organisation_id=org.id, name="C", email=f"c{n}@example.org")
            session.add(contact)
            await session.flush()
            eoi = await eois.create_eoi(session, organisation_id=org.id, challenge_id=challenge.id,
                                        contact_id=contact.id, identity_id=sme.id, summary="s",
                                        actor="t", stage="exploration")
            invite = WorkshopInvite(workshop_id=workshop.id, eoi_id=eoi.id)
            session.add(invite)
            await session.flush()
            answers.append(await rules.answer(session, invite, workshop, sme, "yes", now,
                                              Reply("reminder")))
            assert invite.reminder_id is None  # less than a day ahead: no reminder
    assert answers == [None, "full"]
    assert rules.problems("2020-01-01", "10:00", "x", "5", now) == {"date": "workshops.problem.past"}
    assert rules.problems("tomorrow", "10:00", "", "0", now) == {
        "date": "workshops.problem.date", "place": "workshops.problem.place",
        "capacity": "workshops.problem.capacity"}
