"""Erasure everywhere and a privacy notice that is true (issue 15, findings 8 and 9): /forget
reaches FAQ suggestions, clarifications and EOI versions; admins accept a suggestion into a
draft knowledge-base file (never the live FAQ) or reject it; the notice states the lawful
basis, the retention period, the self-service rights and how to complain to the ICO."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select

from content.privacy import privacy
from handlers.app import build_core, seed_catalogue
from handlers.kernel.core import CoreConfig
from storage import people
from storage.models import Eoi, FaqSuggestion
from storage.store import Store
from tests.conftest import Chat
from tests.test_cases import Sme, published_case
from tests.test_cli import run
from tests.test_eoi_flow import complete_eoi
from tests.test_privacy import every_value

ROOT = Path(__file__).resolve().parents[1]
THE_QUESTION = "jointly with a partner"  # words of the SME's question, in every copy of it


async def admin(core, user: str = "ada") -> Chat:
    async with core.store.session() as session:
        await people.set_role(session, "console", user, "admin")
    return Chat(core, user)


async def test_forget_erases_the_question_from_faq_suggestions_and_clarifications(
        store: Store) -> None:
    """Finding 8: after /forget an FAQ suggestion no longer holds the SME's question."""
    core, alice = await published_case(store)
    await alice.send("/dips suggest 1")
    await alice.send("/dips clarify 1")  # a preview, then Confirm
    await alice.press_label("Confirm")
    assert "queued for" in alice.text
    assert any(THE_QUESTION in v for v in await every_value(store))

    sme = Sme(core)
    await sme.send("/forget")
    await sme.press("forget:yes")
    assert [v for v in await every_value(store) if THE_QUESTION in v] == []
    async with store.session() as session:
        [suggestion] = list(await session.scalars(select(FaqSuggestion)))
    assert suggestion.question == "[erased]" and "joint bids are welcome" in suggestion.answer
    # An erased question can't become a draft; it can be rejected.
    ada = await admin(core)
    await ada.send("/dips suggestions accept 1")
    assert "no FAQ suggestion #1 waiting" in ada.text
    await ada.send("/dips suggestions reject 1")
    assert "rejected" in ada.text


async def test_forget_erases_every_version_and_the_officers_notices(store: Store) -> None:
    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    chat = Chat(core, user="sme-forget-2", platform="telegram")
    await complete_eoi(chat)
    await chat.press("my:1")
    await chat.press_label("Edit proposal")
    await chat.send("Our amended idea: cargo bikes run by Zebedee Fernsby's team.")
    assert any("Zebedee Fernsby" in v for v in await every_value(store))
    await chat.send("/forget")
    await chat.press("forget:yes")
    personal = ("Zebedee Fernsby", "Acme Food Tech Ltd", "jane@acme.example.com", "Jane Smith",
                "neighbourhood ordering app", "sme-forget-2", "acme.example.com")
    assert [(p, v) for v in await every_value(store) for p in personal if p in v] == []
    async with store.session() as session:
        eoi = await session.get(Eoi, 1)
        assert eoi is not None and (eoi.size_band, eoi.city) == ("small", "Birmingham")


async def test_admins_accept_a_suggestion_into_a_draft_and_reject_another(
        store: Store, db_url: str, tmp_path: Path) -> None:
    core, alice = await published_case(store)
    await alice.send("/dips suggest 1")
    await alice.send("/dips suggestions")
    assert "only available to admins" in alice.text  # officers suggest; admins decide
    ada = await admin(core)
    await ada.send("/dips suggestions")
    assert "#1 by console:alice" in ada.text and THE_QUESTION in ada.text
    await ada.send("/dips suggestions accept 1")
    assert "accepted as a draft" in ada.text
    draft = ada.replies[0].attachment
    assert draft is not None and draft.filename == "suggestion-1.yaml"
    text = draft.content.decode()
    assert text.startswith("# DRAFT") and "Not live" in text
    [entry] = yaml.safe_load(text)["entries"]
    assert entry["id"] == "suggestion-1" and THE_QUESTION in entry["questions"][0]
    assert "joint bids are welcome" in entry["answer"] and entry["reviewed"] == ""
    assert not any("suggestion-1" in p.read_text() for p in (ROOT / "content" / "faq").iterdir()
               if p.is_file())
    await ada.send("/dips suggestions accept 1")
    assert "no FAQ suggestion #1 waiting" in ada.text
    await ada.send("/dips suggestions maybe 1")
    assert "Usage" in ada.text

    # The command line: a second case's suggestion, accepted into a drafts folder, and a reject.
    await Sme(core).send("/human Is there a page limit for the proposal?")
    await alice.send("/dips answer 2 No page limit; keep it under 1500 characters.")
    await alice.send("/dips suggest 2")
    drafts = tmp_path / "drafts"
    accepted = run(["faq", "suggestions", "accept", "2", "--drafts", str(drafts)], db_url)
    assert accepted.returncode == 0, accepted.stderr
    assert "page limit" in (drafts / "suggestion-2.yaml").read_text()
    again = run(["faq", "suggestions", "reject", "2"], db_url)
    assert again.returncode == 1 and "waiting for review" in again.stderr
    listed = run(["faq", "suggestions", "--status", "accepted"], db_url)
    assert "#1 [accepted]" in listed.stdout and "#2 [accepted]" in listed.stdout


async def test_the_privacy_notice_is_true(store: Store) -> None:
    """Finding 9: lawful basis, retention, self-service rights, the ICO, and no phone number."""
    await seed_catalogue(store)
    assert privacy().version != "2026-11-v1"  # the wording changed: consent is asked again
    chat = Chat(build_core(store, CoreConfig(retention_days=365), with_faq=False,
                           with_matching=False))
    await chat.send("/privacy")
    notice = chat.text
    for truth in ("lawful basis", "consent", "365 days", "/mydata", "/forget", "at once",
                  "Information Commissioner's Office", "ico.org.uk"):
        assert truth in notice, truth
    assert "phone" not in notice.replace("phone number or anything else", "")
    assert "passes requests" not in notice
    default = Chat(build_core(store, with_faq=False, with_matching=False), user="u2")
    await default.send("/privacy")
    assert "730 days" in default.text
