"""Partners across cities end to end through the Telegram fake: a Gävle SME offers to partner,
a Birmingham SME with an EOI browses and asks for an introduction; a refusal, an acceptance
(contact details delivered through the queue only then), naming the partner on the EOI,
withdrawal of consent, the officers' view, the impact figures and `/forget`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from handlers.app import build_core
from handlers.domain.impact import build_report
from storage import people
from storage.models import Delivery
from storage.partner_models import EoiPartner, PartnerIntro, PartnerListing
from storage.people import set_role
from storage.store import Store
from tests.conftest import Chat
from tests.fake_telegram import FakeTelegram
from tests.test_telegram import USER, Harness, open_ref, start_bot, walk_eoi
from tests.test_worker import drain, make_worker

GAVLE = 501  # USER (4242) is the Birmingham SME: walk_eoi registers its EOI from Birmingham
INTRUDER = 777


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram().start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(fake: FakeTelegram, store: Store) -> AsyncIterator[Harness]:
    harness = await start_bot(fake, build_core(store, with_faq=False, with_matching=False))
    yield harness
    await harness.adapter.stop()


async def deliver(store: Store, fake: FakeTelegram, chat: int) -> str:
    """Run the delivery worker until the queue is empty; what `chat` was sent meanwhile."""
    since = len(fake.texts(chat))
    await drain(make_worker(store, fake))
    return "\n".join(fake.texts(chat)[since:])


async def gavle_offers(bot: Harness, ref: str) -> None:
    page = await bot.say(f"/partners {ref}", GAVLE)
    assert "register interest in it or offer to partner" in page
    assert "Which city" in await bot.press("Offer to partner", GAVLE)
    assert "What can your business offer" in await bot.press("Gävle", GAVLE)
    assert "What kind of partner" in await bot.say(
        "Cold-chain logistics software <b>tested</b> in Gävle's food markets", GAVLE)
    assert "organisation's name" in await bot.say(
        "A Birmingham food hub operator to pilot with us", GAVLE)
    assert "full name" in await bot.say("Norrland Kyl AB", GAVLE)
    assert "email" in await bot.say("Astrid Berg", GAVLE)
    check = await bot.say("astrid@norrland.example", GAVLE)
    assert "City: Gävle" in check and "astrid@norrland.example" in check
    assert "now discoverable" in await bot.press("Make me discoverable", GAVLE)


async def test_partnering_between_gavle_and_birmingham(bot: Harness, store: Store,
                                                       fake: FakeTelegram) -> None:
    ref = await open_ref(store)
    assert "EOI-000001" in await walk_eoi(bot, ref)
    await gavle_offers(bot, ref)

    # The Birmingham SME browses: the listing is shown escaped, with no contact details.
    await bot.say(f"/partners {ref}")
    assert "Browse possible partners" in str(fake.last_keyboard(USER))
    found = await bot.press("Browse possible partners")
    assert "software &lt;b&gt;tested&lt;/b&gt; in Gävle" in found  # escaped for Telegram HTML
    assert "astrid@" not in found and "Norrland" not in found
    assert "I've asked them" in await bot.press("Ask to meet 1")
    request = await deliver(store, fake, GAVLE)
    assert "An SME from Birmingham" in request and "Acme Sensors" not in request

    # Refusal: nothing shared, the asker told politely.
    assert "Declined" in await bot.press("Decline", GAVLE)
    told = await deliver(store, fake, USER)
    assert "has declined" in told and "astrid@" not in told

    # A no stands: asking again is refused, and nothing reaches the Gävle SME.
    assert "won't ask them again" in await bot.press_data("pti:1")
    assert "An SME from Birmingham" not in await deliver(store, fake, GAVLE)

    # The other way round: the Birmingham SME offers to partner, the Gävle SME (interested
    # through its listing) asks, and the Birmingham SME accepts: each side gets the other's
    # details, through the queue, only now.
    assert "Which city" in await bot.press_data(f"pto:{ref}")
    await bot.press("Birmingham")
    await bot.say("Air quality sensors for streets, installed across Birmingham")
    assert "Acme Sensors Ltd" in await bot.say("A partner with cold-chain logistics experience")
    assert "now discoverable" in await bot.press("Make me discoverable")
    await bot.say(f"/partners {ref}", GAVLE)
    found = await bot.press("Browse possible partners", GAVLE)
    assert "Air quality sensors" in found and "sam@example.com" not in found
    assert "I've asked them" in await bot.press("Ask to meet 1", GAVLE)
    request = await deliver(store, fake, USER)
    assert "An SME from Gävle" in request and "Cold-chain logistics software" in request
    assert "astrid@" not in request
    assert "Accepted" in await bot.press("Accept, share details")
    async with store.session() as session:
        kinds = list(await session.scalars(select(Delivery.kind).where(
            Delivery.kind == "partner_contact", Delivery.status == "pending")))
    assert len(kinds) == 2  # queued in the same transaction as the consent
    since_gavle = len(fake.texts(GAVLE))
    to_birmingham = await deliver(store, fake, USER)
    to_gavle = "\n".join(fake.texts(GAVLE)[since_gavle:])
    assert "Norrland Kyl AB (Gävle)" in to_birmingham and "astrid@norrland.example" in to_birmingham
    assert "Acme Sensors Ltd (Birmingham)" in to_gavle and "sam@example.com" in to_gavle

    # The Birmingham SME names its partner on the EOI; the Gävle SME has no EOI to name it on.
    assert "named as a partner on EOI-000001" in await bot.press("Name them on my EOI")
    assert "needs an expression of interest" in await bot.press("Name them on my EOI", GAVLE)

    # A forged press on someone else's introduction or listing is refused, leaking nothing.
    for data in ("pta:1:yes", "pta:2:yes", "ptx:2", "ptn:2", "ptw:1", "ptw:2", "pti:1"):
        reply = await bot.press_data(data, INTRUDER)
        assert "isn't available to you" in reply or "register interest" in reply, data
        assert "astrid" not in reply and "Norrland" not in reply

    # Officers see the partnership and the named partner, and the impact counts them by city.
    async with store.session() as session:
        await set_role(session, "console", "officer-1", "officer")
    officer = Chat(bot.adapter.core, user="officer-1")
    await officer.send(f"/dips partners {ref}")
    assert "Acme Sensors Ltd (birmingham) with Norrland Kyl AB (gavle)" in officer.text
    assert "Partnerships formed: 1" in officer.text and "EOI-000001 names Norrland Kyl AB" in officer.text
    assert officer.replies[0].attachment is not None
    assert b"eoi_partner" in officer.replies[0].attachment.content
    await officer.send(f"/dips export {ref}")
    exported = officer.replies[0].attachment
    assert exported is not None and "Norrland Kyl AB (gavle)" in exported.content.decode()
    async with store.session() as session:
        report = await build_report(session)
    assert report.partnering["smes"] == {"birmingham": 1, "gavle": 1}
    assert report.partnering["cross_city_intros"] == {"birmingham": 2, "gavle": 2}
    assert report.partnering["partnerships"] == {"birmingham": 1, "gavle": 1}
    assert report.partnering["international_eois"] == {"birmingham": 1}
    assert "Partners across cities" in report.to_text()

    # Withdrawal of consent by the Gävle SME: the Birmingham SME is told; no longer a partnership.
    assert "Withdrawn" in await bot.press("Withdraw my consent", GAVLE)
    assert "has withdrawn" in await deliver(store, fake, USER)
    async with store.session() as session:
        assert (await build_report(session)).partnering["partnerships"] == {}
    assert "no longer waiting" in await bot.press_data("ptx:2", GAVLE)

    # /mydata shows the listing and introductions; /forget removes them.
    await bot.say("/mydata", GAVLE)
    async with store.session() as session:
        gavle = await people.get_identity(session, "telegram", str(GAVLE))
        assert gavle is not None
        assert await session.scalar(select(func.count()).select_from(PartnerListing)) == 2
    assert fake.sent(GAVLE, method="sendDocument")  # the copy of their data (see below)
    await bot.say("/forget", GAVLE)
    assert "erased" in (await bot.press("Yes, erase", GAVLE)).lower()
    async with store.session() as session:
        # Only the Birmingham SME's own listing is left; both introductions had the Gävle SME.
        assert await session.scalar(select(func.count()).select_from(PartnerListing)) == 1
        assert await session.scalar(select(func.count()).select_from(PartnerIntro)) == 0
        named = list(await session.scalars(select(EoiPartner)))
    assert [(p.partner_name, p.partner_city) for p in named] == [("[erased]", "gavle")]


async def test_mydata_lists_partnering(store: Store) -> None:
    from handlers.app import seed_catalogue
    from storage import privacy

    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    chat = Chat(core, user="tartu-sme")
    await chat.send("/partners food-hubs")
    await chat.press_label("Offer to partner")
    for line in ("Tartu", "Sensors for cold rooms, tested in Tartu", "A UK partner to pilot with",
                 "Tartu Andur OU", "Mari Tamm", "mari@andur.example"):
        await chat.send(line)
    await chat.press_label("Make me discoverable")
    assert "now discoverable" in chat.text
    async with store.session() as session:
        me = await people.get_identity(session, "console", "tartu-sme")
        assert me is not None
        data = await privacy.export(session, me)
    assert data["partner_listings"][0]["city"] == "tartu"
    assert data["partner_listings"][0]["contact_email"] == "mari@andur.example"
