"""Telegram adapter (python-telegram-bot 22): updates in, neutral messages to the core, HTML out.

No business rules live here. Each update is translated into an `Incoming`
(`bot.telegram.inbound`, which also keeps each user's updates in order), handed to `Core.handle`,
and every `Reply` is rendered by `bot.telegram.render`. What this module owns is the platform's
edges: update de-duplication in the store, Telegram's limits and errors (RetryAfter, Forbidden),
polling or webhook. The HTTP transport is `bot.telegram.transport`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import hashlib
import hmac
import io
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlparse

from aiohttp import web
from sqlalchemy.exc import InterfaceError, OperationalError
from telegram import BotCommand, BotCommandScopeChat, InputFile, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ContextTypes, TypeHandler

from bot import health
from bot.settings import Settings
from bot.telegram.inbound import PLATFORM, PerUserOrder, to_incoming
from bot.telegram.intake import MAX_BODY, BadUpdate, Intake, parse_update
from bot.telegram.intake import UNAVAILABLE as STORE_UNAVAILABLE
from bot.telegram.pacing import retry_seconds
from bot.telegram.render import Part, keyboard, render
from bot.telegram.transport import DEFAULTS, AiohttpRequest
from content.locale import LANGUAGES, supported
from handlers.kernel.core import Core
from handlers.kernel.messages import Reply
from handlers.kernel.text import speaking, t
from storage.people import staff_chats
from storage.updates import claim_update, mark_inactive, prune_updates

log = logging.getLogger(__name__)

# The menu every user sees (Telegram's default scope, and one per offered language for people
# whose Telegram app is in it): the SMEs' commands. Descriptions: content/wording telegram.menu.
COMMANDS = ("start", "menu", "help", "challenges", "match", "interest", "my", "follow",
            "subscribe", "unsubscribe", "human", "privacy", "mydata", "forget", "language", "cancel")
# Added to an officer's or admin's own chat (a per-chat scope, in English as their texts are):
# Telegram shows each person the menu of the most specific scope that has one.
STAFF_COMMANDS = {"officer": ("dips", "dashboard"), "admin": ("dips", "dashboard", "broadcast", "audit")}
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
POLL_TIMEOUT = 30  # seconds a getUpdates long poll waits for news
MAX_RETRIES = 3  # RetryAfter waits or network-error retries before a message is given up
RETRY_BACKOFF = 0.5  # seconds before the first retry after a network error; doubles each time
MAX_RETRY_WAIT = 60.0  # seconds; a longer flood wait means the message is stale anyway
PRUNE_EVERY = 3600.0  # seconds between deletions of old update keys
MENU_REFRESH = 300.0  # seconds between checks for officers and admins granted or revoked

STORE_DOWN = (OperationalError, InterfaceError, OSError, ConnectionError)
Observer = Callable[[int, str], None]


def menu() -> list[BotCommand]:
    """The SMEs' commands, described in the language being written in."""
    languages = ", ".join(LANGUAGES.values())  # each in its own language
    return [BotCommand(name, t(f"telegram.menu.{name}", languages=languages)) for name in COMMANDS]


def said(update: Update, key: str) -> str:
    """A line the adapter says itself, in the language of the user's Telegram app (it may
    come before the store is read: the store may be what failed)."""
    user = update.effective_user
    with speaking(supported(user.language_code if user else None)):
        return t(key)


def webhook_secret(settings: Settings) -> str:
    """The configured secret, or one derived from the token so every replica agrees on it."""
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret
    return hmac.new(settings.telegram_token.encode(), b"dips-telegram-webhook",
                    hashlib.sha256).hexdigest()


def build_application(settings: Settings, max_concurrent_updates: int = 256) -> Application:
    """A PTB application pointed at `DIPS_TELEGRAM_API_URL`; handlers are added by the adapter."""
    return (
        Application.builder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_url)
        .defaults(DEFAULTS)  # HTML, no link previews: the renderers don't repeat them
        .request(AiohttpRequest(pool_size=256))
        .get_updates_request(AiohttpRequest(pool_size=1))
        .updater(None)  # the adapter polls itself: see bot.telegram.intake
        .concurrent_updates(PerUserOrder(max_concurrent_updates))
        .build()
    )


