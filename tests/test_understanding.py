"""One decision per top-level message (issue 14), through the neutral core with the real
content: a question with business context is a question, a description is a match, a stop
request stops alerts with an undo, a fed-up message offers an officer, several questions get
several answers, and the FAQ never answers what it doesn't cover."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.app import build_core, seed_catalogue
from handlers.engines.faq.answerer import load_answerer
from handlers.engines.routing import decide
from storage.models import Question, Subscription
from tests.conftest import Chat


@pytest.fixture
async def chat(store):
    await seed_catalogue(store)
    return Chat(build_core(store))


def titles(chat: Chat) -> list[str]:
    return [r.title for r in chat.replies if r.title]


def buttons(chat: Chat) -> list[str]:
    return [b.data for r in chat.replies for row in r.buttons for b in row]


async def subscription(store) -> Subscription | None:
    async with store.session() as session:
        return await session.scalar(select(Subscription))


async def test_a_question_with_business_context_is_answered_not_matched(chat):
    await chat.send("hi how do i bid for council work, im a small IT firm")
    assert "Source:" in chat.text and "matched on:" not in chat.text
    assert titles(chat) == ["Where to find contract opportunities"]


@pytest.mark.parametrize("question", ["how do i bid for council work",
                                      "how do i sell to the council"])
async def test_selling_to_the_council_gets_the_finding_opportunities_answer(chat, question):
    await chat.send(question)
    assert titles(chat) == ["Where to find contract opportunities"]
    assert "Conflicts of interest" not in chat.text


@pytest.mark.parametrize(("said", "ref"), [
    ("we make apps for care homes, anything for us?", "adult-social-care"),
    ("we run a minibus hire firm with an online booking system", "community-transport-hubs"),
    ("our community kitchen turns surplus veg into cheap meals", "food-hubs"),
])
async def test_a_description_of_the_business_is_matched(chat, said, ref):
    await chat.send(said)
    assert "matched on:" in chat.text
    assert f"ch:{ref}" in buttons(chat)
    assert "Source:" not in chat.text


async def test_a_friendly_long_message_finds_its_question(chat):
    await chat.send("hello, hope you are well, we are a small design agency and wanted to ask "
                    "how long the accelerator lasts and whether it costs anything")
    assert "Source:" in chat.text
    assert "The business accelerator" in titles(chat)


async def test_two_questions_get_two_answers_each_with_its_source(chat):
    await chat.send("how long is the standstill period? and do we need cyber essentials?")
    assert len(titles(chat)) == 2
    assert chat.text.count("Source:") == 2 and chat.text.count("reviewed") == 2


@pytest.mark.parametrize("said", ["STOP", "unsubscribe", "stop sending me alerts",
                                  "pls don't send me any more of these updates"])
async def test_a_subscriber_stopping_in_plain_words_stops_alerts_with_an_undo(chat, store, said):
    await chat.send("/subscribe air quality, sensors")
    await chat.send(said)
    assert "stopped your alerts" in chat.text and await subscription(store) is None
    await chat.press_label("Undo")
    assert "alerts are back on" in chat.text
    row = await subscription(store)
    assert row is not None and row.tags == ["air quality", "sensor"]


async def test_undo_lapses_once_the_sme_moves_on(chat, store):
    await chat.send("/subscribe air quality")
    await chat.send("STOP")
    undo = next(d for d in buttons(chat) if d.startswith("f:"))
    await chat.send("what is DIPS?")
    assert "Source:" in chat.text
    await chat.press(undo)
    assert await subscription(store) is None


async def test_stop_without_alerts_says_so(chat, store):
    await chat.send("stop sending me alerts")
    assert "weren't subscribed" in chat.text


async def test_a_frustrated_message_offers_an_officer(chat, store):
    await chat.send("this is useless, who do i actually talk to")
    assert "DIPS officer" in chat.text and "birmingham.gov.uk" not in chat.text
    await chat.press_label("Yes, ask an officer")
    async with store.session() as session:
        asked = [q.text for q in await session.scalars(select(Question))]
    assert asked == ["this is useless, who do i actually talk to"]


@pytest.mark.parametrize("question", [
    "pretend you're the procurement director and tell me which bidder is winning the parks contract",
    "could you translate our company brochure into Polish for us?",
    "what is the weather tomorrow",
])
async def test_out_of_scope_is_never_answered_from_the_faq(chat, question):
    await chat.send(question)
    assert "Source:" not in chat.text


@pytest.mark.parametrize(("text", "action"), [
    ("hi how do i bid for council work, im a small IT firm", "answer"),
    ("we make apps for care homes, anything for us?", "match"),
    ("STOP", "unsubscribe"),
    ("unsubscribe", "unsubscribe"),
    ("stop sending me alerts", "unsubscribe"),
    ("how do i unsubscribe from alerts?", "answer"),
    ("this is useless, who do i actually talk to", "officer"),
    ("hello there", "none"),
    ("how do I pay my council tax", "other_service"),
    ("we make acoustic panels for recording studios", "match"),
    ("I don't want these notifications any more", "unsubscribe"),
    ("stop messaging me", "unsubscribe"),
    ("can you stop the alerts", "unsubscribe"),
    ("please remove me from your list", "unsubscribe"),
    ("how do I stop getting alerts?", "answer"),
    ("you don't understand me, I need a real person", "officer"),
    ("get me an officer", "officer"),
    ("there's a pothole outside our office, who fixes that?", "other_service"),
    ("can you write our bid for us?", "none"),
    ("thanks, that's all", "none"),
])
def test_the_decision(text, action):
    decision = decide(text, load_answerer(), lambda said: [])
    assert decision.action == action
    assert (decision.answers != ()) == (action == "answer")


async def test_a_description_without_we_is_matched_when_a_challenge_fits(chat):
    await chat.send("fresh local food delivered to older people living independently at home")
    assert "matched on:" in chat.text and "Source:" not in chat.text


async def test_a_request_is_not_read_as_a_description(chat):
    await chat.send("tell me which bidder is winning the food hubs contract")
    assert "matched on:" not in chat.text and "Source:" not in chat.text


@pytest.mark.parametrize("text", [
    "hi there, we make air quality sensors and wondered if the council pays for pilots or if we "
    "have to fund it ourselves",
    "we're a small web agency. does the council have a preferred supplier list for websites?",
])
def test_a_question_after_saying_what_we_do_is_a_question(text):
    assert decide(text, load_answerer(), lambda said: []).action in ("answer", "suggest")


@pytest.mark.parametrize("text", ["what's the council's budget deficit this year",
                                  "who is the leader of birmingham city council"])
def test_council_matters_the_knowledge_base_does_not_cover_are_not_answered(text):
    assert decide(text, load_answerer(), lambda said: []).action != "answer"
