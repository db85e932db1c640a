"""The EOI conversation through the neutral core, on SQLite and (in CI) PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from content.challenges import ChallengeSpec
from handlers.app import build_core, seed_catalogue
from handlers.kernel.messages import Incoming, Speaker
from storage import challenges, eois
from storage.models import Consent, ConversationState, Eoi, Organisation, StageChange
from storage.store import open_store
from tests.conftest import Chat

REF = "food-hubs"
SUMMARY = "A neighbourhood ordering app linking local growers with food hubs."


@pytest.fixture
async def core(store):
    await seed_catalogue(store)
    return build_core(store, with_faq=False, with_matching=False)


async def fill_profile(chat: Chat, ref: str = REF) -> None:
    await chat.send(f"/interest {ref}")
    assert "organisation's name" in chat.text
    await chat.send("Acme Food Tech Ltd")
    await chat.press("f:size:small")
    await chat.press("f:country:United Kingdom")
    await chat.send("Birmingham")
    await chat.send("acme.example.com")
    await chat.send("Jane Smith")
    await chat.send("jane@acme.example.com")
    await chat.send(SUMMARY)


async def complete_eoi(chat: Chat, ref: str = REF) -> str:
    await fill_profile(chat, ref)
    assert "Do you agree?" in chat.text
    await chat.press("f:consent:yes")
    assert "Please check" in chat.text and "Acme Food Tech Ltd" in chat.text
    await chat.press("f:confirm:submit")
    assert "Your reference: EOI-" in chat.text
    return chat.text.split("Your reference: ")[1].split()[0]


async def count(store, model) -> int:
    async with store.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_whole_flow_stores_eoi_profile_consent_and_history(core, store):
    chat = Chat(core)
    reference = await complete_eoi(chat)
    assert reference == "EOI-000001"
    async with store.session() as session:
        eoi = (await eois.list_eois(session))[0]
        assert eoi.challenge.ref == REF and eoi.stage == "submitted" and eoi.summary == SUMMARY
        assert eoi.organisation.website == "https://acme.example.com"
        assert eoi.contact.email == "jane@acme.example.com"
        history = await eois.stage_history(session, eoi.id)
        assert [(h.from_stage, h.to_stage) for h in history] == [(None, "submitted")]
        consent = await session.scalar(select(Consent))
        assert consent.wording_version and consent.platform == "console"
    assert await count(store, ConversationState) == 0
    await chat.send("/my")
    assert "EOI-000001" in chat.text and "Submitted" in chat.text


STEPS = ["org_name", "size", "country", "city", "website", "contact_name", "email", "summary",
         "consent", "confirm"]


@pytest.mark.parametrize("stop_after", range(len(STEPS)))
async def test_cancel_at_each_step_writes_nothing(core, store, stop_after):
    chat = Chat(core)
    answers = [("send", "/interest " + REF), ("send", "Acme Ltd"), ("press", "f:size:micro"),
               ("send", "UK"), ("send", "Birmingham"), ("press", "f:website:-"),
               ("send", "Jane Smith"), ("send", "jane@example.com"), ("send", SUMMARY),
               ("press", "f:consent:yes")]
    for how, value in answers[: stop_after + 1]:
        await (chat.send(value) if how == "send" else chat.press(value))
    async with store.session() as session:
        state = await session.get(ConversationState, 1)
        assert state is not None and state.step == STEPS[stop_after]
    await chat.send("/cancel")
    assert "Cancelled" in chat.text
    assert await count(store, ConversationState) == 0
    assert await count(store, Eoi) == 0 and await count(store, Organisation) == 0
    assert await count(store, Consent) == 0


async def test_invalid_email_empty_and_overlong_answers_are_explained(core, store):
    chat = Chat(core)
    await chat.send(f"/interest {REF}")
    await chat.send("   ")
    assert "can't be empty" in chat.text
    await chat.send("x" * 201)
    assert "201 characters" in chat.text
    await chat.send("\u202e\u0000")  # only control and bidi characters
    assert "can't be empty" in chat.text
    await chat.send("Acme Ltd")
    await chat.press("f:size:small")
    await chat.send("United Kingdom")
    await chat.send("Birmingham")
    await chat.send("not a website at all")
    assert "web address" in chat.text
    await chat.press("f:website:-")
    await chat.send("Jane")
    for bad in ("jane", "jane@", "jane@example", "<script>@x.com", "a b@example.com"):
        await chat.send(bad)
        assert "doesn't look like an email" in chat.text, bad
    await chat.send("jane@example.com")
    await chat.send("too short")
    assert "too short" in chat.text
    await chat.send("y" * 1501)
    assert "1501 characters" in chat.text
    async with store.session() as session:
        state = await session.get(ConversationState, 1)
        assert state.step == "summary" and state.data["contact"]["email"] == "jane@example.com"


async def test_closed_expired_and_draft_challenges_are_refused(core, store):
    today = date.today()
    specs = [
        ChallengeSpec("old", "Old", "Dept", "Closed one", ("x",), "closed"),
        ChallengeSpec("late", "Late", "Dept", "Expired", ("x",), "open", closes=today - timedelta(1)),
        ChallengeSpec("soon", "Soon", "Dept", "Draft", ("x",), "draft"),
    ]
    async with store.session() as session:
        await challenges.upsert_challenges(session, [dataclasses.asdict(s) for s in specs])
    chat = Chat(core)
    for ref, words in (("old", "closed"), ("late", "closed"), ("soon", "can't find"),
                       ("nope", "can't find")):
        await chat.send(f"/interest {ref}")
        assert words in chat.text, ref
    assert await count(store, ConversationState) == 0


async def test_challenge_closing_mid_flow_is_refused_at_submit(core, store):
    chat = Chat(core)
    await fill_profile(chat)
    await chat.press("f:consent:yes")
    async with store.session() as session:
        await challenges.set_status(session, REF, "closed")
    await chat.press("f:confirm:submit")
    assert "closed" in chat.text
    assert await count(store, Eoi) == 0


async def test_duplicate_eoi_leads_to_existing_and_profile_is_reused(core, store):
    chat = Chat(core)
    await complete_eoi(chat)
    await chat.send(f"/interest {REF}")
    assert "already registered interest" in chat.text and "EOI-000001" in chat.text
    # a second challenge reuses the profile and skips consent already given
    await chat.send("/interest planning-consultation")
    assert "Acme Food Tech Ltd" in chat.text
    await chat.press("f:profile:use")
    await chat.send("An accessible online planning consultation with maps.")
    assert "Please check" in chat.text
    await chat.press("f:confirm:submit")
    assert "EOI-000002" in chat.text
    assert await count(store, Organisation) == 1


async def test_edit_field_on_summary_then_submit(core, store):
    chat = Chat(core)
    await fill_profile(chat)
    await chat.press("f:consent:yes")
    await chat.press("f:confirm:edit")
    await chat.press("f:edit:email")
    await chat.send("new@acme.example.com")
    assert "Please check" in chat.text and "new@acme.example.com" in chat.text
    await chat.press("f:confirm:submit")
    async with store.session() as session:
        assert (await eois.list_eois(session))[0].contact.email == "new@acme.example.com"


async def test_edit_and_withdraw_an_eoi(core, store):
    chat = Chat(core)
    await complete_eoi(chat)
    await chat.press("my:1")
    await chat.press_label("Edit proposal")
    await chat.send("A better proposal with growers, hubs and an urban farm.")
    assert "Updated EOI-000001" in chat.text
    await chat.press("wd:1")
    assert "Withdraw EOI-000001" in chat.text
    assert await count(store, StageChange) == 1  # nothing happens before confirmation
    await chat.press("wdy:1")
    assert "withdrawn" in chat.text
    async with store.session() as session:
        eoi = await eois.get_eoi(session, 1)
        assert eoi.stage == "withdrawn" and eoi.summary.startswith("A better proposal")
        assert [h.to_stage for h in await eois.stage_history(session, 1)] == ["submitted",
                                                                              "withdrawn"]
    await chat.press("wdy:1")  # a stale confirmation changes nothing
    assert "already withdrawn" in chat.text
    # someone else cannot see or withdraw it
    other = Chat(core, user="u2")
    await other.press("wd:1")
    assert "can't find" in other.text


async def test_a_withdrawn_eoi_is_resubmitted_under_its_reference(core, store):
    chat = Chat(core)
    assert await complete_eoi(chat) == "EOI-000001"
    await chat.press("wd:1")
    await chat.press("wdy:1")
    await chat.send(f"/interest {REF}")
    await chat.press_label("Use")  # the saved profile
    await chat.send("A second try: refrigerated cargo bikes between the hubs, run by a co-op.")
    await chat.press("f:confirm:submit")
    assert "Your reference: EOI-000001" in chat.text
    async with store.session() as session:
        [eoi] = await eois.list_eois(session)
        assert eoi.stage == "submitted" and eoi.summary.startswith("A second try")
        history = await eois.stage_history(session, eoi.id)
        assert [(h.to_stage, h.note) for h in history][1:] == [("withdrawn", "withdrawn by the SME"),
                                                                ("submitted", "re-submitted")]
    # Another organisation's EOI takes the next number: the re-submission used none up.
    assert await complete_eoi(Chat(core, user="u2")) == "EOI-000002"


async def test_large_company_is_told_kindly(core, store):
    chat = Chat(core)
    await chat.send(f"/interest {REF}")
    await chat.send("Huge Corp plc")
    await chat.send("we have 5,000 staff")
    assert "small and medium-sized" in chat.text
    assert await count(store, Organisation) == 0 and await count(store, ConversationState) == 0


async def test_stale_button_and_other_flow_get_a_kind_answer(core, store):
    chat = Chat(core)
    await chat.send(f"/interest {REF}")
    await chat.press("f:consent:yes")  # a button from a step we are not at
    assert "earlier message" in chat.text and "organisation's name" in chat.text
    await chat.press("nonsense:1")
    assert "expired" in chat.text
    await chat.press("int:planning-consultation")
    assert "middle of something" in chat.text
    await chat.press("sw:planning-consultation")
    assert "Online consultation" in chat.text


async def test_flow_continues_after_restart(db_url, store):
    await seed_catalogue(store)
    chat = Chat(build_core(store, with_faq=False, with_matching=False))
    await chat.send(f"/interest {REF}")
    await chat.send("Acme Ltd")
    await store.close()  # the process stops mid-flow

    store2 = await open_store(db_url)
    try:
        chat2 = Chat(build_core(store2, with_faq=False, with_matching=False))
        await chat2.press("f:size:medium")
        assert "country" in chat2.text
        await chat2.send("Sweden")
        await chat2.send("Gävle")
        await chat2.press("f:website:-")
        await chat2.send("Sven Svensson")
        await chat2.send("sven@example.se")
        await chat2.send(SUMMARY)
        await chat2.press("f:consent:yes")
        await chat2.press("f:confirm:submit")
        assert "EOI-000001" in chat2.text
        async with store2.session() as session:
            org = (await eois.list_eois(session))[0].organisation
            assert (org.name, org.country, org.city) == ("Acme Ltd", "Sweden", "Gävle")
    finally:
        await store2.close()


async def test_idle_flow_is_dropped_with_a_friendly_word(core, store):
    chat = Chat(core)
    await chat.send(f"/interest {REF}")
    core.clock = lambda: __import__("datetime").datetime.now(__import__("datetime").UTC) + timedelta(days=2)
    await chat.send("Acme Ltd")
    assert "over a day" in chat.text
    assert await count(store, ConversationState) == 0


async def test_concurrent_eois_from_fifty_smes_are_all_stored(core, store):
    async def one(i: int) -> str:
        return await complete_eoi(Chat(core, user=f"sme{i}"))

    references = await asyncio.gather(*(one(i) for i in range(50)))
    assert len(set(references)) == 50
    assert await count(store, Eoi) == 50


async def test_concurrent_submits_by_one_organisation_store_one(core, store):
    chat = Chat(core)
    await fill_profile(chat)
    await chat.press("f:consent:yes")
    submit = Incoming(chat.speaker, button="f:confirm:submit")
    replies = await asyncio.gather(core.handle(submit), core.handle(submit))
    texts = ["\n".join(r.text for r in rs) for rs in replies]
    assert sum("Your reference" in t for t in texts) == 1, texts
    assert await count(store, Eoi) == 1


async def test_database_refuses_a_second_eoi_for_the_same_pair(core, store):
    await complete_eoi(Chat(core))
    async with store.session() as session:
        eoi = (await eois.list_eois(session))[0]
        with pytest.raises(eois.DuplicateEoi):
            await eois.create_eoi(session, organisation_id=eoi.organisation_id,
                                  challenge_id=eoi.challenge_id, contact_id=eoi.contact_id,
                                  identity_id=1, summary="again", actor="test")
    assert await count(store, Eoi) == 1


async def test_hostile_text_is_kept_literally(core, store):
    chat = Chat(core)
    await chat.send(f"/interest {REF}")
    name = "<b>Acme</b> & Co'; DROP TABLE eois;-- {{x}} *bold* <@channel>"
    await chat.send(name)
    await chat.press("f:size:small")
    assert await count(store, Eoi) == 0
    async with store.session() as session:
        state = await session.get(ConversationState, 1)
        assert state.data["org"]["name"] == name


async def test_unknown_command_and_officer_only_command(core):
    chat = Chat(core)
    await chat.send("/frobnicate")
    assert "don't know the command" in chat.text
    await chat.send("/stage 1 exploration")
    assert "only available to council officers" in chat.text


async def test_officer_moves_stage_with_history_and_audit(core, store):
    await complete_eoi(Chat(core))
    officer = Chat(core, user="officer1")
    async with store.session() as session:
        from storage.people import set_role

        await set_role(session, "console", "officer1", "officer")
    await officer.send("/stage EOI-000001 exploration first workshop booked")
    await officer.press_label("Confirm")  # a move is previewed, then confirmed
    assert "moved from" in officer.text
    await officer.send("/eoi 1")
    assert "first workshop booked" in officer.text
    await officer.send("/stage 1 nowhere")
    assert "Unknown stage" in officer.text
    async with store.session() as session:
        from storage.audit import audit_entries

        assert [a.action for a in await audit_entries(session)] == ["stage_change"]


def test_button_data_limit():
    from handlers.kernel.messages import Button

    with pytest.raises(ValueError):
        Button("x", "y" * 65)
    assert Speaker("console", "u")  # the neutral types need nothing platform-specific


async def test_a_repeated_update_id_is_handled_once(core, store):
    chat = Chat(core)
    message = Incoming(chat.speaker, command="interest", args=REF, update_id=7)
    first, again = await asyncio.gather(core.handle(message), core.handle(message))
    assert sorted([bool(first), bool(again)]) == [False, True]
    assert await core.handle(message) == []
    async with store.session() as session:
        state = await session.get(ConversationState, 1)
        assert state.step == "org_name" and state.version == 1


async def test_a_question_typed_mid_form_is_answered_not_stored(core, store):
    chat = Chat(core)
    await chat.send(f"/interest {REF}")
    await chat.send("Acme Food Tech Ltd")
    await chat.press("f:size:small")
    await chat.press("f:country:United Kingdom")
    await chat.send("what is social value?")
    assert "sounds like a question" in chat.text and "town or city" in chat.text
    assert "without the question mark" in chat.text
    await chat.send("Birmingham")
    assert "website" in chat.text
    await chat.send("not got one yet")
    assert "contact" in chat.text
    async with store.session() as session:
        state = await session.scalar(select(ConversationState))
        assert state.data["org"]["city"] == "Birmingham" and state.data["org"]["website"] is None


async def test_a_question_mid_form_gets_the_faq_answer_when_there_is_one(store):
    await seed_catalogue(store)
    chat = Chat(build_core(store, with_matching=False))
    await chat.send(f"/interest {REF}")
    await chat.send("What is DIPS?")
    assert "Source:" in chat.text and "organisation's name" in chat.text
    await chat.send("Acme Food Tech Ltd")
    assert "How many people" in chat.text


@pytest.mark.parametrize("word", ["stop", "Cancel", "quit."])
async def test_a_stop_word_typed_in_a_form_cancels_it(core, store, word):
    chat = Chat(core)
    await chat.send(f"/interest {REF}")
    await chat.send(word)
    assert "Cancelled" in chat.text
    assert await count(store, ConversationState) == 0


async def test_interest_finds_a_challenge_by_words_of_its_title(core):
    chat = Chat(core)
    await chat.send("/interest Sustainable food hubs")
    assert "organisation's name" in chat.text and "food hubs" in chat.text.lower()
    other = Chat(core, user="u2")
    await other.send("/interest hubs")
    choices = {b.data for r in other.replies for row in r.buttons for b in row}
    assert "Which one?" in other.text and {"int:food-hubs", "int:community-transport-hubs"} <= choices
    await other.send("/interest consultation planning")  # its words, in any order
    assert "organisation's name" in other.text
    await other.send("/cancel")
    await other.send("/interest a")
    assert "can't find" in other.text
    await other.send("/interest no such thing")
    assert "can't find an open challenge called \u201cno such thing\u201d" in other.text


async def test_a_question_at_the_proposal_step_is_not_taken_as_the_proposal(core, store):
    chat = Chat(core)
    await chat.send(f"/interest {REF}")
    for answer in ("Acme Food Tech Ltd", "12", "UK", "Birmingham", "skip", "Jane Smith",
                   "jane@acme.example.com"):
        await chat.send(answer)
    assert "solution" in chat.text
    await chat.send("Is there a word limit?")
    assert "sounds like a question" in chat.text and "solution" in chat.text
    await chat.send(SUMMARY)
    assert "Do you agree?" in chat.text
