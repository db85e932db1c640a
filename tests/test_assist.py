"""Free text, FAQ, matching and alerts through the neutral core with the real content."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.app import build_core, seed_catalogue
from storage.models import Question, Subscription
from tests.conftest import Chat


@pytest.fixture
async def chat(store):
    await seed_catalogue(store)
    return Chat(build_core(store))


async def test_greeting_gets_menu_not_faq(chat):
    await chat.send("hello there")
    assert "Hello" in chat.text and chat.replies[0].buttons


async def test_faq_answer_carries_source_and_review_date(chat):
    await chat.send("how long is the standstill period")
    assert "Source:" in chat.text and "reviewed" in chat.text


async def test_other_council_service_points_to_contact_page(chat):
    await chat.send("how do I pay my council tax")
    assert "birmingham.gov.uk/contact" in chat.text


async def test_unanswerable_question_goes_to_an_officer_only_on_yes(chat, store):
    await chat.send("can you check my tender documents for mistakes before i send them")
    assert "Shall I pass your question to a DIPS officer?" in chat.text
    async with store.session() as session:
        assert await session.scalar(select(Question)) is None  # nothing sent without a yes
    await chat.press_label("Yes, ask an officer")
    assert "recorded your question" in chat.text
    async with store.session() as session:
        question = await session.scalar(select(Question))
        assert question.text.startswith("can you check") and question.identity_id is not None


@pytest.mark.parametrize("then", ["press no", "type no", "a command", "another question"])
async def test_an_offer_to_pass_on_is_declined_or_lapses(chat, store, then):
    """No, or moving on to anything else, leaves the officers alone and blocks nothing."""
    await chat.send("javascript:alert(1)")
    if then == "press no":
        await chat.press_label("No, thanks")
        assert "haven't passed it on" in chat.text
    elif then == "type no":
        await chat.send("no")
        assert "haven't passed it on" in chat.text
    elif then == "a command":
        await chat.send("/subscribe")
        assert "finish or /cancel" not in chat.text and "interest" in chat.text.lower()
    else:
        await chat.send("how long is the standstill period")
        assert "Source:" in chat.text
    await chat.send("yes")  # too late: nothing is pending any more
    async with store.session() as session:
        assert await session.scalar(select(Question)) is None


async def test_text_in_another_alphabet_gets_a_plain_english_only_note(chat, store):
    await chat.send("مرحبا، هل يمكنني التقدم؟")
    assert "only read English" in chat.text
    await chat.send("🤔🤔🤔")
    assert "didn't catch a question" in chat.text


async def test_business_description_is_matched_with_reasons(chat):
    await chat.send("we connect local growers with city shoppers through neighbourhood food hubs")
    assert "matched on:" in chat.text and "food" in chat.text.lower()
    labels = [b.label for r in chat.replies for row in r.buttons for b in row]
    assert any("Register interest" in label for label in labels)
    assert any("Details" in label for label in labels)


async def test_find_flow_matches_whatever_is_typed_next(chat):
    await chat.press("menu:find")
    await chat.send("car sharing")
    assert "Self-organising community transport hubs" in chat.text
    await chat.send("/find public wifi hotspots")
    assert "couldn't find an open challenge" in chat.text


async def test_subscribe_change_and_unsubscribe(chat, store):
    await chat.send("/subscribe")
    await chat.send("Air quality, sensors and EVs")
    # A new subscriber gets the weekly digest, and can switch in one tap.
    assert "Every Monday I'll send you one message" in chat.text
    async with store.session() as session:
        sub = await session.scalar(select(Subscription))
        assert "air quality" in sub.tags and len(sub.tags) == 3 and sub.alert_mode == "weekly"
    await chat.press_label("Alerts as they open")
    assert "as soon as it opens" in chat.text
    await chat.send("/subscribe air quality, noise")  # new interests keep the choice
    assert "I'll tell you when a new challenge about" in chat.text
    await chat.press_label("Weekly digest instead")
    async with store.session() as session:
        sub = await session.scalar(select(Subscription))
        assert sub.tags == ["air quality", "noise"] and sub.alert_mode == "weekly"
    await chat.send("/subscribe")
    assert "You get alerts about" in chat.text
    await chat.press_label("Alerts as they open")  # the switch is there too, and ends the question
    assert "as soon as it opens" in chat.text and chat.core is not None
    await chat.send("stop")  # typed: stopped at once, with Undo
    await chat.press_label("Undo")
    assert "I'll tell you when a new challenge about air quality, noise opens" in chat.text
    async with store.session() as session:
        assert (await session.scalar(select(Subscription))).alert_mode == "immediate"
    await chat.press_label("Weekly digest instead")
    await chat.send("stop")
    await chat.press_label("Undo")
    assert "back on: every Monday" in chat.text  # Undo brings back the digest, not alerts
    await chat.send("/subscribe")
    await chat.press("unsub:")
    assert "Alerts stopped" in chat.text
    async with store.session() as session:
        assert await session.scalar(select(Subscription)) is None


async def test_deep_link_opens_challenge_and_registers(chat):
    await chat.send("/start food-hubs")
    assert "Sustainable food hubs" in chat.replies[0].title
    await chat.press_label("Register interest")
    assert "organisation's name" in chat.text


async def test_deep_link_to_an_unknown_challenge_still_welcomes(chat):
    await chat.send("/start no-such-challenge")
    assert "Welcome to DIPS Assistant" in chat.text


async def test_off_topic_question_is_declined_without_recording(chat, store):
    await chat.send("what is the weather tomorrow")
    assert "only help with the DIPS programme" in chat.text
    async with store.session() as session:
        assert await session.scalar(select(Question)) is None


async def test_faq_suggestion_buttons_show_answers(chat):
    await chat.send("can you check my tender documents for mistakes before i send them")
    await chat.press(chat.replies[0].buttons[0][0].data)
    assert "Source:" in chat.text


UNANSWERABLE = "can you check my tender documents for mistakes before i send them"


async def questions(store) -> list[str]:
    async with store.session() as session:
        return [q.text for q in await session.scalars(select(Question))]


@pytest.mark.parametrize("reply", ["yeah", "Yep, go on", "yes please do", "go ahead"])
async def test_everyday_yes_passes_the_question_on(chat, store, reply):
    await chat.send(UNANSWERABLE)
    await chat.send(reply)
    assert "passed it to a DIPS officer" in chat.text
    assert await questions(store) == [UNANSWERABLE]


@pytest.mark.parametrize("reply", ["nope", "no thank you", "Nah."])
async def test_everyday_no_keeps_it_here(chat, store, reply):
    await chat.send(UNANSWERABLE)
    await chat.send(reply)
    assert "haven't passed it on" in chat.text
    assert await questions(store) == []


async def test_a_typed_yes_to_did_you_mean_is_a_new_message_not_a_hand_off(chat, store):
    await chat.send("ip rights")
    assert "Did you mean" in chat.text
    await chat.send("yes")
    assert await questions(store) == []
    await chat.send("ip rights")
    await chat.press_label("None of these")
    assert "passed it to a DIPS officer" in chat.text
    assert "these answers may help" not in chat.text  # not the ones just passed over
    assert await questions(store) == ["ip rights"]


async def test_yes_under_an_earlier_question_does_not_send_the_newer_one(chat, store):
    await chat.send(UNANSWERABLE)
    first_yes = next(b.data for r in chat.replies for row in r.buttons for b in row
                     if b.label.startswith("Yes"))
    await chat.send("what is the weather tomorrow")
    await chat.press(first_yes)
    assert "earlier message" in chat.text and "Shall I pass" in chat.text
    assert await questions(store) == []


async def test_reading_a_suggested_answer_keeps_the_offer_in_sight(chat, store):
    await chat.send(UNANSWERABLE)
    await chat.press(chat.replies[0].buttons[0][0].data)  # a suggested FAQ answer
    assert "Source:" in chat.text and "Still want me to pass" in chat.text
    await chat.send("ok")  # not a yes to the offer: read as a new message
    assert await questions(store) == []
    await chat.send(UNANSWERABLE)
    await chat.press_label("Yes, ask an officer")
    assert await questions(store) == [UNANSWERABLE]


async def test_ask_in_the_middle_of_a_form_keeps_the_form(chat, store):
    await chat.send("/interest food-hubs")
    await chat.send("Acme Ltd")
    await chat.send(f"/ask {UNANSWERABLE}")
    assert "Once you've finished here" in chat.text
    await chat.press_label("Carry on")
    assert "How many people" in chat.text
    assert await questions(store) == []


async def test_an_offer_left_for_days_just_lapses(store):
    from datetime import UTC, datetime, timedelta

    await seed_catalogue(store)
    now = [datetime.now(UTC)]
    chat = Chat(build_core(store))
    chat.core.clock = lambda: now[0]
    await chat.send(UNANSWERABLE)
    now[0] += timedelta(days=3)
    await chat.send("what is DIPS?")
    assert "unfinished conversation" not in chat.text and "Source:" in chat.text


async def test_stop_at_the_alerts_prompt_stops_alerts(chat, store):
    await chat.send("/subscribe air quality, sensors")
    await chat.send("/subscribe")
    await chat.send("stop")
    assert "Alerts stopped" in chat.text
    async with store.session() as session:
        assert await session.scalar(select(Subscription)) is None


@pytest.mark.parametrize("how", ["/subscribe stop", "stop sending me alerts"])
async def test_asking_to_stop_alerts_in_words_stops_them(chat, store, how):
    await chat.send("/subscribe air quality, sensors")
    if how.startswith("/"):
        await chat.send(how)
    else:
        await chat.send("/subscribe")
        await chat.send(how)
    assert "Alerts stopped" in chat.text
    async with store.session() as session:
        assert await session.scalar(select(Subscription)) is None


async def test_cancel_answers_an_open_offer(chat, store):
    await chat.send(UNANSWERABLE)
    await chat.send("/cancel")
    assert "Cancelled" in chat.text
    assert await questions(store) == []
