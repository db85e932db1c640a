"""Forms that never swallow a message (issue 15, finding 6): coming back to an open form names
it and offers to carry on or cancel; at a free-text step, a line that reads as a command, a
question, a change of mind or a request for something else is confirmed before it is stored.
Through the console core and the Telegram fake."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.app import build_core, seed_catalogue
from handlers.kernel.guard import CHANGE, COMMAND, QUESTION, REQUEST, odd_answer
from storage.models import ConversationState, Eoi
from tests.conftest import Chat
from tests.test_eoi_flow import REF, SUMMARY, count
from tests.test_telegram import USER, Harness, bot, fake, open_ref  # noqa: F401 (fixtures)

PLANNING = "planning-consultation"
CHANGE_OF_MIND = "actually no, I don't want to do planning, I meant transport"
SOMETHING_ELSE = "show me the open challenges please"


@pytest.fixture
async def core(store):
    await seed_catalogue(store)
    return build_core(store, with_faq=False)


async def up_to_the_proposal(chat: Chat, ref: str = REF) -> None:
    await chat.send(f"/interest {ref}")
    for answer in ("Acme Food Tech Ltd", "12", "UK", "Birmingham", "skip", "Jane Smith",
                   "jane@acme.example.com"):
        await chat.send(answer)
    assert "solution" in chat.text


async def state(store) -> ConversationState | None:
    async with store.session() as session:
        return await session.scalar(select(ConversationState))


@pytest.mark.parametrize(("line", "kind"), [
    (SOMETHING_ELSE, REQUEST), (CHANGE_OF_MIND, CHANGE), ("menu", COMMAND),
    ("start again", COMMAND), ("how long does this take", QUESTION),
    (SUMMARY, None), ("Acme Food Tech Ltd", None), ("Birmingham", None), ("Sorry Ltd", None),
    ("We run a neighbourhood food ordering app for local growers and food hubs.", None),
    ("not got one yet", None), ("Jane Smith", None)])
def test_what_reads_as_not_an_answer(line, kind):
    assert odd_answer(line) == kind


async def test_coming_back_to_an_open_form_names_it_and_offers_carry_on_or_cancel(core, store):
    chat = Chat(core)
    await chat.send(f"/interest {REF}")
    await chat.send("Acme Food Tech Ltd")
    for command in ("/start", "/menu"):
        await chat.send(command)
        assert "Sustainable food hubs" in chat.text and "still have" in chat.text, command
        assert "Welcome" not in chat.text
        labels = [b.label for r in chat.replies for row in r.buttons for b in row]
        assert labels == ["Carry on", "Cancel it"]
    await chat.press_label("Carry on")
    assert "How many people" in chat.text
    await chat.send("/start")
    await chat.press_label("Cancel it")
    assert "Cancelled" in chat.text and await state(store) is None


async def test_a_request_at_the_proposal_is_held_then_done_instead(core, store):
    chat = Chat(core)
    await up_to_the_proposal(chat)
    await chat.send(SOMETHING_ELSE)
    assert "haven't stored it" in chat.text and "Sustainable food hubs" in chat.text
    held = await state(store)
    assert held is not None and held.step == "summary" and "summary" not in held.data
    await chat.press_label("Leave the form")
    assert "nothing from it was submitted" in chat.text
    assert "reference: planning-consultation" in chat.text  # the open challenges, as asked
    assert await state(store) is None and await count(store, Eoi) == 0


async def test_a_change_of_mind_is_not_stored_as_the_proposal(core, store):
    chat = Chat(core)
    await up_to_the_proposal(chat, PLANNING)
    await chat.send(CHANGE_OF_MIND)
    assert "change of mind" in chat.text
    held = await state(store)
    assert held is not None and held.step == "summary" and "summary" not in held.data
    await chat.press_label("Carry on")  # back to the question: the line was not kept
    assert "solution" in chat.text
    await chat.send(SUMMARY)
    assert "Do you agree?" in chat.text


async def test_a_held_line_can_still_be_the_answer(core, store):
    chat = Chat(core)
    await up_to_the_proposal(chat)
    proposal = "Actually, we already run this service for two councils: hubs share surplus food."
    await chat.send(proposal)
    assert "change of mind" in chat.text
    await chat.press_label("store it as my answer")
    assert "Do you agree?" in chat.text
    assert (await state(store)).data["summary"] == proposal


async def test_a_command_word_at_a_field_is_held(core, store):
    chat = Chat(core)
    await chat.send(f"/interest {REF}")
    await chat.send("menu")
    assert "looks like a command" in chat.text
    assert "org" not in (await state(store)).data or not (await state(store)).data["org"]
    await chat.press_label("Leave the form")
    assert "What would you like to do?" in chat.text  # the menu it asked for


async def test_editing_a_proposal_holds_a_change_of_mind_too(core, store):
    from tests.test_eoi_flow import complete_eoi

    chat = Chat(core)
    await complete_eoi(chat)
    await chat.press("my:1")
    await chat.press_label("Edit proposal")
    await chat.send("sorry, wrong challenge, I meant the transport one")
    assert "change of mind" in chat.text
    async with store.session() as session:
        assert (await session.get(Eoi, 1)).summary == SUMMARY


async def test_telegram_a_form_never_swallows_the_next_message(bot: Harness, store) -> None:  # noqa: F811
    ref = await open_ref(store)
    assert "organisation's name" in await bot.say(f"/interest {ref}")
    assert "How many people" in await bot.say("Acme Sensors Ltd")
    back = await bot.say("/start")
    assert "still have" in back and "Welcome" not in back
    assert "How many people" in await bot.press("Carry on")
    assert "Which country" in await bot.press("Small")
    assert "town or city" in await bot.press("United Kingdom")
    assert "website" in await bot.say("Birmingham")
    assert "contact" in await bot.press("Skip")
    assert "email" in await bot.say("Sam Smith")
    assert "solution would you propose" in await bot.say("sam@example.com")
    held = await bot.say(SOMETHING_ELSE)
    assert "haven&#x27;t stored it" in held or "haven't stored it" in held
    assert "solution would you propose" in await bot.press("Carry on")
    held = await bot.say(CHANGE_OF_MIND)
    assert "change of mind" in held
    left = await bot.press("Leave the form")
    assert "nothing from it was submitted" in left
    async with store.session() as session:
        left_state = await session.scalar(select(ConversationState))
    assert left_state is None or left_state.flow != "eoi"  # the form is gone (an offer may follow)
    assert await count(store, Eoi) == 0
