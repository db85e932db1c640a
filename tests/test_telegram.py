"""The Telegram adapter end to end: real python-telegram-bot networking and getUpdates polling
against the local fake Bot API server, a real store (SQLite, or PostgreSQL when
DIPS_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.settings import Settings
from bot.telegram.adapter import TelegramAdapter, webhook_secret
from handlers.kernel.core import FAILED, Core
from handlers.kernel.messages import Incoming, Reply, buttons
from handlers.kernel.text import speaking, t
from storage import people
from storage.models import ConversationState
from storage.store import Store, open_store
from tests.conftest import free_port
from tests.fake_telegram import TOKEN, FakeTelegram

USER = 4242


def make_core(store: Store) -> Core:
    try:
        from handlers.app import build_core

        return build_core(store)
    except ImportError:  # FAQ or matching not there yet: the core still runs the EOI flow
        return Core(store)


async def open_ref(store: Store) -> str:
    from handlers.app import seed_catalogue
    from storage import challenges

    await seed_catalogue(store)
    async with store.session() as session:
        rows = await challenges.list_challenges(session, open_on=make_core(store).today())
    return rows[0].ref


class Harness:
    """Drive the adapter through the fake server and wait until each update is done."""

    def __init__(self, fake: FakeTelegram, adapter: TelegramAdapter) -> None:
        self.fake = fake
        self.adapter = adapter
        self.outcomes: list[tuple[int, str]] = []
        adapter.observers.append(lambda uid, outcome: self.outcomes.append((uid, outcome)))

    async def deliver(self, *updates: dict[str, Any], timeout: float = 10.0) -> list[str]:
        """Push updates in one batch; return the texts sent to their chats meanwhile."""
        since, done = len(self.fake.calls), len(self.outcomes)
        self.fake.push(*updates)
        async with asyncio.timeout(timeout):
            while len(self.outcomes) < done + len(updates):
                await asyncio.sleep(0.005)
        chats = {_chat(u) for u in updates}
        return [c.params["text"] for c in self.fake.calls[since:]
                if c.ok and c.method == "sendMessage" and int(c.params["chat_id"]) in chats]

    async def say(self, text: str, user: int = USER) -> str:
        return "\n".join(await self.deliver(self.fake.message(user, text)))

    async def press(self, label: str, user: int = USER) -> str:
        data = self.fake.button(user, label)
        return "\n".join(await self.deliver(self.fake.callback(user, data)))

    async def press_data(self, data: str, user: int = USER) -> str:
        return "\n".join(await self.deliver(self.fake.callback(user, data)))


def _chat(update: dict[str, Any]) -> int:
    if "callback_query" in update:
        return update["callback_query"]["message"]["chat"]["id"]
    return next(iter(v for k, v in update.items() if k != "update_id"))["chat"]["id"]


def bot_settings(fake: FakeTelegram, **extra: Any) -> Settings:
    return Settings(telegram_token=TOKEN, telegram_api_url=fake.api_url, **extra)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram().start()
    yield server
    await server.stop()


async def start_bot(fake: FakeTelegram, core: Any, **extra: Any) -> Harness:
    adapter = TelegramAdapter(core, bot_settings(fake, **extra), poll_timeout=5)
    await adapter.start()
    return Harness(fake, adapter)


@pytest.fixture
async def bot(fake: FakeTelegram, store: Store) -> AsyncIterator[Harness]:
    harness = await start_bot(fake, make_core(store))
    yield harness
    await harness.adapter.stop()


async def identity_active(store: Store, user: int = USER) -> bool | None:
    async with store.session() as session:
        identity = await people.get_identity(session, "telegram", str(user))
    return None if identity is None else identity.active


async def walk_eoi(bot: Harness, ref: str, until: str = "submit") -> str:
    """An SME's EOI through the real flow, typing and pressing as a person would."""
    assert "organisation's name" in await bot.say(f"/interest {ref}")
    assert "How many people" in await bot.say("Acme Sensors Ltd")
    assert "Which country" in await bot.press("Small")
    assert "town or city" in await bot.press("United Kingdom")
    if until == "city":
        return ""
    assert "website" in await bot.say("Birmingham")
    assert "contact" in await bot.press("Skip")
    assert "email" in await bot.say("Sam Smith")
    assert "solution would you propose" in await bot.say("sam@example.com")
    text = await bot.say("We run refrigerated electric vans that share surplus food between hubs.")
    if "I agree" in str(bot.fake.last_keyboard(USER)):
        text = await bot.press("I agree")
    assert "check your expression of interest" in text
    return await bot.press("Submit")


