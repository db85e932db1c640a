"""Matching by meaning: everyday descriptions that share no word with the challenge that fits,
"nothing fits" kept when nothing does, reasons in the SME's words, never a closed challenge."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from content.challenges import ChallengeSpec, load_catalogue
from handlers.engines.matching.catalogue import CatalogueIndex
from handlers.engines.matching.index import Matcher
from handlers.engines.matching.meaning import MeaningIndex, topic_words
from storage.challenges import set_status, upsert_challenges
from storage.store import Store

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def routing() -> Matcher:
    return Matcher(load_catalogue(DATA / "routing_dev_challenges.yaml"))


@pytest.mark.parametrize(("query", "ref"), [
    ("our community kitchen turns surplus veg into cheap meals", "food-hubs"),
    ("we make apps for care homes", "adult-social-care"),
    ("we make apps for care homes, anything for us?", "adult-social-care"),
])
def test_everyday_descriptions_find_their_challenge(routing: Matcher, query: str, ref: str) -> None:
    assert ref in [m.ref for m in routing.match(query)[:3]]


@pytest.mark.parametrize("query", [
    "payroll software for hospitality",
    "we do payroll software for hospitality businesses",
    "acoustic panels for recording studios",
    "we make acoustic panels and soundproofing for recording studios. is there anything in your "
    "list for a business like ours?",
    "wedding photography",
    "cryptocurrency trading bot",
    "we are a law firm specialising in employment tribunals",
    "luxury yacht charter",
    "we make handbags",
])
def test_nothing_fits_stays_nothing(routing: Matcher, query: str) -> None:
    assert routing.match(query) == []


def test_the_reason_is_in_the_smes_words(routing: Matcher) -> None:
    query = "our community kitchen turns surplus veg into cheap meals"
    found = routing.match(query)
    assert found and found[0].matched
    said = set(topic_words(query))
    assert set(found[0].matched) <= said
    assert 0 < found[0].score <= 1


def test_meaning_never_offers_a_challenge_that_is_not_open() -> None:
    today = date(2026, 6, 1)

    def food(ref: str, status: str, closes: date | None = None) -> ChallengeSpec:
        return ChallengeSpec(ref, "Local food hubs", "Public Health",
                             "Link small growers and producers with neighbourhood food hubs.",
                             ("food", "food hubs", "local producers"), status, closes)

    catalogue = [food("draft", "draft"), food("closed", "closed"), food("expired", "open", date(2026, 5, 1))]
    query = "our community kitchen turns surplus veg into cheap meals"
    assert Matcher(catalogue, today=today).match(query) == []
    catalogue.append(food("open", "open"))
    assert [m.ref for m in Matcher(catalogue, today=today).match(query)] == ["open"]


def test_meaning_is_only_a_fallback(routing: Matcher) -> None:
    """Where the words match, the lexical result stands (its reasons are catalogue words)."""
    off = Matcher(load_catalogue(DATA / "routing_dev_challenges.yaml"), meaning=False)
    for query in ("food hubs", "bike share", "adult social care"):
        assert routing.match(query) == off.match(query)


def test_a_query_of_filler_alone_matches_nothing() -> None:
    index = MeaningIndex(["Local food hubs. food. Link growers with food hubs."])
    assert index.search("is there anything for us?") == []
    assert index.search("") == []


def test_lexical_reasons_use_the_words_the_sme_typed() -> None:
    catalogue = [ChallengeSpec("rec", "Recycle more at home", "Waste", "Help households recycle and compost.",
                               ("recycle", "household waste"), "open")]
    found = Matcher(catalogue).match("recycling app for households")
    assert found and "recycling" in found[0].matched and "households" in found[0].matched


async def test_the_running_bot_builds_the_meaning_index_with_the_words(store: Store) -> None:
    """CatalogueIndex builds the embeddings in its worker thread, so no SME's query waits for
    them, and a closed challenge leaves them with the rest of the index."""
    catalogue = load_catalogue(DATA / "routing_dev_challenges.yaml")
    async with store.session() as session:
        await upsert_challenges(session, [{**c.__dict__, "tags": list(c.tags)} for c in catalogue])
    index = CatalogueIndex(check_every=0)
    async with store.session() as session:
        matcher = await index.matcher(session)
    assert matcher._meaning is not None and len(matcher._meaning) == len(catalogue)
    query = "our community kitchen turns surplus veg into cheap meals"
    assert [m.ref for m in matcher.match(query)][:1] == ["food-hubs"]
    async with store.session() as session:
        await set_status(session, "food-hubs", "closed")
    index.invalidate()
    async with store.session() as session:
        matcher = await index.matcher(session)
    assert "food-hubs" not in [m.ref for m in matcher.match(query)]
