"""Hostile input at every step of every flow (hypothesis): no exception escapes, state stays
valid, nothing is half-written, and whatever comes back renders literally on both platforms."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.slack import render as slack_render
from bot.telegram import render as telegram_render
from handlers.app import build_core, seed_catalogue
from handlers.kernel.core import FAILED, Core
from handlers.kernel.messages import Incoming, Reply, Speaker
from storage.conversations import load_state
from storage.models import ConversationState, Eoi, Organisation
from storage.people import ensure_identity
from storage.store import Store
from tests.conftest import database_url, fresh_store
from tests.test_eoi_flow import complete_eoi

EXAMPLES = 1000
NASTY = [
    "", " ", "\n\n\n", "\x00", "\u202e\u202dRTL override", "\u200f\u200e", "\ufeff", "🙂" * 500,
    "<b>bold</b> <script>alert(1)</script> &amp; &lt;", "*bold* _it_ `code` ~x~ <@U123> <!channel>",
    "'; DROP TABLE eois; --", "1 OR 1=1", "{{7*7}} ${7*7} {% raw %} %s %(x)s {0}",
    "a" * 10_000, "é" * 3000, "\ud800" if False else "\U0010ffff", "\r\n\t\x0b\x0c",
    "/cancel", "/interest food-hubs", "f:confirm:submit", "yes", "no", "1", "-1", "99999999999999",
    "jane@example.com", "https://example.com/" + "x" * 400, "large", "5000 staff", "skip",
]
hostile = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=300),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=8), st.integers(0, 1500)),
    st.lists(st.sampled_from(NASTY), max_size=4).map(" ".join),
)

SME = Speaker("telegram", "hostile-sme", chat_id="hostile-sme")
VALID_DATA = {
    "ref": "food-hubs", "title": "Sustainable food hubs in local communities",
    "org": {"name": "Acme Ltd", "size_band": "small", "country": "United Kingdom",
            "city": "Birmingham", "website": None},
    "contact": {"name": "Jane Smith", "email": "jane@example.com"},
    "summary": "A neighbourhood ordering app linking growers with food hubs.",
    "consent": "2026-11-v1", "eoi_id": 1,
}


class Harness:
    """One store and core for all examples of a test, driven from hypothesis' sync world."""

    def __init__(self, tmp: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.store: Store = self.run(fresh_store(database_url(tmp)))
        self.run(seed_catalogue(self.store))
        self.core: Core = build_core(self.store)
        self.run(complete_eoi(_Chat(self.core)))  # EOI 1 belongs to the hostile SME
        self.flows = {name: sorted(s.name for s in flow.steps)
                      for name, flow in self.core.registry.flows.items()}

    def run(self, coro):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coro)

    async def put_state(self, flow: str | None, step: str | None) -> tuple[int, int]:
        """Put the SME at `step` of `flow` and return the row counts before the message."""
        async with self.store.session() as session:
            identity = await ensure_identity(session, SME.platform, SME.user_id, SME.chat_id)
            state = await load_state(session, identity.id)
            if state is not None:
                await session.delete(state)
                await session.flush()
            if flow is not None:
                session.add(ConversationState(identity_id=identity.id, flow=flow, step=step,
                                              data=json.loads(json.dumps(VALID_DATA)), version=1))
            return await counts(session)

    async def check(self, flow: str | None, step: str | None, message: Incoming) -> None:
        before = await self.put_state(flow, step)
        replies = await self.core.handle(message)
        assert replies, "every message gets an answer"
        assert all(FAILED not in r.text for r in replies), replies
        for reply in replies:
            assert_renders_literally(reply)
        async with self.store.session() as session:
            identity = await ensure_identity(session, SME.platform, SME.user_id)
            state = await load_state(session, identity.id)
            after = await counts(session)
        if state is not None:
            assert state.step in self.flows[state.flow], (state.flow, state.step)
        assert after == before  # typed text alone never submits anything

    def close(self) -> None:
        self.run(self.store.close())
        self.loop.close()


async def counts(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    row = (await session.execute(select(select(func.count()).select_from(Eoi).scalar_subquery(),
                                        select(func.count()).select_from(Organisation)
                                        .scalar_subquery()))).one()
    return tuple(row)


class _Chat:
    def __init__(self, core: Core) -> None:
        from tests.conftest import Chat

        self._chat = Chat(core, user=SME.user_id, platform=SME.platform)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._chat, name)


_TG_TAGS = re.compile(r"</?b>")


def assert_renders_literally(reply: Reply) -> None:
    """No markup of the user's can survive: only our own tags, every `&` an entity."""
    for part in telegram_render.render(reply):
        text = _TG_TAGS.sub("", part.html)
        assert "<" not in text and ">" not in text, part.html[:200]
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), part.html[:200]
    messages, _ = slack_render.render([reply])
    for message in messages:
        for block in message.blocks:
            for text in _texts(block):
                assert "<" not in text and ">" not in text, text[:200]
                assert not re.search(r"&(?!amp;|lt;|gt;)", text), text[:200]


def _texts(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value)


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    h = Harness(tmp_path_factory.mktemp("hostile"))
    yield h
    h.close()


FLOW_NAMES = sorted(_flows for _flows in ("eoi", "eoi-edit", "subscribe", "find", "ask-officer",
                                                "partner"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@pytest.mark.parametrize("flow", FLOW_NAMES)
def test_typed_text_at_every_step_of_every_flow(harness: Harness, flow: str) -> None:
    steps = harness.flows[flow]

    @SETTINGS
    @given(step=st.sampled_from(steps), text=hostile)
    def example(step: str, text: str) -> None:
        harness.run(harness.check(flow, step, Incoming(SME, text=text)))

    example()


@SETTINGS
@given(text=hostile, kind=st.sampled_from(["text", "command", "button"]),
       name=st.sampled_from(["interest", "match", "find", "subscribe", "my", "start", "stage",
                             "eoi", "mydata", "x" * 40, "", "ünï"]))
def test_free_text_commands_and_buttons_outside_a_flow(harness: Harness, text: str, kind: str,
                                                        name: str) -> None:
    if kind == "text":
        message = Incoming(SME, text=text)
    elif kind == "command":
        message = Incoming(SME, command=name or "x", args=text)
    else:
        message = Incoming(SME, button=f"{name}:{text}"[:64])
    harness.run(harness.check(None, None, message))
