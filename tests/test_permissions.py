"""Permissions are checked on the action, never on the way in.

Every registered command and every registered button kind is forged by each role, with
plausible arguments (another user's EOI and case ids included); only the roles the roles table
names get past it. The table and the registry must list the same actions.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import func, select

from handlers.app import build_core, routers, seed_catalogue
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.core import KERNEL, Core
from handlers.kernel.roles import PERMISSIONS, ROLES_IN_ORDER, allowed
from handlers.kernel.router import DIPS, Registry
from handlers.sme.buttons import MenuPick
from storage.models import CaseMessage, Delivery
from storage.people import set_role
from storage.store import Store
from tests.conftest import Chat

REFUSED = "only available to"
REGISTRY = Registry([KERNEL, *routers()])
# A plausible value for every field name a button kind declares: the ids are another SME's.
SAMPLES: dict[str, Any] = {
    "eoi_id": 1, "case_id": 1, "challenge_id": 1, "page": 0, "ref": "food-hubs",
    "target": "exploration@submitted", "code": "m", "faq_id": "x", "step": "send",
    "value": "yes.0000", "since": "", "until": "", "answer": "no", "move_id": 1, "change_id": 1,
    "item": 1, "workshop_id": 1, "invite_id": 1,
    "language": "en",  # forged by every role: English, so the refusals stay readable here
    "listing_id": 1, "intro_id": 1,
    "lang": "en",
    "mode": "weekly",
}


def forged(kind: type[CallbackData]) -> str:
    values = {f.name: SAMPLES[f.name] for f in dataclasses.fields(kind)}  # type: ignore[arg-type]
    return kind(**values).pack()


def test_the_table_and_the_registry_list_the_same_actions() -> None:
    assert REGISTRY.actions() == set(PERMISSIONS)


def test_every_button_kind_has_a_sample_for_each_field() -> None:
    for route in REGISTRY.buttons.values():
        assert forged(route.kind).startswith(route.kind.prefix + ":")


async def _as(store: Store, role: str, core: Core | None = None) -> Chat:
    async with store.session() as session:
        await set_role(session, "console", f"user-{role}", role)
    return Chat(core or build_core(store, with_faq=False, with_matching=False), user=f"user-{role}")


async def _someone_elses_eoi_and_case(core: Core) -> None:
    """An SME registers EOI-000001 and asks a question (case #1): what others must not see."""
    sme = Chat(core, user="other-sme")
    for line in ("/interest food-hubs", "Other Org Ltd", "5", "United Kingdom", "Birmingham",
                 "skip", "Olive Other", "olive@other.example", "Our secret proposal for food hubs",
                 "yes"):
        await sme.send(line)
    await sme.press_label("Submit")
    assert "EOI-000001" in sme.text
    await sme.send("/human is there any funding for secret projects?")


@pytest.mark.parametrize("role", ROLES_IN_ORDER)
async def test_every_command_is_refused_exactly_where_the_table_says(store: Store, role: str) -> None:
    await seed_catalogue(store)
    chat = await _as(store, role)
    for (namespace, name), command in sorted(REGISTRY.commands.items()):
        await chat.send(f"/{namespace} {name}" if namespace else f"/{name}")
        may = allowed(role, command.action) and (namespace != DIPS or allowed(role, "dips"))
        assert (REFUSED not in chat.text) == may, (command.spelled, role, chat.text)
        assert "went wrong" not in chat.text
        await chat.send("/cancel")  # leave no flow open for the next one


@pytest.mark.parametrize("role", ROLES_IN_ORDER)
async def test_every_button_kind_is_refused_exactly_where_the_table_says(store: Store, role: str) -> None:
    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    await _someone_elses_eoi_and_case(core)
    chat = await _as(store, role, core)
    for prefix, route in sorted(REGISTRY.buttons.items()):
        await chat.press(forged(route.kind))
        assert (REFUSED not in chat.text) == allowed(role, route.action), (prefix, role, chat.text)
        assert "went wrong" not in chat.text
        await chat.send("/cancel")


@pytest.mark.parametrize("role", ROLES_IN_ORDER)
@pytest.mark.parametrize("target", ["eois", "questions", "find", "subscribe", "human", "ask", ""])
async def test_a_menu_entry_needs_the_permission_of_what_it_runs(store: Store, role: str,
                                                                 target: str) -> None:
    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    await _someone_elses_eoi_and_case(core)
    chat = await _as(store, role, core)
    await chat.press(MenuPick(target).pack())
    may = allowed(role, target) if target in PERMISSIONS else True
    assert (REFUSED not in chat.text) == may, chat.text
    if not may:  # nothing of the other SME's leaks
        assert "EOI-000001" not in chat.text and "Other Org" not in chat.text
        assert "secret" not in chat.text


async def test_forged_menu_eois_and_questions_leak_nothing_to_an_sme(store: Store) -> None:
    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    await _someone_elses_eoi_and_case(core)
    intruder = Chat(core, user="intruder")
    for data in ("menu:eois", "menu:questions", "oe:1", "csd:1", "och:food-hubs", "exp:",
                 "imp::", "stg:1:exploration@submitted", "bca:a:1", "bcy:a:1"):
        await intruder.press(data)
        assert REFUSED in intruder.text, (data, intruder.text)
        assert "Other Org" not in intruder.text and "secret" not in intruder.text, data
        assert all(r.attachment is None for r in intruder.replies), data


async def test_a_revoked_officer_is_stopped_in_the_middle_of_a_flow(store: Store) -> None:
    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    await _someone_elses_eoi_and_case(core)
    officer = await _as(store, "officer", core)
    await officer.press("csa:1")
    assert "Type your answer to case #1" in officer.text
    async with store.session() as session:
        await set_role(session, "console", "user-officer", "sme")  # dips roles revoke
        before = await session.scalar(select(func.count()).select_from(Delivery))
    await officer.send("Yes, there is funding for that, here are the details.")
    assert REFUSED in officer.text
    async with store.session() as session:
        assert await session.scalar(select(func.count()).select_from(CaseMessage)
                                    .where(CaseMessage.author == "officer")) == 0
        assert await session.scalar(select(func.count()).select_from(Delivery)) == before
    await officer.send("/dips eois")
    assert REFUSED in officer.text


async def test_a_granted_role_works_at_once(store: Store) -> None:
    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    await _someone_elses_eoi_and_case(core)
    chat = Chat(core, user="new-officer")
    await chat.press("menu:eois")
    assert REFUSED in chat.text
    async with store.session() as session:
        await set_role(session, "console", "new-officer", "officer")
    await chat.press("menu:eois")
    assert "EOI-000001" in chat.text


@pytest.mark.parametrize("data", ["", ":", "my:abc", "my:-1", "my:1:2", "stg:x:y", "csc:",
                                  "nope:1", "f", "x" * 80, "my:\u00b2", "menu:eois\x00"])
async def test_malformed_button_data_gets_the_expired_reply(store: Store, data: str) -> None:
    await seed_catalogue(store)
    chat = Chat(build_core(store, with_faq=False, with_matching=False))
    await chat.press(data)
    assert "expired" in chat.text and "went wrong" not in chat.text


async def test_an_officer_of_another_department_is_refused_every_forged_eoi_press(
        store: Store) -> None:
    from storage.departments import set_departments

    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    await _someone_elses_eoi_and_case(core)  # EOI-000001 on food-hubs (Public Health Food Team)
    async with store.session() as session:
        identity = await set_role(session, "console", "planner", "officer")
        await set_departments(session, identity.id, ["Planning and Development"])
    chat = Chat(core, user="planner")
    for data in ("oe:1", "evv:1", "stg:1:exploration@submitted", "asx:1", "fbr:1:1", "fbs:1"):
        await chat.press(data)
        assert "outside your departments" in chat.text, (data, chat.text)
        assert "Other Org" not in chat.text and "secret" not in chat.text, data
    for line in ("/dips eoi 1", "/dips score 1 fit=5 innovation=5 feasibility=5 team=5 social=5",
                 "/dips feedback 1", "/dips stage 1 exploration"):
        await chat.send(line)
        assert "outside your departments" in chat.text, (line, chat.text)


async def test_nobody_approves_their_own_draft(store: Store) -> None:
    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    author = await _as(store, "admin", core)
    await author.send("/dips draft title: Own\ndepartment: Planning\nsummary: S\ntags: a")
    await author.send("/dips submit own")
    for forged in ("/dips approve own", "/dips sendback own no"):
        await author.send(forged)
        assert "someone else must approve" in author.text
    await author.press("dra:own")
    assert "someone else must approve" in author.text
