"""Cases through the neutral core: hand-off, claiming, answering, the SME's reply, closing,
clarifications (anonymised, once per recipient), FAQ suggestions and anonymising."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select, update

from handlers.app import build_core, seed_catalogue
from handlers.domain.anonymise import Asker, anonymise
from handlers.kernel.core import Core
from handlers.kernel.messages import Incoming, Reply, Speaker
from storage import challenges, people
from storage.models import Contact, Delivery, Identity, Question, Subscription
from storage.store import Store
from tests.conftest import Chat
from tests.test_impact import seed

ROOT = Path(__file__).resolve().parents[1]
# What the asker (Acme Ltd's Sam Smith, contact Jane Doe) could give away about themselves.
PERSONAL = ["Sam", "Smith", "Acme", "sam@acme.co.uk", "07700 900123", "acme-sensors.example.com",
            "Jane", "jane@acme.co.uk", "0121 496 0000"]
QUESTION = ("Hi, I'm Sam Smith from Acme Ltd (sam@acme.co.uk, 07700 900123, "
            "https://acme-sensors.example.com). Can Acme bid on food-hubs jointly with a partner "
            "if the deadline is 2025-06-03?")


def make_core(store: Store) -> Core:
    return build_core(store, with_faq=False, with_matching=False)


async def officer(core: Core, user: str) -> Chat:
    async with core.store.session() as session:
        identity = await people.set_role(session, "console", user, "officer")
        identity.display_name = user
    return Chat(core, user)


class Sme:
    """An SME speaking as the seeded Telegram identity (its chat id kept as the seed's)."""

    def __init__(self, core: Core, user: str = "sme0", chat: str = "1000",
                 name: str = "Sam Smith") -> None:
        self.core = core
        self.speaker = Speaker("telegram", user, chat_id=chat, display_name=name)
        self.replies: list[Reply] = []

    async def send(self, text: str) -> str:
        message = (Incoming(self.speaker, command=text[1:].split(" ")[0],
                            args=text.partition(" ")[2]) if text.startswith("/")
                   else Incoming(self.speaker, text=text))
        self.replies = await self.core.handle(message)
        return "\n".join(r.text for r in self.replies)

    async def press(self, data: str) -> str:
        self.replies = await self.core.handle(Incoming(self.speaker, button=data))
        return "\n".join(r.text for r in self.replies)


async def rows(store: Store, **where: object) -> list[Delivery]:
    async with store.session() as session:
        query = select(Delivery).order_by(Delivery.id)
        for key, value in where.items():
            query = query.where(getattr(Delivery, key) == value)
        return list(await session.scalars(query))


async def the_case(store: Store, case_id: int = 1) -> Question:
    async with store.session() as session:
        case = await session.get(Question, case_id)
    assert case is not None
    return case


async def add_contact(store: Store) -> None:
    async with store.session() as session:
        sme = await people.get_identity(session, "telegram", "sme0")
        assert sme is not None and sme.organisation_id is not None
        contact = Contact(organisation_id=sme.organisation_id, name="Jane Doe",
                          email="jane@acme.co.uk", phone="0121 496 0000")
        session.add(contact)
        await session.flush()
        sme.contact_id = contact.id


# ---- hand-off ----

async def test_hand_off_opens_a_case_and_queues_the_channel_notice(store: Store) -> None:
    await seed(store)
    core = make_core(store)
    said = await Sme(core).send("/human Can we bid on food-hubs with a partner?")
    assert "passed it to a DIPS officer" in said and "tell you when they answer" in said
    case = await the_case(store)
    async with store.session() as session:
        food = await challenges.get_challenge(session, "food-hubs")
    assert case.status == "open" and food is not None and case.challenge_id == food.id
    assert case.tried == {"faq": [], "asked_for_person": True}
    notice = await rows(store, kind="case")
    assert len(notice) == 1 and notice[0].platform == "slack" and notice[0].chat_id == "officers"
    assert notice[0].identity_id == case.identity_id  # so /forget erases it with the SME
    payload = notice[0].payload
    assert payload["case_id"] == case.id and "thread" not in payload
    for part in ("Acme Ltd (small, Birmingham, United Kingdom)", "Food Hubs [food-hubs]",
                 "Can we bid on food-hubs with a partner?", "asked for a person"):
        assert part in payload["text"]
    data = [b[1] for row in payload["buttons"] for b in row]
    assert data == ["csc:1", "csa:1", "csp:1", "csf:1", "csx:1"]


async def test_asking_from_a_challenges_details_files_the_case_against_it(store: Store) -> None:
    await seed_catalogue(store)
    core = make_core(store)
    sme = Chat(core, "sme9", platform="telegram")
    async with store.session() as session:
        ref = (await challenges.list_challenges(session, open_on=core.today()))[0].ref
    await sme.press(f"ch:{ref}")
    await sme.press_label("Ask an officer about this")
    assert "about this challenge" in sme.text
    await sme.send("Is the budget a hard cap?")
    assert "passed it to a DIPS officer" in sme.text
    async with store.session() as session:
        challenge = await challenges.get_challenge(session, ref)
    assert challenge is not None and (await the_case(store)).challenge_id == challenge.id


async def test_free_text_hand_off_records_what_the_bot_offered(store: Store) -> None:
    await seed_catalogue(store)
    sme = Chat(build_core(store, with_matching=False), "sme8", platform="telegram")
    await sme.send("can you check my tender documents for mistakes before i send them")
    await sme.press_label("Yes, ask an officer")
    assert "recorded your question" in sme.text and "passed it to a DIPS officer" in sme.text
    case = await the_case(store)
    assert case.tried is not None and case.tried["faq"] and not case.tried["asked_for_person"]
    notice = (await rows(store, kind="case"))[0].payload["text"]
    assert "it offered \u201c" in notice and "Challenge: none named" in notice


# ---- claiming and answering ----

async def test_a_claimed_case_cannot_be_answered_twice(store: Store) -> None:
    await seed(store)
    core = make_core(store)
    await Sme(core).send("/human Is the budget a hard cap?")
    alice, bob = await officer(core, "alice"), await officer(core, "bob")
    await alice.send("/dips claim 1")
    assert "Case #1 is yours" in alice.text
    await bob.send("/dips claim 1")
    assert "claimed by alice" in bob.text
    await bob.send("/dips answer 1 No, it can flex.")
    assert "claimed by alice" in bob.text and "was not sent to the SME" in bob.text
    await alice.send("/dips answer #1 Yes, it is a hard cap.")
    assert "Sent to the SME (case #1)" in alice.text
    await bob.send("/dips answer 1 Actually it flexes.")
    assert "claimed by alice" in bob.text
    await bob.press("csa:1")  # the button (no modal on the console) is refused the same way
    assert "claimed by alice" in bob.text
    answers = await rows(store, kind="case_answer")
    assert len(answers) == 1 and answers[0].chat_id == "1000"
    assert "Yes, it is a hard cap." in answers[0].payload["text"]
    assert answers[0].payload["buttons"] == [[["Reply", "csr:1"]]]
    case = await the_case(store)
    assert case.status == "answered" and case.claimed_by == "console:alice"
    assert case.answered_at is not None
    thread = [d.payload["text"] for d in await rows(store, kind="case_thread")]
    assert thread == ["Claimed by alice.", "Answer from alice, sent to the SME:\nYes, it is a hard cap."]


async def test_two_officers_answering_at_once_only_one_is_sent(store: Store) -> None:
    await seed(store)
    core = make_core(store)
    await Sme(core).send("/human Who owns the IP?")
    await officer(core, "alice")
    await officer(core, "bob")
    results = await asyncio.gather(*[core.handle(Incoming(
        Speaker("console", who, who), command="dips", args=f"answer 1 {who} says: you do."))
        for who in ("alice", "bob")])
    texts = ["\n".join(r.text for r in replies) for replies in results]
    assert sorted("Sent to the SME" in t for t in texts) == [False, True], texts
    assert len(await rows(store, kind="case_answer")) == 1


async def test_the_same_answer_submitted_twice_is_sent_once(store: Store) -> None:
    await seed(store)
    core = make_core(store)
    await Sme(core).send("/human Who owns the IP?")
    alice = await officer(core, "alice")
    for _ in range(2):  # a form submitted twice, or two identical thread messages
        await alice.send("/dips answer 1 You keep it.")
    assert "already sent" in alice.text
    assert len(await rows(store, kind="case_answer")) == 1
    await alice.send("/dips answer 1 And a licence is agreed with the council.")
    assert len(await rows(store, kind="case_answer")) == 2  # a follow-up goes, of course


async def test_answer_button_on_the_console_asks_for_the_answer(store: Store) -> None:
    await seed(store)
    core = make_core(store)
    await Sme(core).send("/human Can I use open source components?")
    alice = await officer(core, "alice")
    await alice.send("/dips questions")
    assert "#1" in alice.text and "Can I use open source components?" in alice.text
    await alice.press_label("#1 Answer")
    assert "Type your answer to case #1" in alice.text
    await alice.send("Yes, with their licences listed.")
    assert "Sent to the SME" in alice.text
    await alice.send("/dips questions")
    assert "No questions are waiting" in alice.text


async def test_smes_cannot_act_on_cases(store: Store) -> None:
    await seed(store)
    core = make_core(store)
    sme = Sme(core)
    await sme.send("/human Please hurry")
    for data in ("csc:1", "csa:1", "csx:1", "cspy:1", "csfy:1"):
        assert "only available to council officers" in await sme.press(data)
    assert "only available to council officers" in await sme.send("/dips answer 1 sure")
    assert (await the_case(store)).status == "open"


# ---- the SME's reply ----

async def test_the_smes_reply_goes_to_the_thread_and_reopens_the_case(store: Store) -> None:
    await seed(store)
    core = make_core(store)
    sme = Sme(core)
    await sme.send("/human Is VAT included in the budget?")
    async with store.session() as session:  # the Slack worker posted the notice
        await session.execute(update(Question).values(slack_channel="COFF", slack_ts="111.222"))
    alice = await officer(core, "alice")
    await alice.send("/dips answer 1 No, the budget excludes VAT.")
    assert "Type your reply" in await sme.press("csr:1")
    assert "passed your reply" in await sme.send("And is travel covered?")
    case = await the_case(store)
    assert case.status == "open" and case.claimed_by == "console:alice"
    last = (await rows(store, kind="case_thread"))[-1]
    assert last.platform == "slack" and last.chat_id == "COFF"
    assert last.payload["case_id"] == case.id and last.payload["thread"] is True  # its thread
    assert "And is travel covered?" in last.payload["text"]
    # Someone else can't reply on this SME's case; nobody can once it is closed.
    assert "no longer available" in await Sme(core, "sme2", "1002", "Kai").press("csr:1")
    await alice.send("/dips close 1")
    assert "Case #1 is closed" in alice.text and "told" not in alice.text  # it was answered
    assert "has been closed" in await sme.press("csr:1")


async def test_closing_an_unanswered_case_tells_the_sme(store: Store) -> None:
    await seed(store)
    core = make_core(store)
    await Sme(core).send("/human Anything?")
    alice = await officer(core, "alice")
    await alice.press("csx:1")
    assert "The SME was told" in alice.text
    closed = await rows(store, kind="case_closed")
    assert len(closed) == 1 and "closed it without a written answer" in closed[0].payload["text"]
    await alice.press("csx:1")
    assert "already closed" in alice.text
    await alice.send("/dips answer 1 late answer")
    assert "is closed" in alice.text and not await rows(store, kind="case_answer")


async def test_questions_lists_open_cases_oldest_first(store: Store) -> None:
    await seed(store)
    core = make_core(store)
    for i, text in enumerate(("First?", "Second?", "Third?")):
        await Sme(core, f"sme{i}", str(1000 + i), f"S{i}").send(f"/human {text}")
    alice = await officer(core, "alice")
    await alice.send("/dips claim 3")
    await alice.send("/dips answer 2 Done.")
    await alice.send("/dips questions")
    assert alice.text.index("First?") < alice.text.index("Third?") and "Second?" not in alice.text
    assert "held by alice" in alice.text


# ---- clarifications ----

async def subscribe(store: Store, user: str, chat: str, tags: list[str]) -> None:
    async with store.session() as session:
        identity = Identity(platform="telegram", external_id=user, chat_id=chat, role="sme")
        session.add(identity)
        await session.flush()
        session.add(Subscription(identity_id=identity.id, tags=tags))


async def published_case(store: Store) -> tuple[Core, Chat]:
    """Acme's Sam asks about food-hubs with personal details; alice answers."""
    await seed(store)
    await add_contact(store)
    await subscribe(store, "fan", "2001", ["test"])  # the seeded challenges are tagged "test"
    await subscribe(store, "other", "2002", ["zebra crossings"])
    core = make_core(store)
    await Sme(core).send(f"/human {QUESTION}")
    alice = await officer(core, "alice")
    await alice.send("/dips answer 1 Yes, Sam: joint bids are welcome; name a lead partner. "
                     "See https://www.birmingham.gov.uk/dips")
    return core, alice


async def test_clarification_goes_once_to_every_interested_sme_without_personal_data(
        store: Store) -> None:
    core, alice = await published_case(store)
    await alice.send("/dips clarify 1")  # a preview first: nothing is sent before Confirm
    assert "jointly with a partner" in alice.text and not await rows(store, kind="clarification")
    await alice.press_label("Confirm")
    assert "queued for 5 interested SMEs" in alice.text, alice.text
    sent = await rows(store, kind="clarification")
    chats = sorted(d.chat_id for d in sent)
    # EOIs on food-hubs: Acme (1000), Tartu (1002), Paris (1005), Leeds (1006); "fan" subscribes.
    assert chats == ["1000", "1002", "1005", "1006", "2001"]
    text = json.dumps(sent[0].payload, ensure_ascii=False)
    for personal in PERSONAL:
        assert personal not in text, personal
    assert "bid on food-hubs jointly with a partner" in text and "2025-06-03" in text
    assert "https://www.birmingham.gov.uk/dips" in text  # the council's own link stays
    await alice.send("/dips clarify 1")
    assert "already been published" in alice.text
    assert len(await rows(store, kind="clarification")) == 5
    details = await Sme(core, "sme2", "1002", "Kai").press("ch:food-hubs")
    assert "Clarifications:" in details and "jointly with a partner" in details
    assert "Acme" not in details.split("Clarifications:")[1]


async def test_clarification_needs_a_challenge_and_an_answer(store: Store) -> None:
    await seed(store)
    core = make_core(store)
    await Sme(core).send("/human General question about payment terms")
    await Sme(core, "sme2", "1002", "Kai").send("/human About food-hubs: who judges?")
    alice = await officer(core, "alice")
    await alice.send("/dips clarify 2")
    assert "hasn't been answered yet" in alice.text
    await alice.send("/dips answer 1 30 days.")
    await alice.send("/dips clarify 1")
    assert "isn't about a challenge" in alice.text
    assert not await rows(store, kind="clarification")


async def test_officer_wording_is_kept_but_still_scrubbed(store: Store) -> None:
    _, alice = await published_case(store)
    await alice.send("/dips clarify 1 Will joint bids from Acme be accepted? --- Yes, they will.")
    assert "Will joint bids from [organisation] be accepted?" in alice.text  # the preview
    await alice.press_label("Confirm")
    sent = await rows(store, kind="clarification")
    assert "Question: Will joint bids from [organisation] be accepted?" in sent[0].payload["text"]
    assert "Answer: Yes, they will." in sent[0].payload["text"]


# ---- FAQ suggestions ----

async def test_answered_case_becomes_an_faq_suggestion_listed_by_the_cli(
        store: Store, db_url: str) -> None:
    _, alice = await published_case(store)
    await alice.send("/dips suggest 1")
    assert "Suggested as FAQ entry #1" in alice.text
    await alice.send("/dips suggest 1")
    assert "already been suggested" in alice.text
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPS_")}
    env["DIPS_DATABASE_URL"] = db_url
    result = subprocess.run([sys.executable, "-m", "bot.cli", "faq", "suggestions", "--json"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    listed = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(listed) == 1 and listed[0]["status"] == "pending" and listed[0]["case"] == 1
    assert listed[0]["by"] == "console:alice" and "joint bids are welcome" in listed[0]["answer"]
    for personal in PERSONAL:
        assert personal not in listed[0]["question"], personal


# ---- anonymising ----

def test_anonymise_strips_names_organisations_and_contact_details() -> None:
    asker = Asker(("Sam Smith", "Jane Doe"), ("Acme Sensors Ltd",), ("jane@acme.co.uk",))
    text = ("I'm Sam Smith of Acme Sensors Ltd; Jane Doe (jane@acme.co.uk, +44 121 496 0000) "
            "works with Acme Sensors at www.acme.io. Sam asks: is 2025-06-03 the deadline "
            "for \u00a3250,000?")
    out = anonymise(text, asker)
    for personal in ("Sam", "Smith", "Jane", "Doe", "Acme", "jane@", "496", "acme.io"):
        assert personal not in out, out
    assert "2025-06-03" in out and "\u00a3250,000" in out and "[organisation]" in out
    # Wording an officer edited keeps ordinary words that happen to be parts of names.
    assert anonymise("Will Acme's bid count?", Asker(("Will Jones",), ("Acme Ltd",)),
                     thorough=False) == "Will [organisation]'s bid count?"
    assert anonymise("Will Acme's bid count?", Asker(("Will Jones",), ("Acme Ltd",))) == (
        "[name] [organisation]'s bid count?")


async def test_an_officer_can_cancel_a_preview(store: Store) -> None:
    """Cancel under a clarification or FAQ-suggestion preview is for officers too."""
    await seed_catalogue(store)
    officer = Chat(make_core(store), "off1", platform="slack")
    async with store.session() as session:
        await people.set_role(session, "slack", "off1", "officer")
    await officer.press("bcx:")
    assert "Cancelled" in officer.text and "only available" not in officer.text
