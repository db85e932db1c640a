"""Forged staff actions through the real adapters: Telegram clients can send any callback
data and Bolt passes any action a request carries, so the kernel's check must hold there too."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.slack.render import BUTTON_ACTION, CASE_ACTION, NOTE_ACTION
from storage import people
from storage.store import Store
from tests.fake_slack import action_body, view_submission_body
from tests.fake_telegram import FakeTelegram
from tests.test_impact import seed
from tests.test_slack import Harness as SlackHarness
from tests.test_slack import (
    fake,  # noqa: F401 (fixture)
    slack,  # noqa: F401 (fixture)
)
from tests.test_telegram import USER, Harness, make_core, open_ref, start_bot, walk_eoi

REFUSED = "only available to"
INTRUDER = 777
STAFF_PRESSES = ["menu:eois", "menu:questions", "oe:1", "och:food-hubs", "exp:", "imp::",
                 "stg:1:exploration@submitted", "csc:1", "csa:1", "csd:1", "csx:1", "csp:1",
                 "cspy:1", "bca:a:1", "bcy:a:1"]


@pytest.fixture
async def tg_fake() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram().start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(tg_fake: FakeTelegram, store: Store) -> AsyncIterator[Harness]:
    harness = await start_bot(tg_fake, make_core(store))
    yield harness
    await harness.adapter.stop()


async def test_forged_staff_buttons_on_telegram_are_refused(bot: Harness, store: Store) -> None:
    ref = await open_ref(store)
    assert "EOI-000001" in await walk_eoi(bot, ref)  # Acme Sensors Ltd's EOI
    await bot.say("/human who decides which proposals go forward?")
    for data in STAFF_PRESSES:
        text = await bot.press_data(data, user=INTRUDER)
        assert REFUSED in text, (data, text)
        assert "Acme" not in text and "EOI-000001" not in text, (data, text)
    # the same presses from the SME who owns the EOI are refused as well: SMEs are not staff
    text = await bot.press_data("menu:eois", user=USER)
    assert REFUSED in text and "Acme" not in text


async def test_forged_staff_actions_on_slack_are_refused_without_a_role(
        slack: SlackHarness, store: Store) -> None:  # noqa: F811
    await seed(store)
    url = slack.fake.response_url("forged")
    for data in STAFF_PRESSES:
        for action_id in (f"{BUTTON_ACTION}0", f"{CASE_ACTION}0", f"{NOTE_ACTION}0"):
            before = len(slack.fake.responses)
            await slack.post(action_body(data, action_id=action_id, user="UNOBODY", response_url=url))
            said = json.dumps(await slack.fake.wait_for(
                lambda b=before: slack.fake.responses[b:]), ensure_ascii=False)
            assert REFUSED in said, (data, action_id, said)
            assert "Genova" not in said and "EOI-0000" not in said, (data, said)
    assert not [f for f in slack.fake.files()], "no export reached anyone"
    assert "only available to council officers" in await slack.dips("eois", user="UNOBODY")


async def test_a_revoked_slack_officer_is_refused_at_once(slack: SlackHarness, store: Store) -> None:  # noqa: F811
    await seed(store)
    async with store.session() as session:
        await people.set_role(session, "slack", "UOFF2", "officer")
    assert "Genova" in await slack.dips("eois", user="UOFF2")
    async with store.session() as session:
        await people.set_role(session, "slack", "UOFF2", "sme")
    said = await slack.dips("eois", user="UOFF2")
    assert REFUSED in said and "Genova" not in said


async def test_forged_presses_from_another_departments_slack_officer_are_refused(
        slack: SlackHarness, store: Store) -> None:  # noqa: F811
    from storage.departments import set_departments

    ids = await seed(store)
    async with store.session() as session:
        identity = await people.set_role(session, "slack", "UENV", "officer")
        await set_departments(session, identity.id, ["Environment"])
    eoi = ids["food-hubs/2"]  # a Public Health challenge's EOI
    url = slack.fake.response_url("dept")
    for data in (f"oe:{eoi}", f"stg:{eoi}:exploration@submitted", f"asx:{eoi}", f"fbs:{eoi}"):
        for action_id in (f"{BUTTON_ACTION}0", f"{NOTE_ACTION}0", "dips_form_0"):
            if data.startswith("stg:") and action_id.startswith(NOTE_ACTION):
                continue  # the note form opens (it shows nothing); its submission: below
            before = len(slack.fake.responses)
            await slack.post(action_body(data, action_id=action_id, user="UENV", response_url=url))
            said = json.dumps(await slack.fake.wait_for(
                lambda b=before: slack.fake.responses[b:]), ensure_ascii=False)
            assert "outside your departments" in said, (data, action_id, said)
    assert not slack.fake.calls_to("views.open")
    assert "outside your departments" in await slack.dips(f"eoi {eoi}", user="UENV")
    metadata = json.dumps({"c": None, "u": "UENV", "b": f"stg:{eoi}:exploration@submitted"})
    await slack.post(view_submission_body(metadata, "forged", user="UENV"))
    await slack.fake.wait_for(lambda: [c for c in slack.fake.calls_to("chat.postMessage")
                                       if "outside your departments" in json.dumps(c)])
