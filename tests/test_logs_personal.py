"""No log line at any level carries personal data (issue 20, finding 2, the log part).

A whole EOI through the real Telegram adapter and a Slack message with the SME's words, with
logging configured as `dips run` does at DEBUG: none of the SME's strings may appear, the
libraries' own loggers (python-telegram-bot, aiohttp, slack_sdk, sqlalchemy) included.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure, mask_personal
from bot.settings import Settings
from bot.slack.adapter import SlackAdapter
from handlers.kernel.messages import Reply
from storage.store import Store
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.test_telegram import make_core, open_ref, start_bot, walk_eoi

PERSONAL = ["Acme Sensors", "Sam Smith", "sam@example.com", "refrigerated electric vans",
            "Birmingham", '"Sam"', "Smith"]


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure(Settings(log_level="DEBUG", telegram_token=TOKEN, slack_bot_token=BOT_TOKEN), stream)
    yield stream
    root.handlers[:], root.level = saved


async def test_a_whole_eoi_at_debug_logs_nothing_personal(debug_log: io.StringIO,
                                                          store: Store) -> None:
    ref = await open_ref(store)
    fake = await FakeTelegram().start()
    slack = await FakeSlack().start()
    try:
        bot = await start_bot(fake, make_core(store))
        try:
            assert "EOI-000001" in await walk_eoi(bot, ref)
        finally:
            await bot.adapter.stop()
        adapter = SlackAdapter(make_core(store), Settings(
            slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.api_url))
        await adapter.send([Reply("Acme Sensors Ltd (Sam Smith, sam@example.com): "
                                  "refrigerated electric vans")], channel=None, user="UOFFICER")
        logging.getLogger("dips.test").debug("our own debug lines still show")
    finally:
        await slack.stop()
        await fake.stop()
    text = debug_log.getvalue()
    assert "our own debug lines still show" in text  # DEBUG is on for our own loggers
    for line in text.splitlines():
        json.loads(line)
    found = [s for s in PERSONAL if s in text]
    assert found == [], [line for line in text.splitlines() if any(s in line for s in found)][:5]


def test_database_errors_keep_their_statement_and_lose_their_parameters() -> None:
    error = ("(sqlite3.IntegrityError) UNIQUE constraint failed: identities.external_id\n"
             "[SQL: INSERT INTO identities (platform, display_name) VALUES (?, ?)]\n"
             "[parameters: ('telegram', 'Jo ] Bloggs', 'jo@example.com')]\n"
             "(Background on this error at: https://sqlalche.me/e/20/gkpj)")
    masked = mask_personal(error)
    assert "Jo ] Bloggs" not in masked and "jo@example.com" not in masked
    assert "INSERT INTO identities" in masked and "[parameters: masked]" in masked
    detail = mask_personal('DETAIL:  Key (email)=(jo@example.com) already exists.')
    assert detail == "DETAIL:  Key (email)=(masked) already exists."
