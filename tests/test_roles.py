"""Every command against every role: the permission table is what the core enforces."""

from __future__ import annotations

import pytest

from handlers.app import build_core, seed_catalogue
from handlers.kernel.core import Core
from handlers.kernel.roles import PERMISSIONS, ROLES_IN_ORDER
from storage.people import set_role
from tests.conftest import Chat

REFUSED = "only available to"


def _bare_core() -> Core:
    """A core with every feature's handlers registered, without needing a store."""
    core = Core.__new__(Core)
    core.commands, core.buttons, core.flows, core.prompts, core.offers = {}, {}, {}, {}, {}
    core.reads_stop_words = set()
    from handlers import register

    register(core)
    return core


def _registered() -> list[str]:
    return sorted(_bare_core().commands)


def test_every_command_has_a_permission_row_and_every_row_a_command():
    assert set(_registered()) == set(PERMISSIONS)


@pytest.mark.parametrize("role", ROLES_IN_ORDER)
@pytest.mark.parametrize("command", _registered())
async def test_command_is_refused_exactly_for_roles_without_permission(store, command, role):
    await seed_catalogue(store)
    async with store.session() as session:
        await set_role(session, "console", f"user-{role}", role)
    chat = Chat(build_core(store, with_faq=False, with_matching=False), user=f"user-{role}")
    await chat.send(f"/{command}")
    refused = REFUSED in chat.text
    assert refused == (role not in PERMISSIONS[command]), chat.text
    assert "went wrong" not in chat.text


def _buttons() -> dict[str, str]:
    return {prefix: permission for prefix, (_, permission) in _bare_core().buttons.items()}


@pytest.mark.parametrize("prefix", sorted(p for p, perm in _buttons().items()
                                          if perm not in ("menu",)))
async def test_restricted_buttons_are_refused_to_smes(store, prefix):
    assert _buttons()[prefix] in PERMISSIONS
    await seed_catalogue(store)
    chat = Chat(build_core(store, with_faq=False, with_matching=False))
    await chat.press(f"{prefix}:1:exploration")
    assert REFUSED in chat.text


@pytest.mark.parametrize("role", ROLES_IN_ORDER)
async def test_every_dips_subcommand_is_refused_exactly_where_the_table_says(store, role):
    from handlers.officer.commands import SUBCOMMANDS

    await seed_catalogue(store)
    async with store.session() as session:
        await set_role(session, "console", f"user-{role}", role)
    chat = Chat(build_core(store, with_faq=False, with_matching=False), user=f"user-{role}")
    for sub, (_, permission) in SUBCOMMANDS.items():
        await chat.send(f"/dips {sub}")
        may = role in PERMISSIONS["dips"] and role in PERMISSIONS[permission]
        assert (REFUSED not in chat.text) == may, (sub, role, chat.text)
        assert "went wrong" not in chat.text
