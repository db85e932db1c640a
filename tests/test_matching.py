"""Matcher unit tests, synonyms loading, free-text helpers, and CatalogueIndex freshness."""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from content.challenges import ChallengeSpec
from content.synonyms import Synonyms, SynonymsError, load_synonyms, parse_synonyms
from handlers.engines.matching.catalogue import CatalogueIndex
from handlers.engines.matching.free_text import describes_business, interests_to_tags
from handlers.engines.matching.index import Match, Matcher, match_json
from handlers.engines.matching.text import stem
from storage.challenges import set_status, upsert_challenges
from storage.store import Store, open_store
from tests.conftest import database_url

TODAY = date(2026, 6, 1)


def spec(
    ref: str,
    title: str,
    summary: str,
    tags: list[str],
    status: str = "open",
    closes: date | None = date(2099, 1, 1),
    department: str = "Dept",
) -> ChallengeSpec:
    return ChallengeSpec(
        ref=ref,
        title=title,
        department=department,
        summary=summary,
        tags=tuple(tags),
        status=status,
        closes=closes,
    )


CATALOGUE = [
    spec(
        "air",
        "Cleaner air near schools",
        "Measure pollution at school gates.",
        ["air quality", "sensors", "schools"],
    ),
    spec(
        "care",
        "Support for older residents",
        "Help older people stay independent at home.",
        ["older people", "independent living", "assistive technology"],
    ),
    spec(
        "mobility",
        "Community mobility hubs",
        "Shared vehicles, bikes and journey planning.",
        ["transport", "mobility hubs", "electric vehicles", "e-scooters", "bike sharing"],
    ),
    spec(
        "iot-bins",
        "Connected litter bins",
        "Internet of things sensors in street bins.",
        ["internet of things", "waste", "litter"],
    ),
    spec(
        "food",
        "Local food hubs",
        "Connect local producers and residents.",
        ["food", "local producers", "urban farm"],
    ),
    spec("old-wifi", "Public wifi", "Wifi hotspots in parks.", ["wifi", "hotspots"], status="closed"),
    spec("draft-wifi", "City wifi", "Wifi in the centre.", ["wifi", "connectivity"], status="draft"),
    spec("expired-wifi", "Library wifi", "Wifi in libraries.", ["wifi"], closes=TODAY - timedelta(days=1)),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(CATALOGUE, today=TODAY)


def refs(matches: list[Match]) -> list[str]:
    return [m.ref for m in matches]


def test_only_open_challenges_are_indexed(matcher: Matcher) -> None:
    assert len(matcher) == 5
    for query in ("wifi", "public wifi hotspots", "library wifi", "city wifi connectivity"):
        assert not {"old-wifi", "draft-wifi", "expired-wifi"} & set(refs(matcher.match(query)))


def test_closing_today_is_still_open() -> None:
    m = Matcher([spec("x", "Graffiti removal", "Remove graffiti.", ["graffiti"], closes=TODAY)], today=TODAY)
    assert refs(m.match("graffiti")) == ["x"]
    assert Matcher(m.challenges, today=TODAY + timedelta(days=1)).match("graffiti") == []


def test_typos_are_corrected(matcher: Matcher) -> None:
    found = matcher.match("we make low-cost air qualty sensers")
    assert refs(found)[0] == "air"
    assert "air quality" in found[0].matched and "sensors" in found[0].matched


def test_plurals_and_word_order(matcher: Matcher) -> None:
    assert refs(matcher.match("sensor for measuring quality of air"))[0] == "air"
    assert refs(matcher.match("school"))[0] == "air"


def test_multi_word_tag_beats_scattered_words(matcher: Matcher) -> None:
    found = matcher.match("local producers")
    assert refs(found)[0] == "food"
    assert found[0].matched[0] == "local producers"


def test_synonyms_widen_recall(matcher: Matcher) -> None:
    assert refs(matcher.match("befriending app for the elderly"))[0] == "care"
    assert refs(matcher.match("EV"))[0] == "mobility"
    assert refs(matcher.match("scooter hire"))[0] == "mobility"
    assert refs(matcher.match("iot"))[0] == "iot-bins"


def test_synonyms_can_be_switched_off() -> None:
    m = Matcher(CATALOGUE, synonyms=Synonyms(), today=TODAY, meaning=False)
    assert m.match("elderly") == []
    # Words alone no longer meet, but the meaning does.
    assert refs(Matcher(CATALOGUE, synonyms=Synonyms(), today=TODAY).match("elderly"))[0] == "care"


def test_short_queries(matcher: Matcher) -> None:
    assert refs(matcher.match("transport"))[0] == "mobility"
    assert refs(matcher.match("food"))[0] == "food"


def test_nothing_fits_gives_empty(matcher: Matcher) -> None:
    for query in (
        "public wifi hotspots",
        "we sell luxury handbags online",
        "video game studio",
        "app",
        "digital platform",
        "",
        "   ",
        "!!!",
    ):
        assert matcher.match(query) == [], query


def test_scores_are_normalised_and_ranked(matcher: Matcher) -> None:
    found = matcher.match("electric vehicles and bike sharing for communities")
    assert found and all(0.0 < m.score <= 1.0 for m in found)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert matcher.match("transport", limit=0) == []


def test_list_of_interests(matcher: Matcher) -> None:
    assert refs(matcher.match(["air quality", "sensors"]))[0] == "air"


def test_match_json_shape(matcher: Matcher) -> None:
    data = match_json("food", matcher.match("food"))
    assert data["query"] == "food"
    assert data["results"][0]["ref"] == "food"
    assert set(data["results"][0]) == {"ref", "title", "score", "matched"}
    assert isinstance(data["results"][0]["matched"], list)


def test_stem_meets_word_forms() -> None:
    assert stem("sensors") == stem("sensor")
    assert stem("planning") == stem("planner") == stem("plans")
    assert stem("communities") == stem("community")
    assert stem("carers") != stem("cars")


def test_describes_business() -> None:
    for text in (
        "we make low-cost air quality sensors",
        "IoT start-up building smart bins",
        "Our company builds journey planning apps",
        "We are a social enterprise running community gardens",
        "small firm that installs heat pumps",
    ):
        assert describes_business(text), text
    for text in (
        "how do I register?",
        "what is a PPON",
        "When is the deadline",
        "can we apply as a consortium",
        "we want to register our interest",
        "hello",
        "help",
        "air quality",
    ):
        assert not describes_business(text), text


def test_interests_to_tags() -> None:
    tags = interests_to_tags(
        "Air quality sensors, EVs and the elderly\nInformation and advice; air quality sensor"
    )
    assert tags == ["air quality sensor", "ev", "older people", "information and advice"]
    assert interests_to_tags("") == []
    many = interests_to_tags(", ".join(f"topic {i}" for i in range(50)))
    assert len(many) == 20
    assert all(len(t) <= 60 for t in interests_to_tags("x" * 30 + " " + "y" * 40))
    # Markup is not an interest, and "-ics" words are not plurals.
    assert interests_to_tags("food, bikes, <b>logistics</b>, data analytics") == [
        "food", "bike", "logistics", "data analytics"]


def test_shipped_synonyms_load() -> None:
    syn = load_synonyms()
    assert syn.canonical("Elderly") == "older people"
    assert syn.canonical("unknown thing") == "unknown thing"


def test_synonyms_validation_lists_every_problem() -> None:
    with pytest.raises(SynonymsError) as info:
        parse_synonyms({"groups": [["ev"], ["a", "ev"], "not a list", ["b", "ev", "x" * 70]], "extra": 1})
    text = str(info.value)
    assert "unknown top-level" in text and "group #1: needs at least two" in text
    assert "'ev' is already in group #1" in text and "group #3: must be a list" in text
    assert "over 60 characters" in text
    with pytest.raises(SynonymsError, match="top-level 'groups:'"):
        parse_synonyms(["ev", "electric vehicle"])


def test_synonyms_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_text("groups: [[a, b]\n")
    with pytest.raises(SynonymsError, match="not valid YAML"):
        load_synonyms(bad)
    with pytest.raises(SynonymsError, match="cannot read"):
        load_synonyms(tmp_path / "missing.yaml")


# -- CatalogueIndex: fresh across processes, no rebuild when nothing changed --------------------


@pytest.fixture
def match_store(store: Store) -> Store:
    return store  # the shared fixture: a fresh SQLite file, or the run's PostgreSQL database


async def matcher_now(store: Store, index: CatalogueIndex) -> Matcher:
    async with store.session() as session:
        return await index.matcher(session)


def _rows(specs: list[ChallengeSpec]) -> list[dict]:
    return [{**s.__dict__, "tags": list(s.tags)} for s in specs]


async def test_catalogue_index_sees_other_process_changes(match_store: Store, tmp_path: Path) -> None:
    async with match_store.session() as session:
        await upsert_challenges(session, _rows(CATALOGUE))
    index = CatalogueIndex(check_every=0.2)
    assert "air" in refs((await matcher_now(match_store, index)).match("air quality sensors"))
    assert index.builds == 1
    for _ in range(5):  # repeated queries, also past the check interval: no rebuild
        await matcher_now(match_store, index)
        await asyncio.sleep(0.06)
    assert index.builds == 1

    other = await open_store(database_url(tmp_path))  # another process: its own engine, same database
    try:
        async with other.session() as session:
            assert await set_status(session, "air", "closed") is not None
    finally:
        await other.close()
    started = time.monotonic()
    while "air" in refs((await matcher_now(match_store, index)).match("air quality sensors")):
        assert time.monotonic() - started < 5, "closed challenge still matched after 5 s"
        await asyncio.sleep(0.05)
    assert index.builds == 2


async def test_a_cached_matcher_outlives_a_rolled_back_session(match_store: Store) -> None:
    """The index is built in the transaction of whichever message first needs it; that message
    failing afterwards (its session rolled back) must not break matching for every later one."""
    async with match_store.session() as session:
        await upsert_challenges(session, _rows(CATALOGUE))
    index = CatalogueIndex(check_every=60)
    with pytest.raises(RuntimeError):
        async with match_store.session() as session:
            assert "air" in refs((await index.matcher(session)).match("air quality sensors"))
            raise RuntimeError("the handler failed after matching")
    assert "air" in refs((await matcher_now(match_store, index)).match("air quality sensors"))
    assert index.builds == 1
