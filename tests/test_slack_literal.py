"""SME text reaches officers in Slack literally: never as mrkdwn, so `*bold*`, `_x_`, backticks,
`:emoji:`, `<!channel>`, `<@U..>` and `&lt;` show as typed (messages, App Home, case forms)."""

from __future__ import annotations

import html
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.cases import case_modal
from bot.slack.render import home_view, render
from bot.slack.worker import SlackWorker
from handlers.app import build_core, seed_catalogue
from handlers.domain.cases import Form
from handlers.kernel.messages import Reply
from storage.store import Store
from tests.conftest import Chat
from tests.fake_slack import BOT_TOKEN, FakeSlack
from tests.test_slack import slack_settings

TYPED = "*bold* _x_ `code` ~s~ :tada: <!channel> <@U123> &lt; > quote"


def text_objects(node: object) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield node
        for value in node.values():
            yield from text_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from text_objects(value)


def assert_literal(blocks: object, typed: str = TYPED) -> None:
    """`typed` is shown, whole, in plain_text objects, and in no mrkdwn object at all."""
    objects = list(text_objects(blocks))
    shown = "\n".join(html.unescape(o["text"]) for o in objects if o["type"] == "plain_text")
    assert typed in shown
    assert all(o.get("emoji") is False for o in objects
               if o["type"] == "plain_text" and typed in html.unescape(o["text"]))
    for o in objects:
        if o["type"] == "mrkdwn":
            assert not any(piece in o["text"] for piece in ("*bold*", "_x_", "`code`", "channel"))
        assert "<" not in o["text"] and ">" not in o["text"]  # escaped: no mention, no link


def test_replies_home_and_case_forms_show_typed_text_literally() -> None:
    reply = Reply(f"Question: {TYPED}", title=f"Case about {TYPED}")
    messages, _ = render([reply])
    assert_literal([m.blocks for m in messages])
    assert_literal(home_view([reply])["blocks"])
    form = Form(sub="a", case_id=1, title="Answer", submit="Send", intro=f"Q: {TYPED}", fields=())
    assert_literal(case_modal(form, {})["blocks"])


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


async def test_a_case_notice_in_the_officers_channel_shows_the_question_as_typed(
        fake: FakeSlack, store: Store) -> None:
    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    sme = Chat(core, user="sme-literal", platform="telegram")
    await sme.send(f"/human {TYPED}")
    worker = SlackWorker(core, slack_settings(fake), AsyncWebClient(
        token=BOT_TOKEN, base_url=fake.api_url), per_channel=0.0)
    assert await worker.drain_once() == 1
    posted = fake.calls_to("chat.postMessage")[0]
    assert_literal(posted["blocks"])
    assert "<!channel>" not in json.dumps(posted)
