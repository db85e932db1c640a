"""Issue 14's examples through Telegram: the real adapter against the fake Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from handlers.app import build_core, seed_catalogue
from storage.models import Subscription
from storage.store import Store
from tests.fake_telegram import FakeTelegram
from tests.test_telegram import USER, Harness, start_bot


@pytest.fixture
async def tg(store: Store) -> AsyncIterator[Harness]:
    server = await FakeTelegram().start()
    await seed_catalogue(store)
    harness = await start_bot(server, build_core(store))
    yield harness
    await harness.adapter.stop()
    await server.stop()


async def test_a_question_with_business_context_is_answered(tg: Harness) -> None:
    text = await tg.say("hi how do i bid for council work, im a small IT firm")
    assert "Where to find contract opportunities" in text and "Source:" in text


async def test_a_description_is_matched_to_the_adult_social_care_challenge(tg: Harness) -> None:
    text = await tg.say("we make apps for care homes, anything for us?")
    assert "adult social care" in text.lower() and "matched on:" in text


async def test_stop_then_undo(tg: Harness, store: Store) -> None:
    await tg.say("/subscribe air quality, sensors")
    assert "stopped your alerts" in await tg.say("STOP")
    async with store.session() as session:
        assert await session.scalar(select(Subscription)) is None
    assert "alerts are back on" in await tg.press("Undo")
    async with store.session() as session:
        assert await session.scalar(select(Subscription)) is not None


async def test_a_fed_up_message_offers_an_officer(tg: Harness) -> None:
    text = await tg.say("this is useless, who do i actually talk to")
    assert "DIPS officer" in text
    assert tg.fake.button(USER, "Yes, ask an officer")


@pytest.mark.parametrize(("said", "expect"), [
    ("how do i bid for council work", "Where to find contract opportunities"),
    ("how do i sell to the council", "Where to find contract opportunities"),
    ("hello, hope you are well, we are a small design agency and wanted to ask how long the "
     "accelerator lasts and whether it costs anything", "accelerator"),
    ("we run a minibus hire firm with an online booking system", "community transport"),
    ("our community kitchen turns surplus veg into cheap meals", "food hubs"),
])
async def test_the_issues_other_examples_through_telegram(tg: Harness, said: str, expect: str) -> None:
    text = await tg.say(said)
    assert expect.lower() in text.lower(), text
    assert "Conflicts of interest" not in text and "didn't catch" not in text


async def test_two_questions_get_two_answers_through_telegram(tg: Harness) -> None:
    text = await tg.say("how long does the accelerator last? and how do i register on find a tender?")
    assert text.count("Source:") >= 2, text
