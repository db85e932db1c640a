"""The Slack adapter over real HTTP: signed requests to the running Bolt app, a fake Web API."""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pypdf import PdfReader
from sqlalchemy import select

from bot.settings import Settings
from bot.slack.adapter import SlackAdapter, event_key
from handlers.app import build_core
from handlers.kernel.core import Core
from storage import eois, people
from storage.cases import create_case
from storage.models import AuditEntry, Delivery, Organisation
from storage.store import Store
from tests.fake_slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    action_body,
    command_body,
    event_body,
    signed_headers,
    view_submission_body,
)
from tests.test_impact import seed

OFFICER, SME_USER, CHANNEL = "UOFFICER", "USME", "COFFICERS"


def slack_settings(fake: FakeSlack, **extra: Any) -> Settings:
    return Settings(database_url="unused", slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                    slack_api_url=fake.api_url, slack_channel=CHANNEL, slack_port=0, **extra)


class Harness:
    """The adapter's aiohttp app on a free port, and helpers to send it signed requests."""

    def __init__(self, fake: FakeSlack, adapter: SlackAdapter, url: str,
                 http: aiohttp.ClientSession) -> None:
        self.fake, self.adapter, self.url, self.http = fake, adapter, url, http
        self._responses = 0

    async def post(self, body: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        headers = headers or signed_headers(
            body, content_type="application/json" if body.startswith("{") else
            "application/x-www-form-urlencoded")
        async with self.http.post(self.url, data=body.encode(), headers=headers) as response:
            return response.status, await response.text()

    async def dips(self, text: str, user: str = OFFICER) -> str:
        """Run `/dips text`; returns what the app posted back to the response URL."""
        self._responses += 1
        key = f"r{self._responses}"
        status, _ = await self.post(command_body(text, user=user, response_url=self.fake.response_url(key)))
        assert status == 200
        posts = await self.fake.wait_for(lambda: [r for r in self.fake.responses if r["key"] == key])
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in posts)

    async def press(self, value: str, user: str = OFFICER) -> str:
        """Press a button carrying `value`; returns what the app posted back to the response URL."""
        self._responses += 1
        key = f"r{self._responses}"
        status, _ = await self.post(action_body(value, user=user, response_url=self.fake.response_url(key)))
        assert status == 200
        posts = await self.fake.wait_for(lambda: [r for r in self.fake.responses if r["key"] == key])
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in posts)


def button_value(text: str, prefix: str) -> str:
    """The value of the (first) button of kind `prefix` in what the app posted."""
    found = re.search(r'"value": "(' + re.escape(prefix) + r':[^"]*)"', text)
    assert found, f"no {prefix} button in {text[:500]}"
    return found.group(1)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


def make_core(store: Store) -> Core:
    return build_core(store, with_faq=False, with_matching=False)


