"""Hostile or odd input and faults at the core: odd display names, dropped connections,
flooding the officers, spelled-out contact details, look-alike spreadsheet formulas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from handlers.app import build_core, seed_catalogue
from handlers.kernel.core import FAILED, UNAVAILABLE, Core, connection_lost
from handlers.kernel.messages import Incoming, Reply, Speaker
from storage.models import Delivery, Identity, Question
from storage.store import Store
from tests.conftest import Chat

ODD = "Sam\x00 Smith\u202e evil\ud800"


def odd_chat(core: Core) -> Chat:
    chat = Chat(core, user="odd")
    chat.speaker = Speaker("telegram", "odd", chat_id="odd", display_name=ODD)
    return chat


async def test_an_odd_display_name_never_breaks_a_user(store: Store) -> None:
    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    chat = odd_chat(core)
    for line in ("/start", "/my", "/human who can help with a partner site?"):
        await chat.send(line)
        assert FAILED not in chat.text, line
    async with store.session() as session:
        identity = await session.scalar(select(Identity).where(Identity.external_id == "odd"))
        notice = await session.scalar(select(Delivery).where(Delivery.kind == "case"))
    assert identity is not None and identity.display_name == "Sam Smith evil"
    assert notice is not None and "From: Sam Smith evil" in notice.payload["text"]
    assert "\u202e" not in notice.payload["text"] and "\x00" not in notice.payload["text"]


class Dropping(Core):
    """A core whose store connection drops `drops` times, as in a connection cut."""

    def __init__(self, *args: Any, drops: int, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.drops = drops

    async def _handle_once(self, message: Incoming) -> list[Reply]:
        if self.drops:
            self.drops -= 1
            raise DBAPIError("SELECT 1", {}, Exception("connection was closed in the middle of "
                                                      "operation"))
        return await super()._handle_once(message)


@pytest.mark.parametrize(("drops", "expect"), [(1, "Welcome"), (2, UNAVAILABLE), (5, UNAVAILABLE)])
async def test_a_dropped_connection_is_retried_then_temporarily_unavailable(
        store: Store, drops: int, expect: str) -> None:
    from handlers.app import routers

    await seed_catalogue(store)
    chat = Chat(Dropping(store, routers=routers(), drops=drops))
    await chat.send("/start")
    assert expect in chat.text and FAILED not in chat.text


def test_connection_errors_are_told_from_real_faults() -> None:
    closed = DBAPIError("x", {}, Exception("connection was closed in the middle of operation"))
    assert connection_lost(closed)
    assert connection_lost(ConnectionResetError()) and connection_lost(TimeoutError())
    assert not connection_lost(DBAPIError("x", {}, Exception('column "nope" does not exist')))


@pytest.mark.parametrize(("said", "gone"), [
    ("write to sam dot smith at acme dot co dot uk please", "smith"),
    ("mail jo (at) firm [dot] org", "firm"),
    ("see www dot acme-sensors dot com", "acme-sensors"),
    ("we are at acme dot io", "acme"),
])
def test_spelled_out_contact_details_are_anonymised(said: str, gone: str) -> None:
    from handlers.domain.anonymise import Asker, anonymise

    assert gone not in anonymise(said, Asker()).lower()


async def test_a_clarification_is_previewed_and_spelled_out_details_never_published(
        store: Store) -> None:
    from tests.test_cases import Sme, published_case, rows

    core, alice = await published_case(store)
    await Sme(core, "sme2", "1002", "Kai").send(
        "/human On food-hubs: can we bid? reach me at kai dot tamm at tartu dot ee")
    await alice.send("/dips answer 2 Yes.")
    await alice.send("/dips clarify 2")
    assert "tartu dot ee" not in alice.text and "[email]" in alice.text  # the preview
    assert not await rows(store, kind="clarification")
    await alice.press_label("Confirm")
    assert await rows(store, kind="clarification")
    assert all("tartu dot ee" not in str(r.payload) for r in await rows(store, kind="clarification"))


@pytest.mark.parametrize("cell", ["=1+1", "\uff1dHYPERLINK(\"x\")", "\ufe66cmd", "\uff0b1", "\uff201",
                                  "-2", "@SUM(A1)", "\tx"])
def test_formula_look_alikes_are_neutralised(cell: str) -> None:
    from handlers.domain.export import csv_safe

    assert csv_safe(cell) == "'" + cell
    assert csv_safe("Gävle food hub") == "Gävle food hub"


async def test_after_forget_the_sqlite_file_and_its_log_hold_no_word_of_the_sme(store: Store) -> None:
    from tests.test_eoi_flow import complete_eoi
    from tests.test_privacy import PERSONAL, every_value

    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    chat = Chat(core, user="sme-forget-1", platform="telegram")
    await complete_eoi(chat)
    await chat.send("/human secret question about my bid")
    await chat.send("/forget")
    await chat.press_label("Yes, erase")
    assert "erased" in chat.text
    values = " ".join(await every_value(store))
    assert not [p for p in PERSONAL if p in values]
    if store.dialect == "sqlite":  # the bytes on disk too: the file, and its write-ahead log
        path = Path(str(store.engine.url.database))
        raw = b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal"))
                       if p.exists())
        assert not [p for p in PERSONAL if p.encode() in raw]


async def test_officers_are_not_flooded_by_one_sme(store: Store) -> None:
    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    chat = Chat(core, user="flooder", platform="telegram")
    for _ in range(3):  # the same question again and again is filed once
        await chat.send("/human can someone call me about the food hubs call?")
    assert "already passed that question" in chat.text
    for i in range(40):
        await chat.send(f"/human question number {i} about something else")
    assert "several questions" in chat.text and FAILED not in chat.text
    async with store.session() as session:
        cases = (await session.execute(select(func.count()).select_from(Question))).scalar_one()
        notices = (await session.execute(select(func.count()).select_from(Delivery)
                                         .where(Delivery.kind == "case"))).scalar_one()
    assert cases == notices == 5
    other = Chat(core, user="someone-else", platform="telegram")
    await other.send("/human a question of my own")
    assert "passed it to a DIPS officer" in other.text