async def test_startup_registers_commands_and_polls(bot: Harness) -> None:
    calls = bot.fake.sent(method="setMyCommands")
    call = calls[0]
    names = [c["command"] for c in call.params["commands"]]
    assert names == ["start", "menu", "help", "challenges", "match", "interest", "my", "follow",
                     "subscribe", "unsubscribe", "human", "privacy", "mydata", "forget",
                     "language", "cancel"]
    assert "scope" not in call.params  # the default scope: everyone, SMEs included
    assert "language_code" not in call.params  # and whatever language their app is in
    described = {c.params.get("language_code"): {x["command"]: x["description"]
                                                 for x in c.params["commands"]} for c in calls}
    assert set(described) == {None, "en", "sv", "et", "hu", "it", "pl", "ur"}
    assert described[None]["help"] == "What I can do"
    assert described["sv"]["help"] == "Vad jag kan göra"  # a Swedish app shows Swedish
    assert all(list(d) == names and all(3 <= len(x) <= 256 for x in d.values())
               for d in described.values())  # Telegram's limits for a description
    assert bot.fake.sent(method="deleteWebhook")


async def test_officers_and_admins_get_their_menu_in_their_own_chat(fake: FakeTelegram,
                                                                   store: Store) -> None:
    async with store.session() as session:
        for user, role in (("501", "officer"), ("502", "admin")):
            await people.ensure_identity(session, "telegram", user, chat_id=user)
            await people.set_role(session, "telegram", user, role)
    bot = await start_bot(fake, Core(store))
    try:
        calls = fake.sent(method="setMyCommands")
        scoped = {c.params["scope"]["chat_id"]: [x["command"] for x in c.params["commands"]]
                  for c in calls if "scope" in c.params}
        assert all(c.params["scope"]["type"] == "chat" for c in calls if "scope" in c.params)
        assert set(scoped) == {501, 502}
        assert "dips" in scoped[501] and "broadcast" not in scoped[501] and "human" in scoped[501]
        assert {"dips", "broadcast", "audit"} <= set(scoped[502])
    finally:
        await bot.adapter.stop()


async def test_a_role_granted_or_revoked_later_changes_the_menu_without_a_restart(
        fake: FakeTelegram, store: Store) -> None:
    bot = await start_bot(fake, Core(store))
    try:
        def scoped(method: str) -> list[int]:
            return [c.params["scope"]["chat_id"] for c in fake.sent(method=method)
                    if "scope" in c.params]

        assert scoped("setMyCommands") == []  # no staff yet
        async with store.session() as session:
            await people.ensure_identity(session, "telegram", "601", chat_id="601")
            await people.set_role(session, "telegram", "601", "officer")
        await bot.adapter.refresh_staff_menus()  # what the adapter does every few minutes
        await bot.adapter.refresh_staff_menus()  # unchanged: nothing sent again
        assert scoped("setMyCommands") == [601]
        async with store.session() as session:
            await people.set_role(session, "telegram", "601", "sme")
        await bot.adapter.refresh_staff_menus()
        assert scoped("deleteMyCommands") == [601]  # back to everyone's menu
    finally:
        await bot.adapter.stop()


async def test_whole_sme_journey(bot: Harness, store: Store) -> None:
    ref = await open_ref(store)
    welcome = await bot.say("/start")
    assert "Welcome to DIPS Assistant" in welcome
    assert bot.fake.last_keyboard(USER), "the welcome carries the menu"
    assert (await bot.say("How do I register interest in a challenge?")).strip()
    assert (await bot.say("/match we make air quality sensors for streets")).strip()
    assert (await bot.press_data("chl:0")).strip()
    done = await walk_eoi(bot, ref)
    assert "Your reference: EOI-000001" in done
    assert "EOI-000001" in await bot.say("/my")
    sends = bot.fake.sent(USER)
    assert all(c.params["parse_mode"] == "HTML" for c in sends)
    assert all(c.params["link_preview_options"] == {"is_disabled": True} for c in sends)
    assert len(bot.fake.sent(method="answerCallbackQuery")) >= 6  # one per button pressed
    assert all(o == "handled" for _, o in bot.outcomes)


