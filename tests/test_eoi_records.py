"""Records officers and SMEs can trust (issue 15, findings 2 and 3): what was submitted stays
submitted, every change after submission is a version officers are told about and can see
beside the original, and `dips eoi show` prints it all."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from handlers.app import build_core, seed_catalogue
from handlers.domain.export import eoi_csv, eoi_record
from storage import eois, versions
from storage.models import Delivery
from storage.people import set_role
from tests.conftest import Chat
from tests.test_cli import run
from tests.test_eoi_flow import SUMMARY, complete_eoi

OTHER = "planning-consultation"
NEW_PROPOSAL = "A completely different idea: drone deliveries of parcels across the city centre."


@pytest.fixture
async def core(store):
    await seed_catalogue(store)
    return build_core(store, with_faq=False, with_matching=False)


async def officer_notices(store) -> list[Delivery]:
    async with store.session() as session:
        return list(await session.scalars(
            select(Delivery).where(Delivery.kind == "eoi_version").order_by(Delivery.id)))


async def records(store) -> dict[str, dict]:
    async with store.session() as session:
        return {e.reference: eoi_record(e) for e in await eois.list_eois(session)}


async def second_eoi_with_new_details(chat: Chat, apply: str) -> None:
    """Register on a second challenge, pressing "Update them" for new contact, no website."""
    await chat.send(f"/interest {OTHER}")
    await chat.press_label("Update them")
    for answer in ("Acme Food Tech Ltd", "12", "UK", "Birmingham", "skip", "Bob Jones",
                   "bob@acme.example.com", "An accessible online planning consultation with maps."):
        await chat.send(answer)
    await chat.press("f:confirm:submit")
    assert "other expressions of interest still open" in chat.text and "EOI-000001" in chat.text
    await chat.press(f"f:apply:{apply}")
    assert "Your reference: EOI-000002" in chat.text


async def test_new_details_for_a_second_eoi_leave_the_first_as_submitted(core, store):
    """Finding 3: "Update them" for a new EOI no longer rewrites the earlier one (default no)."""
    chat = Chat(core)
    await complete_eoi(chat)
    await second_eoi_with_new_details(chat, "no")
    rows = await records(store)
    first, second = rows["EOI-000001"], rows["EOI-000002"]
    assert (first["contact_name"], first["contact_email"], first["website"]) == (
        "Jane Smith", "jane@acme.example.com", "https://acme.example.com")
    assert (second["contact_name"], second["contact_email"], second["website"]) == (
        "Bob Jones", "bob@acme.example.com", None)
    async with store.session() as session:
        exported = list(csv.DictReader(io.StringIO(
            eoi_csv(await eois.list_eois(session)).decode())))
    assert exported[0]["contact_email"] == "jane@acme.example.com"
    assert exported[0]["website"] == "https://acme.example.com"
    await chat.send("/my 1")
    assert "Jane Smith, jane@acme.example.com" in chat.text
    assert await officer_notices(store) == []  # nothing changed on the first: nothing to tell
    async with store.session() as session:  # officers see it as submitted too
        await set_role(session, "console", "officer-1", "officer")
    officer = Chat(core, user="officer-1")
    await officer.send("/dips eoi 1")
    assert "Jane Smith, jane@acme.example.com" in officer.text and "Bob Jones" not in officer.text
    assert "acme.example.com" in officer.text


async def test_new_details_applied_to_other_open_eois_when_the_sme_says_so(core, store):
    chat = Chat(core)
    await complete_eoi(chat)
    await second_eoi_with_new_details(chat, "yes")
    first = (await records(store))["EOI-000001"]
    assert (first["contact_email"], first["website"], first["version"]) == (
        "bob@acme.example.com", None, 2)
    async with store.session() as session:
        kept = await versions.versions(session, 1)
    assert [(v.number, v.kind, v.contact_email) for v in kept] == [
        (1, "submitted", "jane@acme.example.com"), (2, "details", "bob@acme.example.com")]
    [notice] = await officer_notices(store)
    assert "EOI-000001" in notice.payload["text"] and "bob@acme.example.com" in notice.payload["text"]


async def test_a_profile_without_other_open_eois_asks_nothing(core, store):
    chat = Chat(core)
    await complete_eoi(chat)
    await chat.press("wd:1")
    await chat.press("wdy:1")
    await chat.send(f"/interest {OTHER}")
    await chat.press_label("Update them")
    for answer in ("Acme Food Tech Ltd", "12", "UK", "Birmingham", "skip", "Bob Jones",
                   "bob@acme.example.com", "An accessible online planning consultation with maps."):
        await chat.send(answer)
    await chat.press("f:confirm:submit")
    assert "Your reference: EOI-000002" in chat.text


async def move_to_exploration(store, eoi_id: int = 1) -> None:
    async with store.session() as session:
        eoi = await eois.get_eoi(session, eoi_id)
        await eois.change_stage(session, eoi, "exploration", "slack:O1")


async def test_an_edit_after_exploration_is_an_amendment_beside_the_original(core, store):
    """Finding 2: a shortlisted proposal can't be rewritten without a trace."""
    chat = Chat(core)
    await complete_eoi(chat)
    await move_to_exploration(store)
    await chat.press("my:1")
    await chat.press_label("Edit proposal")
    assert "amendment" in chat.text
    await chat.send(NEW_PROPOSAL)
    assert "amendment to EOI-000001 is version 2" in chat.text
    async with store.session() as session:
        kept = await versions.versions(session, 1)
    assert [(v.number, v.kind, v.stage, v.summary) for v in kept] == [
        (1, "submitted", "submitted", SUMMARY), (2, "amendment", "exploration", NEW_PROPOSAL)]
    # The officers are told, through the delivery queue, with the original beside it.
    [notice] = await officer_notices(store)
    assert notice.chat_id and notice.platform == "slack" and notice.status == "pending"
    assert SUMMARY in notice.payload["text"] and NEW_PROPOSAL in notice.payload["text"]
    assert "amendment" in notice.payload["text"]
    # An officer sees both, side by side.
    officer = Chat(core, user="officer1")
    async with store.session() as session:
        await set_role(session, "console", "officer1", "officer")
    await officer.send("/dips versions EOI-000001")
    assert SUMMARY in officer.text and NEW_PROPOSAL in officer.text
    assert "Version 1, as submitted" in officer.text and "Version 2, amendment" in officer.text
    sme = Chat(core, user="sme-nosy")
    await sme.send("/dips versions 1")
    assert SUMMARY not in sme.text


