"""Durable intake: Telegram hears an update arrived only once it is safe in the store or handled.

python-telegram-bot's own Updater confirms the getUpdates offset as soon as it has *fetched* a
batch, and its webhook server answers 200 before the update is processed, so a process killed
in between loses every update it had taken. Here:

- **Polling**: each fetched batch is written to the store's inbox (`storage.inbox`, one
  transaction) before the next getUpdates confirms it; a row is deleted once its update has
  been handled. At start-up, rows left by a process that died are handled first. Long polling
  stays long polling: the offset always moves past what was fetched.
- **Webhook**: the HTTP request is answered after the update's handling finished; a store that
  was unavailable answers 503, so Telegram delivers the update again later.

Exactly-once stays the claim in the core's transaction (`storage.updates`): an update handled
and then found in the inbox again (killed before its row was deleted) is a duplicate there.

Malformed webhook bodies get 400 with one short log line, never a traceback.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError

from storage import inbox

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # bytes; Telegram's updates are far smaller
STORE_RETRY = 1.0  # seconds before keeping a batch is tried again when the store failed
UNAVAILABLE = "unavailable"  # the outcome of an update the store could not take


class BadUpdate(ValueError):
    """A webhook body that is not a Telegram update."""


def parse_update(body: bytes, bot: Bot) -> Update:
    """The update in a webhook body, or BadUpdate: never any other exception."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # not JSON, or nested past the parser's depth
        raise BadUpdate("not JSON") from exc
    if not isinstance(data, dict):
        raise BadUpdate(f"a JSON {type(data).__name__}, not an object")
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise BadUpdate("no integer update_id")
    if not 0 <= update_id < 2**63:  # the store keeps it in a signed 64-bit column
        raise BadUpdate("an update_id out of range")
    try:
        update = Update.de_json(data, bot)
    except RecursionError as exc:
        raise BadUpdate("nested too deeply") from exc
    except Exception as exc:  # PTB's parsers assume well-formed objects (dicts, lists, ints)
        raise BadUpdate(f"malformed update {update_id} ({type(exc).__name__})") from exc
    if update is None:
        raise BadUpdate("empty update")
    if not _well_formed(update):
        raise BadUpdate(f"malformed update {update_id} (fields of the wrong type)")
    return update


def _user(user: Any, optional: bool = True) -> bool:
    if user is None:
        return optional
    return isinstance(user.id, int) and all(
        isinstance(getattr(user, name, None), str | None)
        for name in ("first_name", "last_name", "username"))


def _chat(chat: Any) -> bool:
    return chat is not None and isinstance(chat.id, int) and isinstance(chat.type, str)


def _message(message: Any) -> bool:
    """PTB builds objects without checking Telegram's required fields or their types."""
    if message is None:
        return True
    try:
        entities = list(message.entities or ()) + list(message.caption_entities or ())
        return (_chat(message.chat) and _user(message.from_user)
                and isinstance(message.text, str | None) and isinstance(message.caption, str | None)
                and all(isinstance(e.offset, int) and isinstance(e.length, int)
                        and isinstance(e.type, str) for e in entities))
    except (AttributeError, TypeError):
        return False


def _well_formed(update: Update) -> bool:
    try:
        query, member = update.callback_query, update.my_chat_member
        return (all(_message(m) for m in (update.message, update.edited_message,
                                          update.channel_post, update.edited_channel_post))
                and (query is None or (_user(query.from_user, optional=False)
                                       and _message(query.message)
                                       and isinstance(query.id, str)))
                and (member is None or (_chat(member.chat)
                                        and _user(member.from_user, optional=False)
                                        and isinstance(member.new_chat_member.status, str))))
    except (AttributeError, TypeError):
        return False