async def test_every_callback_query_is_answered(bot: Harness) -> None:
    await bot.say("/start")
    update = bot.fake.callback(USER, "chl:0")
    await bot.deliver(update)
    [answer] = bot.fake.sent(method="answerCallbackQuery")
    assert answer.params["callback_query_id"] == update["callback_query"]["id"]


async def test_restart_mid_eoi_continues(fake: FakeTelegram, store: Store, db_url: str) -> None:
    ref = await open_ref(store)
    first = await start_bot(fake, make_core(store))
    await walk_eoi(first, ref, until="city")
    await first.adapter.stop()
    await store.close()

    store2 = await open_store(db_url)  # a new process: new store, core and adapter, same DB
    second = await start_bot(fake, make_core(store2))
    try:
        assert "website" in await second.say("Birmingham")
        assert "contact" in await second.press("Skip")
        assert "email" in await second.say("Sam Smith")
        assert "solution" in await second.say("sam@example.com")
        text = await second.say("We run refrigerated electric vans that share surplus food.")
        if "I agree" in str(fake.last_keyboard(USER)):
            text = await second.press("I agree")
        assert "Acme Sensors Ltd" in text and "Birmingham" in text
        assert "EOI-000001" in await second.press("Submit")
    finally:
        await second.adapter.stop()
        await store2.close()


async def test_html_injection_is_shown_literally(bot: Harness, store: Store) -> None:
    await open_ref(store)
    text = await bot.say("/interest <b>x</b>&<script>")
    assert "&lt;b&gt;x&lt;/b&gt;&amp;&lt;script&gt;" in text
    assert "<script>" not in text and "<b>x" not in text
    ref = await open_ref(store)
    shown = await bot.say(f"/start {ref}")  # the deep link: a challenge, its title in bold
    assert shown.startswith("<b>") and "</b>\n\n" in shown


async def test_blocked_user_is_marked_inactive(bot: Harness, store: Store) -> None:
    await bot.say("/start")
    assert await identity_active(store) is True
    bot.fake.block(USER)
    assert await bot.say("/help") == ""  # nothing got through
    assert await identity_active(store) is False
    assert len(bot.fake.sent(USER)) == 2  # the refused send is not retried
    bot.fake.blocked.clear()
    assert "I can" in await bot.say("/help")  # they unblocked and wrote again
    assert await identity_active(store) is True


async def test_user_blocking_the_bot_via_chat_member_update(bot: Harness, store: Store) -> None:
    await bot.say("/start")
    member = {"user": {"id": 123456, "is_bot": True, "first_name": "DIPS"}}
    update = {"update_id": bot.fake.next_update_id(), "my_chat_member": {
        "chat": {"id": USER, "type": "private"}, "from": bot.fake.user(USER), "date": 1,
        "old_chat_member": {**member, "status": "member"},
        "new_chat_member": {**member, "status": "kicked", "until_date": 0}}}
    await bot.deliver(update)
    assert await identity_active(store) is False


async def test_duplicated_update_is_processed_once(bot: Harness) -> None:
    update = bot.fake.message(USER, "/start")
    texts = await bot.deliver(update, update)
    assert len([t for t in texts if "Welcome" in t]) == 1
    assert sorted(o for _, o in bot.outcomes) == ["duplicate", "handled"]


async def test_update_seen_by_another_process_is_skipped(fake: FakeTelegram, store: Store) -> None:
    """Two adapters on one store (as two webhook replicas): an update is taken only once."""
    one = await start_bot(fake, make_core(store))
    update = fake.message(USER, "/start")
    await one.deliver(update)
    await one.adapter.stop()
    two = await start_bot(fake, make_core(store))
    try:
        assert await two.deliver(update) == []
        assert two.outcomes == [(update["update_id"], "duplicate")]
    finally:
        await two.adapter.stop()


class ScriptedCore:
    """Stands in for the core where a test needs a particular reply or failure."""

    def __init__(self, store: Store, reply: Reply | None = None, fail: bool = False,
                 delay: float = 0.0) -> None:
        self.store = store
        self.reply = reply
        self.fail = fail
        self.delay = delay
        self.seen: list[Incoming] = []
        self.active = 0
        self.most_active = 0

    async def handle(self, message: Incoming) -> list[Reply]:
        self.seen.append(message)
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            await asyncio.sleep(self.delay)
            if self.fail:
                raise RuntimeError("boom")
            return [self.reply or Reply(f"got {message.command or message.button or message.text}")]
        finally:
            self.active -= 1