async def test_an_edit_before_assessment_is_a_new_version_too(core, store):
    chat = Chat(core)
    await complete_eoi(chat)
    await chat.press("my:1")
    await chat.press_label("Edit proposal")
    await chat.send(NEW_PROPOSAL)
    assert "Updated EOI-000001: this is version 2" in chat.text
    [notice] = await officer_notices(store)
    assert NEW_PROPOSAL in notice.payload["text"] and "edited" in notice.payload["text"]
    assert (await records(store))["EOI-000001"]["summary"] == NEW_PROPOSAL


async def test_dips_eoi_show_prints_snapshot_versions_and_history(core, store, db_url):
    chat = Chat(core, user="sme-show", platform="telegram")
    await complete_eoi(chat)
    await move_to_exploration(store)
    await chat.press("my:1")
    await chat.press_label("Edit proposal")
    await chat.send(NEW_PROPOSAL)
    await second_eoi_with_new_details(chat, "no")

    shown = run(["eoi", "show", "EOI-000001", "--json"], db_url)
    assert shown.returncode == 0, shown.stderr
    detail = json.loads(shown.stdout)
    assert detail["reference"] == "EOI-000001" and detail["stage"] == "exploration"
    assert detail["submitted"]["summary"] == SUMMARY
    assert detail["submitted"]["contact_email"] == "jane@acme.example.com"
    assert [(v["number"], v["kind"]) for v in detail["versions"]] == [(1, "submitted"),
                                                                      (2, "amendment")]
    assert [(h["event"], h.get("to"), h.get("kind"), h["by"]) for h in detail["history"]] == [
        ("stage", "submitted", None, "telegram:sme-show"),
        ("version", None, "submitted", "telegram:sme-show"),
        ("stage", "exploration", None, "slack:O1"),
        ("version", None, "amendment", "telegram:sme-show")]
    text = run(["eoi", "show", "1"], db_url)
    assert text.returncode == 0 and "Version 2 (amendment" in text.stdout
    assert SUMMARY in text.stdout and "submitted -> exploration  by slack:O1" in text.stdout
    missing = run(["eoi", "show", "EOI-000099"], db_url)
    assert missing.returncode == 1 and "no expression of interest" in missing.stderr
    listing = run(["eoi", "list", "--json"], db_url)
    first = json.loads(listing.stdout.splitlines()[0])
    assert first["contact_email"] == "jane@acme.example.com"  # as submitted, not the profile


async def test_slack_officers_channel_shows_the_amendment_beside_the_original(core, store):
    """Finding 2 on Slack: the worker posts the amendment notice to the officers' channel."""
    from bot.slack.adapter import SlackAdapter
    from bot.slack.worker import SlackWorker
    from tests.fake_slack import FakeSlack
    from tests.test_slack import CHANNEL, slack_settings

    chat = Chat(core)
    await complete_eoi(chat)
    await move_to_exploration(store)
    await chat.press("my:1")
    await chat.press_label("Edit proposal")
    await chat.send(NEW_PROPOSAL)
    fake = await FakeSlack().start()
    try:
        settings = slack_settings(fake)
        worker = SlackWorker(core, settings, SlackAdapter(core, settings).client, per_channel=0.0)
        assert await worker.drain_once() == 2  # the new EOI, then its amendment
        posted = [json.dumps(p, ensure_ascii=False) for p in fake.calls_to("chat.postMessage")]
    finally:
        await fake.stop()
    [amendment] = [p for p in posted if "amendment" in p]
    assert all(json.loads(p)["channel"] == CHANNEL for p in posted)
    assert SUMMARY in amendment and NEW_PROPOSAL in amendment and '"evv:1"' in amendment
    assert [d.status for d in await officer_notices(store)] == ["sent"]