class Intake:
    """The updates in hand: the inbox rows of polled ones, the webhook's waiting answers."""

    def __init__(self, engine: AsyncEngine, platform: str = "telegram") -> None:
        self.engine = engine
        self.platform = platform
        self.in_hand: collections.Counter[int] = collections.Counter()  # update id -> copies
        self.dispatched_to = 0  # the highest update id this process has taken
        self.offset = 0  # the next getUpdates offset: past everything fetched and kept
        self._kept: set[int] = set()  # ids in hand that have an inbox row
        self._to_forget: list[int] = []  # inbox rows whose update has been handled
        self._forgetting: asyncio.Task[None] | None = None  # clearing them while running
        self._forget_lock = asyncio.Lock()  # one DELETE at a time: each takes a prefix off
        self._progress = asyncio.Event()
        self._stopping = asyncio.Event()
        self._fetching = False  # in getUpdates: the only await a stop may cancel
        self._waiters: dict[int, asyncio.Future[str]] = {}  # id(Update) -> its outcome

    # ---- bookkeeping ----

    def taking(self, update: Update) -> asyncio.Future[str]:
        """Count an update in hand; the future resolves with its outcome."""
        self.in_hand[update.update_id] += 1
        self.dispatched_to = max(self.dispatched_to, update.update_id)
        waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiters[id(update)] = waiter
        return waiter

    def finished(self, update: Update, outcome: str) -> None:
        waiter = self._waiters.pop(id(update), None)
        if waiter is not None and not waiter.done():
            waiter.set_result(outcome)
        if self.in_hand[update.update_id] <= 1:
            del self.in_hand[update.update_id]
            if update.update_id in self._kept:
                self._kept.discard(update.update_id)
                # A store that could not take it leaves its row: handled at the next start.
                if outcome != UNAVAILABLE:
                    self._to_forget.append(update.update_id)
                    self._forget_soon()
        else:
            self.in_hand[update.update_id] -= 1
        self._progress.set()

    # ---- the inbox ----

    async def replay(self, bot: Bot, queue: asyncio.Queue[object]) -> int:
        """Hand on what a process that died had fetched and not handled; how many."""
        async with self.engine.begin() as connection:
            rows = await inbox.waiting(connection, self.platform)
        broken = []
        for update_id, payload in rows:
            try:
                update = parse_update(payload.encode(), bot)
            except BadUpdate:
                broken.append(update_id)
                continue
            self._take_kept(update)
            await queue.put(update)
        self._to_forget.extend(broken)
        self._forget_soon()
        if rows:
            log.info("handling %d updates fetched before a restart", len(rows) - len(broken))
        return len(rows) - len(broken)

    def _take_kept(self, update: Update) -> None:
        self.taking(update)
        self._kept.add(update.update_id)

    def _forget_soon(self) -> None:
        """Clear handled rows as handling ends, not only between getUpdates calls: a long poll
        waits up to its timeout, so rows of a replay or of a burst's tail would otherwise wait
        for the next update or a clean stop. One task at a time; each pass deletes what has
        queued up meanwhile in one statement."""
        if self._to_forget and (self._forgetting is None or self._forgetting.done()):
            self._forgetting = asyncio.get_running_loop().create_task(
                self._forget_all(), name="inbox-forget")

    async def _forget_all(self) -> None:
        while self._to_forget and await self.forget_handled():
            pass  # a failure leaves them to the next finished update, poll turn or stop

    async def forget_handled(self) -> bool:
        """Delete the inbox rows of handled updates (in one statement; kept for later on
        failure, then False)."""
        async with self._forget_lock:  # two at once would each take the other's ids off
            if not self._to_forget:
                return True
            done = list(self._to_forget)  # taken off only once deleted: a stop may cancel this
            try:
                async with self.engine.begin() as connection:
                    await inbox.handled(connection, self.platform, done)
            except (SQLAlchemyError, OSError) as exc:
                log.warning("could not clear %d handled updates from the inbox: %s", len(done),
                            type(exc).__name__)
                return False
            del self._to_forget[:len(done)]
            return True

    async def _keep(self, updates: list[Update]) -> bool:
        try:
            async with self.engine.begin() as connection:
                await inbox.keep(connection, self.platform,
                                 [(u.update_id, u.to_json()) for u in updates])
        except (SQLAlchemyError, OSError) as exc:
            log.warning("could not keep %d fetched updates (will fetch them again): %s",
                        len(updates), type(exc).__name__)
            return False
        return True

    # ---- polling ----

    async def poll(self, bot: Bot, queue: asyncio.Queue[object], timeout: int,
                   allowed_updates: list[str]) -> None:
        """Fetch updates until `stop_polling()`, keeping each batch in the inbox before the
        next getUpdates confirms it, and putting each new update on the application's queue.

        Every wait here also ends on `stop_polling()`, and the loop checks it on each turn:
        stopping never rests on a cancellation reaching this task (Python 3.11's
        `asyncio.wait_for` can swallow one, which once left a stopped adapter polling for ever).
        """
        backoff = 1.0
        while not self._stopping.is_set():
            await self.forget_handled()
            self._fetching = True
            try:
                updates = await bot.get_updates(offset=self.offset or None, timeout=timeout,
                                                allowed_updates=allowed_updates)
            except InvalidToken:
                raise
            except TelegramError as exc:  # network trouble, 5xx, a conflict: back off, go on
                if self._stopping.is_set():
                    return
                log.warning("getUpdates failed: %s", exc)
                await self._pause(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            finally:
                self._fetching = False
            backoff = 1.0
            if self._stopping.is_set() or not updates:
                continue  # fetched but not kept: not confirmed either, so fetched again later
            fresh = [u for u in updates if u.update_id > self.dispatched_to]
            if not await self._keep(fresh):
                await self._pause(STORE_RETRY)
                continue
            for update in fresh:
                self._take_kept(update)
                await queue.put(update)
            self.offset = max(u.update_id for u in updates) + 1

    async def _pause(self, seconds: float) -> None:
        """Sleep until `seconds` pass or `stop_polling()` is called."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopping.wait()

    async def stop_polling(self, task: asyncio.Task[None], grace: float = 5.0) -> None:
        """End the poll loop: at once when it waits, else when its getUpdates returns
        (bounded: a request that never ends is abandoned, not waited for). Only a getUpdates
        is cancelled: cut short, the inbox's writes would leave a connection mid-transaction."""
        self._stopping.set()
        if self._fetching:
            task.cancel()
        done, _ = await asyncio.wait({task}, timeout=grace)
        if not done:
            log.warning("the getUpdates poller did not stop within %.0f s; abandoned", grace)
        elif not task.cancelled() and task.exception() is not None:
            log.warning("the getUpdates poller had failed: %s", type(task.exception()).__name__)

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait (bounded) until no update is in hand."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.in_hand:
                    self._progress.clear()
                    await self._progress.wait()

    async def confirm(self, bot: Bot) -> None:
        """Tell Telegram which updates are done (on a clean stop); harmless when it fails."""
        await self.forget_handled()
        if not self.offset:
            return
        try:
            await bot.get_updates(offset=self.offset, timeout=0, limit=1)
        except TelegramError as exc:
            log.warning("could not confirm the update offset: %s", exc)

    # ---- webhook ----

    async def through_webhook(self, update: Update, queue: asyncio.Queue[object]) -> str:
        """Hand the update on and wait for its outcome."""
        waiter = self.taking(update)
        await queue.put(update)
        return await asyncio.shield(waiter)