@pytest.fixture
async def slack(fake: FakeSlack, store: Store) -> AsyncIterator[Harness]:
    adapter = SlackAdapter(make_core(store), slack_settings(fake), process_before_response=True)
    runner = web.AppRunner(adapter.web_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as http:
        yield Harness(fake, adapter, f"http://127.0.0.1:{port}/slack/events", http)
    await runner.cleanup()


async def grant(store: Store, user: str = OFFICER, role: str = "officer") -> None:
    async with store.session() as session:
        await people.set_role(session, "slack", user, role)


# ---- request signing ----

async def test_bad_signature_and_stale_timestamp_are_refused(slack: Harness, store: Store) -> None:
    await grant(store)
    body = command_body("help", response_url=slack.fake.response_url())
    bad = signed_headers(body, secret="not-the-secret")
    assert (await slack.post(body, bad))[0] == 401
    stale = signed_headers(body, timestamp=int(time.time()) - 10 * 60)
    assert (await slack.post(body, stale))[0] == 401
    unsigned = {"content-type": "application/x-www-form-urlencoded"}
    assert (await slack.post(body, unsigned))[0] == 401
    await asyncio.sleep(0.2)
    assert slack.fake.responses == []  # nothing was processed
    assert (await slack.post(body))[0] == 200


# ---- roles ----

async def test_non_officer_is_refused_politely(slack: Harness, store: Store) -> None:
    text = await slack.dips("challenges", user=SME_USER)
    assert "only available to council officers" in text and "Sorry" in text
    async with store.session() as session:
        identity = await people.get_identity(session, "slack", SME_USER)
    assert identity is not None and identity.role == "sme"  # Slack users start as SMEs
    await grant(store, SME_USER)
    assert "no challenges in the catalogue" in await slack.dips("challenges", user=SME_USER)


# ---- every subcommand ----

async def test_every_subcommand(slack: Harness, store: Store) -> None:
    ids = await seed(store)
    await grant(store)
    async with store.session() as session:
        await create_case(session, None, "Can a charity apply?", None, {})
    eoi_id = ids["air-quality/0"]

    text = await slack.dips("help")
    for sub in ("challenges", "challenge REF", "eoi ID", "stage ID STAGE", "export", "impact"):
        assert f"/dips {sub}" in text
    assert "I don't know /dips frobnicate" in await slack.dips("frobnicate")

    text = await slack.dips("challenges")
    assert "Challenges (4)" in text and "[air-quality]" in text and "Public Health" in text
    assert "3 EOIs: business accelerator 1, not selected 1, withdrawn 1" in text
    assert "closed, no closing date; 1 EOI: exploration 1" in text  # old-one

    text = await slack.dips("challenge food-hubs")
    assert "Food Hubs [food-hubs]" in text and "Acme Ltd" in text and "Paris SAS" in text
    assert '"value": "exp:food-hubs"' in text
    assert "There is no challenge nope" in await slack.dips("challenge nope")

    text = await slack.dips("eois air-quality")
    assert f"EOI-{eoi_id:06d}" in text and "Gävle Tech" in text

    text = await slack.dips(f"eoi {eoi_id}")
    assert "History:" in text and "slack:UOFF1" in text
    assert '"action_id": "dips_note_' in text  # stage buttons ask for a note

    text = await slack.dips(f"stage EOI-{ids['food-hubs/0']:06d} exploration Great fit")
    assert "The SME will be told, word for word" in text  # a move is previewed, then confirmed
    text = await slack.press(button_value(text, "stc"))
    assert "moved from Submitted" in text and "The SME will be told" in text

    text = await slack.dips("questions")
    assert "Can a charity apply?" in text

    text = await slack.dips("impact since 2025-01-01 until 2025-04-01")
    assert "SMEs engaged: 5" in text and "Officers engaged:" in text
    assert '"value": "imp:2025-01-01:2025-04-01"' in text
    assert "use YYYY-MM-DD" in await slack.dips("impact since yesterday")
    files = await slack.fake.wait_for(lambda: [f for f in slack.fake.files() if f[0].endswith(".pdf")])
    assert files[0][1].startswith(b"%PDF") and files[0][2] == f"D{OFFICER}"  # to them alone
    page = PdfReader(io.BytesIO(files[0][1])).pages[0].extract_text()  # the one-page report
    assert "SMEs engaged: 5" in page and "Officers engaged: 3" in page

    text = await slack.dips("export food-hubs")
    assert "4 expressions of interest for food-hubs" in text
    csv_files = [f for f in slack.fake.files() if f[0].endswith(".csv")]
    assert len(csv_files) == 1 and csv_files[0][1].decode().count("\n") == 5


async def test_stage_change_reaches_the_smes_telegram_queue(slack: Harness, store: Store) -> None:
    ids = await seed(store)
    await grant(store)
    eoi_id = ids["food-hubs/2"]  # Tartu Data, an SME on Telegram (chat 1002)
    preview = await slack.dips(f"stage {eoi_id} exploration tell: Please book a call <!channel>")
    await slack.press(button_value(preview, "stc"))  # a move is previewed, then confirmed
    async with store.session() as session:
        rows = list(await session.scalars(select(Delivery).where(Delivery.platform == "telegram")))
        audit = list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "stage_change",
                                                                    AuditEntry.actor == f"slack:{OFFICER}")))
    assert len(rows) == 1 and rows[0].chat_id == "1002" and rows[0].kind == "stage_change"
    assert rows[0].status == "pending" and "Exploration" in rows[0].payload["text"]
    assert "Please book a call" in rows[0].payload["text"]
    assert len(audit) == 1


