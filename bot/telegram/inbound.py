"""Telegram updates in: the neutral `Incoming` for an update, and per-user ordering.

Updates run concurrently across users, but one user's updates one at a time, in arrival order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.constants import ChatType, MessageEntityType
from telegram.ext import BaseUpdateProcessor

from handlers.kernel.messages import Incoming, Speaker

PLATFORM = "telegram"


class PerUserOrder(BaseUpdateProcessor):
    """Runs updates concurrently, but one user's updates one at a time, in arrival order.

    PTB starts one task per update in arrival order, and each task reaches the lock below
    without yielding first; asyncio.Lock wakes waiters first-in first-out, so order holds.
    Locks exist only while a user has updates in flight, so the table stays small.
    """

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _order_key(update)
        if key is None:
            await coroutine
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _order_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None


def to_incoming(update: Update) -> Incoming | None:
    """The neutral message for a private-chat update, or None when there is nothing to hand on."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE:
        return None  # SMEs talk to the bot one to one; groups are not a supported channel
    speaker = Speaker(PLATFORM, str(user.id), chat_id=str(chat.id),
                      display_name=user.full_name[:200] or None)
    language = user.language_code  # read by the core on first contact only
    query = update.callback_query
    if query is not None:
        return (Incoming(speaker, button=query.data, language=language)
                if isinstance(query.data, str) else None)
    message = update.message
    if message is None:
        return None
    # A photo or file counts by its caption, if any: that is what they typed.
    text = message.text if message.text is not None else message.caption
    if text is None:
        return None
    entities = message.entities if message.text is not None else message.caption_entities
    first = entities[0] if entities else None
    if first is not None and first.type == MessageEntityType.BOT_COMMAND and first.offset == 0:
        name = text[1:first.length].split("@", 1)[0].lower()
        return Incoming(speaker, command=name, args=text[first.length:].strip(), language=language)
    return Incoming(speaker, text=text, language=language)