class TelegramAdapter:
    """Owns one PTB application; `start()` begins polling (or the webhook), `stop()` ends it."""

    def __init__(self, core: Core, settings: Settings, application: Application | None = None,
                 poll_timeout: int = POLL_TIMEOUT) -> None:
        self.core = core
        self.settings = settings
        self.app = application or build_application(settings)
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self.app.add_error_handler(self._on_error)
        self.poll_timeout = poll_timeout
        self.observers: list[Observer] = []  # told (update_id, outcome) after each update
        self._webhook: web.AppRunner | None = None
        self.intake = Intake(core.store.engine, PLATFORM)
        self._poller: asyncio.Task[None] | None = None
        self._menus: asyncio.Task[None] | None = None
        self._staff_menus: dict[str, str] = {}  # chat id -> role whose menu Telegram has
        self._last_prune = 0.0

    @property
    def webhook_mode(self) -> bool:
        return bool(self.settings.telegram_webhook_url)

    async def start(self) -> None:
        await self.app.initialize()  # getMe: a bad token or address fails here, loudly
        await self.set_menus()
        self._menus = asyncio.create_task(self._refresh_menus_loop(), name="telegram-menus")
        await self.app.start()
        await self.intake.replay(self.app.bot, self.app.update_queue)  # a dead process's intake
        if self.webhook_mode:
            await self._start_webhook()
        else:
            await self.app.bot.delete_webhook(drop_pending_updates=False)  # or getUpdates fails
            self._poller = asyncio.create_task(self.intake.poll(
                self.app.bot, self.app.update_queue, self.poll_timeout, list(ALLOWED_UPDATES)),
                name="telegram-poller")
        log.info("Telegram adapter started as @%s (%s)", self.app.bot.username,
                 "webhook" if self.webhook_mode else "long polling")
        # What exists by now (modules, the FAQ and matching indexes) lives as long as the
        # process: keep it out of the collector's sight, or each full collection walks it all
        # and stalls every conversation for ~90 ms.
        gc.freeze()

    async def set_menus(self) -> None:
        """The SMEs' menu for everyone, in each offered language; each officer's and admin's
        chat gets theirs on top."""
        try:
            await self.app.bot.set_my_commands(menu())
            for code in LANGUAGES:
                with speaking(code):
                    await self.app.bot.set_my_commands(menu(), language_code=code)
        except (TelegramError, ValueError) as exc:  # a menu is no reason not to serve
            log.warning("setMyCommands failed: %s", exc)
        await self.refresh_staff_menus()

    async def refresh_staff_menus(self) -> None:
        """Give each officer's and admin's chat their menu, and take it back from anyone no
        longer staff: at start-up, then every MENU_REFRESH seconds, so a role granted or revoked
        (`dips roles`) shows without a restart. Only changes are sent to Telegram."""
        try:
            async with self.core.store.session() as session:
                staff = dict(await staff_chats(session, PLATFORM))
            for chat_id, role in staff.items():
                if self._staff_menus.get(chat_id) != role:
                    commands = [*menu(), *(BotCommand(n, t(f"telegram_staff_menu.{n}"))
                                           for n in STAFF_COMMANDS[role])]
                    await self.app.bot.set_my_commands(
                        commands, scope=BotCommandScopeChat(int(chat_id)))
                    self._staff_menus[chat_id] = role
            for chat_id in set(self._staff_menus) - set(staff):
                await self.app.bot.delete_my_commands(scope=BotCommandScopeChat(int(chat_id)))
                del self._staff_menus[chat_id]
        except (TelegramError, ValueError, *STORE_DOWN) as exc:  # tried again next time
            log.warning("refreshing the staff menus failed: %s", exc)

    async def _refresh_menus_loop(self) -> None:
        while True:
            await asyncio.sleep(MENU_REFRESH)
            await self.refresh_staff_menus()

    async def stop(self) -> None:
        """Stop taking updates, finish those in hand, confirm them, then close connections."""
        if self._menus is not None:
            self._menus.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._menus
            self._menus = None
        if self._poller is not None:
            await self.intake.stop_polling(self._poller)
        if self._webhook is not None:
            await self._webhook.cleanup()  # waits for requests in progress
            self._webhook = None
        if self.app.running:
            await self.app.stop()
        self._poller = None
        await self.intake.drain()
        await self.intake.confirm(self.app.bot)  # clears handled inbox rows, confirms the offset
        await self.app.shutdown()

    # ---- webhook ----

    async def _start_webhook(self) -> None:
        url = self.settings.telegram_webhook_url
        secret = webhook_secret(self.settings)
        server = web.Application(client_max_size=MAX_BODY)
        server.router.add_post(urlparse(url).path or "/", self._webhook_request)
        self._webhook = web.AppRunner(server, access_log=None)
        await self._webhook.setup()
        await web.TCPSite(self._webhook, self.settings.telegram_listen,
                          self.settings.telegram_port).start()
        await self.app.bot.set_webhook(url, secret_token=secret,
                                       allowed_updates=list(ALLOWED_UPDATES))

    async def _webhook_request(self, request: web.Request) -> web.Response:
        # PTB's own webhook server compares the secret with `!=`; compare in constant time.
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), webhook_secret(self.settings).encode()):
            return web.Response(status=403)
        try:
            update = parse_update(await request.read(), self.app.bot)
        except BadUpdate as exc:
            log.warning("webhook body refused: %s", exc)
            return web.Response(status=400)
        except web.HTTPException as exc:  # too large
            return web.Response(status=exc.status)
        # Answered once handled: a process that dies first never said it had the update, so
        # Telegram sends it again; a store that could not take it asks for it again too.
        outcome = await self.intake.through_webhook(update, self.app.update_queue)
        return web.Response(status=503 if outcome == STORE_UNAVAILABLE else 200)

    # ---- one update ----

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        started = time.monotonic()
        outcome = "handled"
        unavailable = False
        answering: asyncio.Task[None] | None = None
        try:
            if update.callback_query is not None:  # stop the button's spinner while we work
                answering = asyncio.create_task(self._answer_query(update))
            outcome = await self._handle(update)
        except STORE_DOWN as exc:  # cannot even tell whether the update is new: say so, plainly
            outcome = "error"
            unavailable = True
            log.warning("store unavailable for Telegram update %s: %s", update.update_id,
                        type(exc).__name__)
            with contextlib.suppress(Exception):
                await self._deliver(update, [Reply(said(update, "kernel.unavailable"))])
        except Exception:
            outcome = "error"
            log.exception("error handling Telegram update %s", update.update_id)
            with contextlib.suppress(Exception):
                await self._deliver(update, [Reply(said(update, "kernel.failed"))])
        finally:
            if answering is not None:
                await answering
            if outcome in ("handled", "error"):  # not duplicates, nor updates with nothing to say
                health.count_update(PLATFORM, outcome == "error", started)
            self.intake.finished(update, STORE_UNAVAILABLE if unavailable else outcome)
            for observer in self.observers:
                observer(update.update_id, outcome)

    async def _claim(self, update: Update) -> bool:
        """Take the update in the store; False when this or another process already did."""
        async with self.core.store.engine.begin() as connection:  # no ORM: one cheap statement
            fresh = await claim_update(connection, PLATFORM, update.update_id)
            if fresh and time.monotonic() - self._last_prune > PRUNE_EVERY:
                self._last_prune = time.monotonic()
                await prune_updates(connection)
        return fresh

    async def _handle(self, update: Update) -> str:
        incoming = to_incoming(update)
        if incoming is not None:
            # The core claims the update id in the same transaction as its effects.
            replies = await self.core.handle(replace(incoming, update_id=update.update_id))
            if not replies:
                return "duplicate"
            if update.message is not None and update.message.text is None:  # a caption
                replies = [Reply(said(update, "telegram.caption_only")), *replies]
            await self._deliver(update, replies)
            return "handled"
        if not await self._claim(update):
            return "duplicate"
        if update.my_chat_member is not None:
            member = update.my_chat_member
            if (member.chat.type == ChatType.PRIVATE
                    and member.new_chat_member.status == ChatMemberStatus.BANNED):
                await self._mark_blocked(member.from_user.id)  # the user blocked the bot
            return "ignored"
        chat = update.effective_chat
        if update.message is not None and chat is not None and chat.type == ChatType.PRIVATE:
            await self._deliver(update, [Reply(said(update, "telegram.text_only"))])  # a photo...
            return "handled"
        return "ignored"

    async def _answer_query(self, update: Update) -> None:
        query = update.callback_query
        assert query is not None
        text = None if isinstance(query.data, str) else said(update, "telegram.stale_button")
        try:
            await query.answer(text)
        except TelegramError as exc:  # too old (over 15 minutes) or already answered
            log.info("answerCallbackQuery for update %s failed: %s", update.update_id, exc)

    # ---- sending ----

    async def _deliver(self, update: Update, replies: list[Reply]) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        for reply in replies:
            parts = render(reply)
            for part in parts:
                if not await self._send(update, functools.partial(self._send_part, chat.id, part)):
                    return
            if reply.attachment is not None:
                markup = None if parts else keyboard(reply.buttons)
                send_file = functools.partial(self._send_file, chat.id, reply, markup)
                if not await self._send(update, send_file):
                    return

    async def _send_part(self, chat_id: int, part: Part) -> None:
        await self.app.bot.send_message(chat_id, part.html, reply_markup=part.keyboard)

    async def _send_file(self, chat_id: int, reply: Reply, markup: Any) -> None:
        attachment = reply.attachment
        assert attachment is not None
        document = InputFile(io.BytesIO(attachment.content), filename=attachment.filename)
        await self.app.bot.send_document(chat_id, document, reply_markup=markup)

    async def _send(self, update: Update, call: Callable[[], Awaitable[None]]) -> bool:
        """Make one Bot API call; False when the rest of this update's replies should be dropped.

        Only the sending is repeated: the core's effects are already committed, once.
        """
        for attempt in range(MAX_RETRIES + 1):
            try:
                await call()
                return True
            except RetryAfter as exc:  # flood control: wait as told, keeping this user's order
                wait = retry_seconds(exc)
                if wait > MAX_RETRY_WAIT:
                    log.warning("update %s: flood wait %.0fs, reply dropped", update.update_id, wait)
                    return False
                await asyncio.sleep(wait)
            except Forbidden:
                if update.effective_user is not None:
                    await self._mark_blocked(update.effective_user.id)
                return False
            except TimedOut:  # it may well have been delivered: sending again could duplicate it
                log.warning("update %s: send timed out", update.update_id)
                return True
            except BadRequest as exc:  # our request is wrong; repeating it cannot help
                log.error("update %s: Telegram refused a message: %s", update.update_id, exc)
                return True
            except NetworkError as exc:  # a 5xx or a dropped connection: back off and try again
                log.warning("update %s: network error while sending (try %d): %s",
                            update.update_id, attempt + 1, exc)
                if attempt < MAX_RETRIES:
                    await asyncio.sleep(RETRY_BACKOFF * 2 ** attempt)
        log.warning("update %s: reply not sent after %d tries", update.update_id, MAX_RETRIES + 1)
        return False

    async def _mark_blocked(self, user_id: int) -> None:
        log.info("Telegram user %s blocked the bot; marking them inactive", user_id)
        async with self.core.store.session() as session:
            await mark_inactive(session, PLATFORM, str(user_id))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("Telegram error (update %s)", update_id, exc_info=context.error)


async def serve_telegram(core: Core, settings: Settings) -> None:
    """Serve Telegram until cancelled (Ctrl-C), then stop cleanly."""
    adapter = TelegramAdapter(core, settings)
    await adapter.start()
    try:
        await asyncio.Event().wait()
    finally:
        await adapter.stop()