async def test_stage_button_opens_a_modal_and_the_note_reaches_the_sme(slack: Harness, store: Store) -> None:
    ids = await seed(store)
    await grant(store)
    eoi_id = ids["food-hubs/2"]
    status, _ = await slack.post(action_body(f"stg:{eoi_id}:exploration", action_id="dips_note_3",
                                             label="Exploration"))
    assert status == 200
    opened = slack.fake.calls_to("views.open")
    assert len(opened) == 1 and opened[0]["trigger_id"] == "trigger-1"
    view = opened[0]["view"]
    assert view["callback_id"] == "dips_note" and view["type"] == "modal"
    assert [b.get("block_id") for b in view["blocks"]][1:] == ["note", "message"]  # two fields
    status, _ = await slack.post(view_submission_body(view["private_metadata"], "Strong team tell: x",
                                                      message="See you on Monday"))
    assert status == 200
    # The submission shows the preview (nothing sent yet); Confirm makes the move.
    preview = await slack.fake.wait_for(lambda: [c for c in slack.fake.calls_to("chat.postEphemeral")
                                                 if "word for word" in json.dumps(c)])
    shown = json.dumps(preview[-1]["blocks"], ensure_ascii=False)
    assert "Strong team" in shown and "See you on Monday" in shown
    async with store.session() as session:
        assert await session.scalar(select(Delivery).where(Delivery.platform == "telegram")) is None
    await slack.press(button_value(shown, "stc"))
    async with store.session() as session:
        row = await session.scalar(select(Delivery).where(Delivery.platform == "telegram"))
    assert row is not None and "See you on Monday" in row.payload["text"]
    assert "Strong team" not in row.payload["text"]  # the internal note stays with the officers
    told = json.dumps(slack.fake.responses, ensure_ascii=False)
    assert "moved from Submitted" in told


async def test_plain_buttons_map_to_the_core(slack: Harness, store: Store) -> None:
    ids = await seed(store)
    await grant(store)
    url = slack.fake.response_url("btn")
    await slack.post(action_body(f"oe:{ids['old-one/4']}", response_url=url))
    assert "Genova Srl" in json.dumps(slack.fake.responses)
    await slack.post(action_body("imp:2025-01-01:2025-04-01", response_url=url))
    csv_file = await slack.fake.wait_for(lambda: [f for f in slack.fake.files() if f[0].endswith(".csv")])
    assert b"smes_engaged,,5" in csv_file[0][1]
    await slack.post(action_body(f"oe:{ids['old-one/4']}", user=SME_USER, response_url=url))
    assert "only available to council officers" in json.dumps(slack.fake.responses[-1])


async def test_sme_text_is_escaped_and_csv_is_formula_safe(slack: Harness, store: Store) -> None:
    ids = await seed(store)
    await grant(store)
    async with store.session() as session:
        org = await session.get(Organisation, 1)
        assert org is not None
        org.name = "=HYPERLINK(\"http://evil\") <!channel> & <@U999>"
    text = await slack.dips("eois air-quality")
    assert "<!channel>" not in slack.fake.texts() and "<@U999>" not in slack.fake.texts()
    assert "&lt;!channel&gt; &amp; &lt;@U999&gt;" in text
    await slack.dips("export air-quality")
    content = next(f[1] for f in slack.fake.files() if f[0].endswith(".csv")).decode()
    assert "'=HYPERLINK" in content and ",=HYPERLINK" not in content
    assert ids  # seeded


