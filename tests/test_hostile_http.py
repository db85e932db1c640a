"""Malformed requests at the HTTP edges (issue 20, finding 3): the Slack events endpoint and the
Telegram webhook answer every malformed body with a 4xx and at most one short log line, never
a 5xx or a traceback, and keep answering afterwards. Hypothesis sends over 1,000 bodies."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import urllib.parse
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.logs import configure
from bot.settings import Settings
from bot.slack.adapter import SlackAdapter
from bot.telegram.adapter import TelegramAdapter, webhook_secret
from handlers.app import build_core, seed_catalogue
from storage.store import Store
from tests.conftest import database_url, free_port, fresh_store
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, signed_headers
from tests.fake_telegram import TOKEN, FakeTelegram

EXAMPLES = 600  # per platform: 1,200 bodies in all
DEEP = "[" * 100_000 + "]" * 100_000
NAMED_SLACK = ["payload=%7Bnot-json", "null", "[]", '"x"', "1", "payload=null", "payload=%5B%5D",
               "payload=" + urllib.parse.quote(DEEP[:20_000] + DEEP[-20_000:]), DEEP, "{", "",
               '{"type": "event_callback", "event_id": 5, "event": "x"}', "payload=%22x%22",
               '{"type": "block_actions", "user": "x"}', "\x00", "payload=" + "%" * 50]
NAMED_TELEGRAM = ["[]", "null", '"x"', '{"update_id":5,"message":"x"}', DEEP, "{", "", "1",
                  '{"update_id": "5"}', '{"update_id": true}', '{"update_id": 5, "message": {}}',
                  '{"update_id": 6, "callback_query": []}', '{"update_id": 7, "my_chat_member": 1}',
                  '{"update_id": 8, "message": {"chat": "x", "from": null, "text": 5}}',
                  '{"update_id": 9, "message": {"message_id": 1, "date": "x", "chat": {}}}']
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12)
UPDATE_KEYS = ["message", "callback_query", "my_chat_member", "edited_message", "chat"]
telegram_bodies = st.one_of(
    st.sampled_from(NAMED_TELEGRAM),
    st.text(max_size=200),
    json_values.map(json.dumps),
    st.builds(lambda uid, key, value: json.dumps({"update_id": uid, key: value}),
              st.integers(-2**70, 2**70), st.sampled_from(UPDATE_KEYS), json_values),
    st.builds(lambda n: "[" * n + "]" * n, st.integers(1000, 200_000)),
)
slack_bodies = st.one_of(
    st.sampled_from(NAMED_SLACK),
    st.text(max_size=200),
    json_values.map(json.dumps),
    json_values.map(lambda v: "payload=" + urllib.parse.quote(json.dumps(v))),
    st.text(max_size=50).map(lambda t: "payload=" + urllib.parse.quote(t)),
    st.builds(lambda n: "{" * n, st.integers(1000, 100_000)),
)
timestamps = st.one_of(st.none(), st.sampled_from(["abc", "", "1e9", "-1", "1.5", "9" * 40]),
                       st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=12))
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain"]


class Servers:
    """The Slack events app and a Telegram webhook on one store, on a private event loop."""

    def __init__(self, tmp: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.run(self._start(tmp))

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    async def _start(self, tmp: Path) -> None:
        self.store: Store = await fresh_store(database_url(tmp))
        await seed_catalogue(self.store)
        core = build_core(self.store, with_faq=False, with_matching=False)
        self.fake = await FakeTelegram().start()
        port = free_port()
        self.telegram_url = f"http://127.0.0.1:{port}/telegram/hook"
        settings = Settings(telegram_token=TOKEN, telegram_api_url=self.fake.api_url,
                            telegram_webhook_url=self.telegram_url, telegram_port=port,
                            telegram_listen="127.0.0.1")
        self.secret = webhook_secret(settings)
        self.telegram = TelegramAdapter(core, settings)
        await self.telegram.start()
        self.fake_slack = await FakeSlack().start()
        slack = SlackAdapter(core, Settings(slack_bot_token=BOT_TOKEN,
                                            slack_signing_secret=SIGNING_SECRET,
                                            slack_api_url=self.fake_slack.api_url),
                             process_before_response=True)
        self.runner = web.AppRunner(slack.web_app(), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        slack_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.slack_url = f"http://127.0.0.1:{slack_port}/slack/events"
        self.http = aiohttp.ClientSession()

    async def post(self, url: str, body: str, headers: dict[str, str]) -> int:
        async with self.http.post(url, data=body.encode("utf-8", "surrogatepass"),
                                  headers=headers) as response:
            await response.read()
            return response.status

    async def close(self) -> None:
        await self.http.close()
        await self.runner.cleanup()
        await self.telegram.stop()
        await self.fake.stop()
        await self.fake_slack.stop()
        await self.store.close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Logs as `dips run` writes them at INFO, captured."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure(Settings(log_level="INFO", telegram_token=TOKEN), stream)
    harness = Servers(tmp_path_factory.mktemp("hostile-http"))
    harness.log = stream  # type: ignore[attr-defined]
    yield harness
    harness.run(harness.close())
    harness.loop.close()
    root.handlers[:], root.level = saved


def quiet(servers: Servers) -> None:
    """No traceback and no long line among the lines logged so far."""
    lines = servers.log.getvalue().splitlines()  # type: ignore[attr-defined]
    assert lines  # the refusals are logged, one short line each
    for line in lines:
        event = json.loads(line)
        assert "exc" not in event and "Traceback" not in line, line
        assert len(event["msg"]) < 200, line[:300]


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(body=telegram_bodies)
def test_malformed_telegram_webhook_bodies_get_a_4xx(servers: Servers, body: str) -> None:
    status = servers.run(servers.post(servers.telegram_url, body, {
        "X-Telegram-Bot-Api-Secret-Token": servers.secret, "Content-Type": "application/json"}))
    assert status < 500, (status, body[:200])


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(body=slack_bodies, signed=st.booleans(), timestamp=timestamps,
       content_type=st.sampled_from(CONTENT_TYPES))
def test_malformed_slack_bodies_get_a_4xx(servers: Servers, body: str, signed: bool,
                                          timestamp: str | None, content_type: str) -> None:
    headers = signed_headers(body, content_type=content_type) if signed else {
        "content-type": content_type}
    if timestamp is not None:
        headers["x-slack-request-timestamp"] = timestamp
    status = servers.run(servers.post(servers.slack_url, body, headers))
    assert status < 500, (status, body[:200], headers)


def test_the_named_bodies_get_a_4xx_and_the_servers_still_answer(servers: Servers) -> None:
    for body in NAMED_TELEGRAM:
        status = servers.run(servers.post(servers.telegram_url, body, {
            "X-Telegram-Bot-Api-Secret-Token": servers.secret}))
        assert 400 <= status < 500, (status, body[:100])
    for body in NAMED_SLACK:
        for headers in (signed_headers(body), {"content-type": "application/x-www-form-urlencoded"},
                        {**signed_headers(body), "x-slack-request-timestamp": "soon"}):
            status = servers.run(servers.post(servers.slack_url, body, headers))
            assert 400 <= status < 500, (status, body[:100], headers)
    quiet(servers)
    # Still serving: a real update is handled, a real Slack request answered.
    update = servers.fake.message(77, "/start")
    status = servers.run(servers.post(servers.telegram_url, json.dumps(update), {
        "X-Telegram-Bot-Api-Secret-Token": servers.secret}))
    assert status == 200
    assert servers.run(servers.fake.wait_for_text(77, "Welcome"))
    body = json.dumps({"type": "url_verification", "challenge": "still-here"})
    status = servers.run(servers.post(servers.slack_url, body,
                                      signed_headers(body, content_type="application/json")))
    assert status == 200
