"""Subscriptions: stored tags round trip, only active identities, and who hears of a challenge."""

from __future__ import annotations

from datetime import date

import pytest

from content.challenges import ChallengeSpec
from handlers.engines.matching.free_text import interests_to_tags
from handlers.engines.matching.subscribers import subscribers_matching, tag_fits
from storage.models import Identity
from storage.store import Store
from storage.subscriptions import (
    delete_subscription,
    get_subscription,
    list_active_subscriptions,
    set_subscription,
)


@pytest.fixture
def match_store(store: Store) -> Store:
    return store  # the shared fixture: a fresh SQLite file, or the run's PostgreSQL database


async def _identity(store: Store, name: str, active: bool = True) -> int:
    async with store.session() as session:
        row = Identity(platform="console", external_id=name, chat_id=name, active=active)
        session.add(row)
        await session.flush()
        return row.id


AIR = ChallengeSpec(
    ref="air",
    title="Cleaner air around schools",
    department="Environment",
    summary="Measure air pollution near school gates and cut car use.",
    tags=("air quality", "sensors", "schools"),
    status="open",
    closes=date(2099, 1, 1),
)


async def test_round_trip(match_store: Store) -> None:
    me = await _identity(match_store, "u1")
    async with match_store.session() as session:
        assert await get_subscription(session, me) is None
        await set_subscription(session, me, ["air quality", "ev"])
    async with match_store.session() as session:
        assert (await get_subscription(session, me)).tags == ["air quality", "ev"]
        await set_subscription(session, me, ["recycling"])
    async with match_store.session() as session:
        assert (await get_subscription(session, me)).tags == ["recycling"]
        assert await delete_subscription(session, me) is True
    async with match_store.session() as session:
        assert await get_subscription(session, me) is None
        assert await delete_subscription(session, me) is False


async def test_only_active_identities_are_listed(match_store: Store) -> None:
    on = await _identity(match_store, "on")
    off = await _identity(match_store, "off", active=False)
    async with match_store.session() as session:
        await set_subscription(session, on, ["air quality"])
        await set_subscription(session, off, ["air quality"])
    async with match_store.session() as session:
        listed = await list_active_subscriptions(session)
    assert [(i.id, s.tags) for i, s in listed] == [(on, ["air quality"])]


async def test_subscribers_matching_says_why(match_store: Store) -> None:
    ids = {}
    interests = {
        "air": "Air qualty, sensors",  # typo in the stored tag still fits
        "schools": "School",  # plural/singular
        "pollution": "air pollution",  # synonym of a tag, and a phrase in the summary
        "elderly": "the elderly, social care",
        "off": "air quality",
    }
    for name, text in interests.items():
        ids[name] = await _identity(match_store, name, active=name != "off")
        async with match_store.session() as session:
            await set_subscription(session, ids[name], interests_to_tags(text))
    async with match_store.session() as session:
        found = {i.external_id: tags for i, tags in await subscribers_matching(session, AIR)}
    assert found == {
        "air": ["air qualty", "sensor"],
        "schools": ["school"],
        "pollution": ["air quality"],
    }


def test_tag_fits_word_order_and_phrase() -> None:
    assert tag_fits("quality air", AIR)
    assert tag_fits("school gates", AIR)  # a phrase in the summary
    assert not tag_fits("gates", AIR)  # a lone summary word is too weak
    assert not tag_fits("older people", AIR)
