"""Durable intake: an update is acknowledged to Telegram only once its handling has finished.

python-telegram-bot's own Updater confirms the getUpdates offset as soon as it has *fetched* a
batch, and its webhook server answers 200 before the update is processed, so a process killed
in between loses every update it had taken. Here:

- **Polling**: the offset sent to getUpdates is the lowest update id still in hand, so Telegram
  keeps (and sends again after a restart) every update whose handling has not finished. Updates
  already in hand are not dispatched twice by this process; whatever a restarted process fetches
  again is taken at most once by the claim in the core's transaction.
- **Webhook**: the HTTP request is answered after the update's handling finished; a store that
  was unavailable answers 503, so Telegram delivers the update again later.

Malformed webhook bodies get 400 with one short log line, never a traceback.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
from typing import Any

from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # bytes; Telegram's updates are far smaller
PROGRESS_WAIT = 0.25  # seconds to wait for an update in hand to finish before polling again
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
    """Tracks the updates in hand, for the polling offset and the webhook answers."""

    def __init__(self) -> None:
        self.in_hand: collections.Counter[int] = collections.Counter()  # update id -> copies
        self.dispatched_to = 0  # the highest update id this process has taken
        self._progress = asyncio.Event()
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
        else:
            self.in_hand[update.update_id] -= 1
        self._progress.set()

    def offset(self) -> int:
        """The getUpdates offset that confirms exactly the updates whose handling finished."""
        if self.in_hand:
            return min(self.in_hand)
        return self.dispatched_to + 1 if self.dispatched_to else 0

    # ---- polling ----

    async def poll(self, bot: Bot, queue: asyncio.Queue[object], timeout: int,
                   allowed_updates: list[str]) -> None:
        """Fetch updates until cancelled, putting each new one on the application's queue."""
        backoff = 1.0
        while True:
            try:
                updates = await bot.get_updates(offset=self.offset(), timeout=timeout,
                                                allowed_updates=allowed_updates)
            except InvalidToken:
                raise
            except TelegramError as exc:  # network trouble, 5xx, a conflict: back off, go on
                log.warning("getUpdates failed: %s", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            last = self.dispatched_to
            fresh = [u for u in updates if u.update_id > last]
            for update in fresh:
                self.taking(update)
                await queue.put(update)
            if not fresh and self.in_hand:
                # Telegram answers at once while updates in hand are unconfirmed: rather than
                # asking again straight away, wait until one of them finishes (or a moment).
                self._progress.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._progress.wait(), PROGRESS_WAIT)

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait (bounded) until no update is in hand."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.in_hand:
                    self._progress.clear()
                    await self._progress.wait()

    async def confirm(self, bot: Bot) -> None:
        """Tell Telegram which updates are done (on a clean stop); harmless when it fails."""
        if not self.dispatched_to:
            return
        try:
            await bot.get_updates(offset=self.offset(), timeout=0, limit=1)
        except TelegramError as exc:
            log.warning("could not confirm the update offset: %s", exc)

    # ---- webhook ----

    async def through_webhook(self, update: Update, queue: asyncio.Queue[object]) -> str:
        """Hand the update on and wait for its outcome."""
        waiter = self.taking(update)
        await queue.put(update)
        return await asyncio.shield(waiter)
