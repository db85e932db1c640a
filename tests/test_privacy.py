"""Personal data rights: the export, erasure that leaves no trace, and retention purges."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from handlers.app import build_core, seed_catalogue
from handlers.domain.impact import build_report
from storage.models import Base, Question, utcnow
from storage.privacy import stale_identities
from tests.conftest import Chat
from tests.test_eoi_flow import complete_eoi

PERSONAL = ("Acme Food Tech Ltd", "jane@acme.example.com", "Jane Smith", "acme.example.com",
            "neighbourhood ordering app", "sme-forget-1", "secret question about my bid")


@pytest.fixture
async def core(store):
    await seed_catalogue(store)
    return build_core(store)


async def impact_counts(store) -> dict:
    """What `dips impact` reports, over all time."""
    async with store.session() as session:
        return (await build_report(session, None, None)).to_dict()


async def every_value(store) -> list[str]:
    values: list[str] = []
    async with store.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(text(f"SELECT * FROM {table.name}"))).all():
                values += [str(v) for v in row]
    return values


async def test_mydata_sends_everything_as_json(core):
    chat = Chat(core, user="sme-forget-1", platform="telegram")
    await complete_eoi(chat)
    await chat.send("/mydata")
    attachment = chat.replies[0].attachment
    assert attachment.filename.endswith(".json")
    data = json.loads(attachment.content)
    assert data["contacts"][0]["email"] == "jane@acme.example.com"
    assert data["expressions_of_interest"][0]["stage"] == "submitted"
    assert data["consents"] and data["identity"]["external_id"] == "sme-forget-1"


async def test_forget_erases_every_personal_value_but_keeps_the_counts(core, store):
    chat = Chat(core, user="sme-forget-1", platform="telegram")
    await complete_eoi(chat)
    await chat.send("/subscribe food, urban farming")
    await chat.send("/human secret question about my bid")
    other = Chat(core, user="sme-2", platform="telegram")  # another SME must be untouched
    await other.send("/interest planning-consultation")
    await other.send("Other Ltd")
    before = await impact_counts(store)
    assert before["smes_engaged"] == 1 and before["eois"] == 1
    assert any(p in v for v in await every_value(store) for p in PERSONAL)

    await chat.send("/forget")
    assert await impact_counts(store) == before  # nothing happens before confirmation
    await chat.press("forget:yes")
    assert "erased" in chat.text

    leftovers = [(p, v) for v in await every_value(store) for p in PERSONAL if p in v]
    assert leftovers == []
    assert await impact_counts(store) == before
    assert "Other Ltd" in " ".join(await every_value(store))
    await chat.send("/my")  # a new, empty identity
    assert "haven't registered" in chat.text


async def test_stale_identities_for_retention_purge(core, store):
    await complete_eoi(Chat(core, user="old"))
    await Chat(core, user="idle").send("/help")
    async with store.session() as session:
        assert await stale_identities(session, utcnow() - timedelta(days=1)) == []
        stale = await stale_identities(session, utcnow() + timedelta(days=1))
        assert sorted(i.external_id for i in stale) == ["idle", "old"]


async def test_privacy_notice_is_shown(core):
    chat = Chat(core)
    await chat.send("/privacy")
    assert "What we keep" in chat.text and "/forget" in chat.text


async def test_privacy_notice_can_be_read_before_consenting(core):
    from tests.test_eoi_flow import fill_profile

    chat = Chat(core)
    await fill_profile(chat)
    await chat.press_label("privacy notice")
    assert "What we keep" in chat.text and "Do you agree?" in chat.text
    await chat.press("f:consent:yes")
    assert "Please check" in chat.text


async def test_numbers_of_erased_eois_and_cases_are_never_given_again(core, store):
    """An erased SME's EOI and case numbers stay theirs: old messages and buttons carry them."""
    from tests.test_eoi_flow import complete_eoi

    first = Chat(core, user="sme-keep", platform="telegram")
    assert await complete_eoi(first) == "EOI-000001"
    leaving = Chat(core, user="sme-leave", platform="telegram")
    assert await complete_eoi(leaving) == "EOI-000002"
    await leaving.send("/human Can we bid with a partner?")
    await leaving.send("/forget")
    await leaving.press("forget:yes")
    later = Chat(core, user="sme-later", platform="telegram")
    assert await complete_eoi(later) == "EOI-000003"
    await later.send("/human Is there a budget cap?")
    async with store.session() as session:
        [case] = list(await session.scalars(select(Question)))
    assert case.id == 2