async def test_failure_after_ack_is_told_to_the_user(slack: Harness, store: Store) -> None:
    ids = await seed(store)
    await grant(store)
    slack.fake.fail["chat.postEphemeral"] = [("internal_error", 200, {})]
    metadata = json.dumps({"c": "COFF", "u": OFFICER, "b": f"stg:{ids['food-hubs/0']}:exploration"})
    status, _ = await slack.post(view_submission_body(metadata, ""))
    assert status == 200  # acknowledged before the work
    told = slack.fake.calls_to("chat.postEphemeral")
    assert len(told) == 2 and "something went wrong" in told[1]["text"]


async def test_a_file_that_cannot_be_sent_is_explained_not_a_failure(slack: Harness,
                                                                      store: Store) -> None:
    await seed(store)
    await grant(store)
    slack.fake.fail["files.getUploadURLExternal"] = [("not_in_channel", 200, {})]
    await slack.dips("export")
    told = await slack.fake.wait_for(
        lambda: [r for r in slack.fake.responses if "couldn't send you" in json.dumps(r)])
    assert "not_in_channel" in json.dumps(told[0])
    assert not [r for r in slack.fake.responses if "went wrong" in json.dumps(r)]


# ---- App Home and retried events ----

async def test_app_home_dashboard_and_retries_processed_once(slack: Harness, store: Store) -> None:
    await seed(store)
    await grant(store)
    async with store.session() as session:
        await create_case(session, None, "Who do I talk to?", None, {})
    body = event_body({"type": "app_home_opened", "user": OFFICER, "channel": "D1", "tab": "home"},
                      event_id="Ev0HOME")
    assert (await slack.post(body))[0] == 200
    retry = signed_headers(body, content_type="application/json", **{"x-slack-retry-num": "1",
                                                                      "x-slack-retry-reason": "timeout"})
    assert (await slack.post(body, retry))[0] == 200
    published = slack.fake.calls_to("views.publish")
    assert len(published) == 1 and published[0]["user_id"] == OFFICER
    blocks = json.dumps(published[0]["view"]["blocks"], ensure_ascii=False)
    for heading in ("Open challenges: 3", "New EOIs this week: 0", "Questions waiting for an officer: 1",
                    "SMEs engaged: 7", "SMEs from BETTER partner cities: 4"):
        assert heading in blocks
    assert len(published[0]["view"]["blocks"]) <= 100
    # An SME opening the app's Home sees the refusal, not the figures.
    await slack.post(event_body({"type": "app_home_opened", "user": SME_USER, "tab": "home"}, "Ev0SME"))
    assert "only available to council officers" in json.dumps(slack.fake.calls_to("views.publish")[-1])


def test_event_keys_are_stable_63_bit() -> None:
    assert event_key("Ev123") == event_key("Ev123") != event_key("Ev124")
    assert 0 <= event_key("Ev123") < 2**63


async def test_officers_cannot_withdraw_and_old_stage_buttons_change_nothing(slack: Harness,
                                                                             store: Store) -> None:
    ids = await seed(store)
    await grant(store)
    eoi_id = ids["food-hubs/0"]
    assert "Only the SME can withdraw" in await slack.dips(f"stage {eoi_id} withdrawn")
    # Stages can't be skipped any more (a move goes forward one stage, or to not-selected).
    assert "can't move to" in await slack.dips(f"stage {eoi_id} accelerator")
    await slack.press(button_value(await slack.dips(f"stage {eoi_id} exploration"), "stc"))
    stale = json.dumps({"c": "COFF", "u": OFFICER, "b": f"stg:{eoi_id}:not-selected@submitted"})
    status, _ = await slack.post(view_submission_body(stale, ""))
    assert status == 200
    told = await slack.fake.wait_for(lambda: [c for c in slack.fake.calls_to("chat.postEphemeral")
                                              if "out of date" in json.dumps(c)])
    assert "Exploration" in json.dumps(told[0])
    async with store.session() as session:
        assert (await eois.get_eoi(session, eoi_id)).stage == "exploration"