async def test_long_message_is_split(fake: FakeTelegram, store: Store) -> None:
    text = "\n".join(f"{i:05d} " + "challenge " * 20 for i in range(60))
    core = ScriptedCore(store, Reply(text, buttons([("More", "m:")]), title="Everything"))
    bot = await start_bot(fake, core)
    try:
        parts = await bot.deliver(fake.message(USER, "hi"))
    finally:
        await bot.adapter.stop()
    sends = fake.sent(USER)
    assert len(parts) == len(sends) == 4
    assert all(len(p) <= 4096 for p in parts)
    assert [bool(c.params.get("reply_markup")) for c in sends] == [False, False, False, True]
    assert "\n".join(parts) == "<b>Everything</b>\n\n" + text


async def test_handler_error_gives_a_friendly_message(fake: FakeTelegram, store: Store,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    class Exploding(ScriptedCore):
        async def handle(self, message: Incoming) -> list[Reply]:
            raise RuntimeError("boom")

    bot = await start_bot(fake, Exploding(store))
    try:
        with caplog.at_level(logging.ERROR, logger="bot.telegram.adapter"):
            update = fake.callback(USER, "x:1")
            texts = await bot.deliver(update)
    finally:
        await bot.adapter.stop()
    assert texts == [FAILED]
    assert bot.outcomes == [(update["update_id"], "error")]
    assert f"update {update['update_id']}" in caplog.text
    assert fake.sent(method="answerCallbackQuery"), "the button is answered even so"


async def test_stale_button_is_answered_kindly(bot: Harness) -> None:
    text = await bot.press_data("f:size:small")  # from an EOI that is long gone
    assert "earlier message" in text
    unknown = await bot.press_data("zz:1")
    assert "expired" in unknown or "isn't available" in unknown
    assert len(bot.fake.sent(method="answerCallbackQuery")) == 2


async def test_non_text_message_gets_a_hint(bot: Harness) -> None:
    update = bot.fake.message(USER, "x")
    del update["message"]["text"]
    update["message"]["sticker"] = {"file_id": "s", "file_unique_id": "s", "type": "regular",
                                    "width": 1, "height": 1, "is_animated": False,
                                    "is_video": False}
    assert await bot.deliver(update) == [t("telegram.text_only")]
    bot.fake.languages[USER] = "it"  # the hint is in the language of the user's app
    update = bot.fake.message(USER, "x")
    del update["message"]["text"]
    update["message"]["location"] = {"latitude": 52.48, "longitude": -1.89}
    with speaking("it"):
        assert await bot.deliver(update) == [t("telegram.text_only")]
    assert "/help" in t("telegram.text_only")


async def test_a_captioned_photo_is_read_by_its_caption(bot: Harness) -> None:
    update = bot.fake.message(USER, "x")
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
    update["message"]["caption"] = "what is DIPS?"
    note, reply = await bot.deliver(update)
    assert "read just the text" in note
    assert "Digital Innovation in Public Services" in reply and "Source:" in reply


async def test_rate_limit_is_waited_out(fake: FakeTelegram, store: Store) -> None:
    bot = await start_bot(fake, ScriptedCore(store))
    fake.rate_limit(USER, retry_after=1)
    try:
        texts = await bot.deliver(fake.message(USER, "hello"))
    finally:
        await bot.adapter.stop()
    assert texts == ["got hello"]
    sends = fake.sent(USER)
    assert [c.ok for c in sends] == [False, True]  # refused once (429), then delivered
    assert sends[1].at - sends[0].at >= 0.9


async def test_one_user_in_order_users_concurrently(fake: FakeTelegram, store: Store) -> None:
    core = ScriptedCore(store, delay=0.05)
    bot = await start_bot(fake, core)
    users = (1, 2, 3, 4)
    try:
        batch = [fake.message(u, f"m{n}") for n in range(5) for u in users]
        await bot.deliver(*batch)
    finally:
        await bot.adapter.stop()
    for u in users:
        assert [m.text for m in core.seen if m.speaker.user_id == str(u)] == [
            f"m{n}" for n in range(5)]
        assert fake.texts(u) == [f"got m{n}" for n in range(5)]
    assert core.most_active == len(users)  # one at a time per user, all users at once


async def test_commands_arguments_and_buttons_translate(fake: FakeTelegram, store: Store) -> None:
    core = ScriptedCore(store)
    bot = await start_bot(fake, core)
    try:
        await bot.say("/Interest@dips_test_bot  food-hubs now ")
        await bot.say("/start")
        await bot.press_data("ch:food-hubs")
        await bot.say("plain words")
    finally:
        await bot.adapter.stop()
    first, second, third, fourth = core.seen
    assert (first.command, first.args) == ("interest", "food-hubs now")
    assert (second.command, second.args) == ("start", "")
    assert third.button == "ch:food-hubs" and third.command is None
    assert fourth.text == "plain words" and fourth.command is None
    assert first.speaker.platform == "telegram" and first.speaker.user_id == str(USER)
    assert first.speaker.display_name == "Sam Smith"


async def test_group_chats_are_ignored(bot: Harness) -> None:
    update = bot.fake.message(USER, "/start")
    update["message"]["chat"] = {"id": -100, "type": "supergroup", "title": "Group"}
    assert await bot.deliver(update) == []
    assert bot.outcomes[-1][1] == "ignored"


async def test_webhook_mode_checks_the_secret(fake: FakeTelegram, store: Store) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    bot = await start_bot(fake, make_core(store), telegram_webhook_url=url, telegram_port=port,
                          telegram_listen="127.0.0.1")
    secret = webhook_secret(bot.adapter.settings)
    try:
        [hook] = fake.sent(method="setWebhook")
        assert hook.params["url"] == url and hook.params["secret_token"] == secret
        update = fake.message(USER, "/start")
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
            async with http.post(url, json=update,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": secret}) as response:
                assert response.status == 200
        await fake.wait_for_text(USER, "Welcome")
        assert not fake.sent(method="deleteWebhook")
    finally:
        await bot.adapter.stop()


async def test_attachment_is_sent_as_a_document(fake: FakeTelegram, store: Store) -> None:
    from handlers.kernel.messages import Attachment

    csv = b"reference,stage\nEOI-000001,submitted\n"
    reply = Reply("Here is the export.", attachment=Attachment("eois.csv", csv))
    bot = await start_bot(fake, ScriptedCore(store, reply))
    try:
        await bot.deliver(fake.message(USER, "/export"))
    finally:
        await bot.adapter.stop()
    [doc] = fake.sent(USER, method="sendDocument")
    assert doc.params["document"].filename == "eois.csv"
    assert doc.params["document"].content == csv
    assert fake.texts(USER) == ["Here is the export."]


async def test_unreachable_api_is_a_network_error() -> None:
    from telegram.error import NetworkError

    from bot.telegram.transport import AiohttpRequest

    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{free_port()}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()


async def test_update_keys_claimed_once_and_pruned(store: Store) -> None:
    from datetime import timedelta

    from storage.models import utcnow
    from storage.updates import claim_update, mark_inactive, prune_updates

    async with store.engine.begin() as connection:
        assert await claim_update(connection, "telegram", 10**12) is True  # a 64-bit id fits
        assert await claim_update(connection, "telegram", 10**12) is False
        assert await claim_update(connection, "slack", 10**12) is True  # per platform
    async with store.session() as session:
        assert await prune_updates(session, now=utcnow()) == 0  # nothing old yet
        assert await prune_updates(session, now=utcnow() + timedelta(days=3)) == 2
        assert await mark_inactive(session, "telegram", "nobody") is False
    async with store.engine.begin() as connection:
        assert await claim_update(connection, "telegram", 10**12) is True  # forgotten


async def test_server_errors_are_retried_without_repeating_effects(
        bot: Harness, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.telegram.adapter.RETRY_BACKOFF", 0.01)
    ref = await open_ref(store)
    bot.fake.fail(USER, 502, "Bad Gateway", times=2)  # two 5xx answers, then Telegram recovers
    text = await bot.say(f"/interest {ref}")
    assert "organisation's name" in text
    sends = [c for c in bot.fake.calls
             if c.method == "sendMessage" and int(c.params["chat_id"]) == USER]
    assert [c.ok for c in sends] == [False, False, True]  # the same reply, sent once in the end
    async with store.session() as session:
        identity = await people.get_identity(session, "telegram", str(USER))
        state = await session.get(ConversationState, identity.id)
    assert state.version == 1  # the core ran once
