"""The Slack delivery worker: drains Delivery rows with platform "slack" from the store.

New-EOI notices for the officers' channel that are waiting together go out as ONE message (up to
15 EOIs a message, each with its buttons); everything else is a neutral Reply sent as it is, in a
thread when its payload names one (`thread_ts`, or a case's thread). A case's notice records its
ts as the case's thread. Every `reminder_every` seconds the worker also queues reminders for
cases left unanswered (handlers.domain.cases.queue_reminders).
Slack allows about one message a second per channel, so sends to a channel are spaced by
`per_channel` seconds. A rate limit or network failure puts the row back with a delay; a
permanent refusal (unknown channel, bot removed...) marks it failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import health
from bot.settings import Settings
from bot.slack.render import SlackMessage, escape, plain, render
from handlers.domain.cases import queue_reminders
from handlers.domain.notices import new_eoi_notice
from handlers.domain.outbound import from_payload
from handlers.kernel.core import Core
from handlers.kernel.messages import Reply
from handlers.kernel.text import t
from storage import deliveries
from storage.cases import get_case, set_thread
from storage.deliveries import OFFICER_CHANNEL
from storage.models import Delivery

log = logging.getLogger(__name__)

PLATFORM = "slack"
EOIS_PER_MESSAGE = 15  # each takes up to 3 blocks: well within 50
MAX_ATTEMPTS = 6
PERMANENT = {"channel_not_found", "not_in_channel", "is_archived", "invalid_blocks",
             "msg_too_long", "no_text", "user_not_found", "cannot_dm_bot", "invalid_arguments",
             "restricted_action", "account_inactive", "invalid_auth", "not_authed"}


class SlackWorker:
    def __init__(self, core: Core, settings: Settings, client: AsyncWebClient, *,
                 poll_seconds: float = 1.0, per_channel: float = 1.0, batch: int = 100,
                 reminder_every: float = 60.0) -> None:
        self.core = core
        self.settings = settings
        self.client = client
        self.poll_seconds = poll_seconds
        self.per_channel = per_channel
        self.batch = batch
        self.reminder_every = reminder_every
        self.worker_id = f"slack-{uuid.uuid4().hex[:12]}"
        self._last_send: dict[str, float] = {}
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def remind_once(self) -> int:
        """Queue reminders for cases unanswered past DIPS_CASE_REMINDER_HOURS (each once)."""
        async with self.core.store.session() as session:
            return await queue_reminders(session, self.core.clock(),
                                         self.settings.case_reminder_hours)

    async def run(self) -> None:
        next_check = 0.0
        while not self._stopping.is_set():
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + self.reminder_every
                try:
                    await self.remind_once()
                except Exception:
                    log.exception("case reminder check failed")
            try:
                sent = await self.drain_once()
            except Exception:  # the store may be briefly unreachable: keep the worker alive
                log.exception("Slack delivery worker pass failed")
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.poll_seconds)

    async def drain_once(self) -> int:
        """Claim due rows and send them; returns how many rows were handled."""
        async with self.core.store.session() as session:
            rows = await deliveries.claim(session, PLATFORM, self.worker_id, self.batch)
        if not rows:
            return 0
        notices = [d for d in rows if d.kind == "new_eoi" and d.chat_id == OFFICER_CHANNEL]
        others = [d for d in rows if d not in notices]
        for start in range(0, len(notices), EOIS_PER_MESSAGE):
            await self._send_notices(notices[start:start + EOIS_PER_MESSAGE], len(notices))
        for delivery in others:
            await self._send_one(delivery)
        return len(rows)

    def _channel(self, chat_id: str) -> str:
        return self.settings.slack_channel if chat_id == OFFICER_CHANNEL else chat_id

    async def _notice(self, ids: list[int], total: int) -> list[Reply]:
        async with self.core.store.session() as session:
            replies = await new_eoi_notice(session, ids)
        if replies:
            title = ("New expression of interest" if total == 1
                     else f"{total} new expressions of interest")
            replies[0] = Reply(replies[0].text, replies[0].buttons, None, title)
        return replies

    async def _send_notices(self, rows: list[Delivery], total: int) -> None:
        ids = [int(d.payload.get("eoi_id", 0)) for d in rows]
        await self._post(rows, self._channel(OFFICER_CHANNEL), await self._notice(ids, total),
                         group=ids)

    async def _redact(self, delivery: Delivery) -> None:
        """Replace messages about an SME who asked to be forgotten: a grouped new-EOI notice is
        rendered again (the erased EOI now shows no details), anything else becomes a neutral
        line. A message already gone counts as done."""
        channel, group = self._channel(delivery.chat_id), list(delivery.payload.get("group") or [])
        messages = render(await self._notice(group, len(group)))[0] if group else []
        neutral = t("erased_message")
        try:
            for i, ts in enumerate(delivery.payload.get("ts") or []):
                message = messages[i] if i < len(messages) else SlackMessage(
                    escape(neutral), [plain(escape(neutral))])
                await self._pace(channel)
                try:
                    await self.client.chat_update(channel=channel, ts=ts, text=message.text,
                                                  blocks=message.blocks)
                except SlackApiError as exc:
                    error = str(exc.response.get("error", ""))
                    if error in ("cant_update_message", "edit_window_closed"):
                        await self.client.chat_delete(channel=channel, ts=ts)
                    elif error != "message_not_found":
                        raise
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            await self._failure([delivery], channel, exc)
            return
        await self._finish(delivery, "sent", "")

    async def _send_one(self, delivery: Delivery) -> None:
        payload = delivery.payload
        if delivery.kind == deliveries.REDACT:
            await self._redact(delivery)
            return
        if "text" not in payload:
            await self._finish(delivery, "failed", f"unknown payload for kind {delivery.kind}")
            return
        # "thread_ts"/"reply_broadcast": rows queued by earlier versions, still honoured.
        channel, thread = self._channel(delivery.chat_id), payload.get("thread_ts")
        case_id = payload.get("case_id")
        if case_id and payload.get("thread") and not thread:  # the case's thread, found now
            async with self.core.store.session() as session:
                case = await get_case(session, int(case_id))
            if case is not None and case.slack_ts:
                channel, thread = case.slack_channel or channel, case.slack_ts
        ts = await self._post([delivery], channel, [from_payload(payload)], thread_ts=thread,
                              reply_broadcast=bool(payload.get("also_in_channel")
                                                   or payload.get("reply_broadcast")))
        if ts and case_id and not payload.get("thread"):  # a case's notice heads its thread
            async with self.core.store.session() as session:
                await set_thread(session, int(case_id), channel, ts)

    async def _post(self, rows: list[Delivery], channel: str, replies: list[Reply],
                    thread_ts: str | None = None, reply_broadcast: bool = False,
                    group: list[int] | None = None) -> str | None:
        """Post and record the outcome (with where it went, for an erasure); returns the first
        message's ts when sent."""
        if not channel:
            await self._finish_all(rows, "failed", "DIPS_SLACK_CHANNEL is not set")
            return None
        messages, _ = render(replies)
        threading: dict[str, object] = {"thread_ts": thread_ts} if thread_ts else {}
        if thread_ts and reply_broadcast:
            threading["reply_broadcast"] = True
        stamps: list[str] = []
        try:
            for message in messages:
                await self._pace(channel)
                posted = await self.client.chat_postMessage(
                    channel=channel, text=message.text, blocks=message.blocks,
                    unfurl_links=False, **threading)  # type: ignore[arg-type]
                if posted.get("ts"):
                    stamps.append(str(posted.get("ts")))
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            await self._failure(rows, channel, exc)
            return None
        where = {"channel": channel, "ts": stamps, **({"group": group} if group else {})}
        await self._finish_all(rows, "sent", "", posted=where)
        return stamps[0] if stamps else None

    async def _failure(self, rows: list[Delivery], channel: str, exc: Exception) -> None:
        if not isinstance(exc, SlackApiError):
            await self._finish_all(rows, "retry", f"{type(exc).__name__}: {exc}")
            return
        error = str(exc.response.get("error", "error"))
        if error == "ratelimited":
            wait = float(exc.response.headers.get("Retry-After", 30) or 30)
            await self._finish_all(rows, "retry", error, wait)
        elif error in PERMANENT:
            log.warning("Slack refused a delivery to %s: %s", channel, error)
            await self._finish_all(rows, "failed", error)
        else:
            await self._finish_all(rows, "retry", error)

    async def _pace(self, channel: str) -> None:
        """At most one message per `per_channel` seconds to one channel."""
        wait = self._last_send.get(channel, 0.0) + self.per_channel - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_send[channel] = time.monotonic()

    async def _finish_all(self, rows: list[Delivery], outcome: str, error: str,
                          wait: float | None = None, posted: dict[str, Any] | None = None) -> None:
        for delivery in rows:
            await self._finish(delivery, outcome, error, wait, posted)

    async def _finish(self, delivery: Delivery, outcome: str, error: str,
                      wait: float | None = None, posted: dict[str, Any] | None = None) -> None:
        async with self.core.store.session() as session:
            if outcome == "sent":
                recorded = await deliveries.mark_sent(session, delivery.id, self.worker_id, posted)
                if (not recorded and posted
                        and await deliveries.status_of(session, delivery.id) == "erased"):
                    # The SME was forgotten while this was on its way: take it back.
                    await deliveries.enqueue_redaction(session, posted)
            elif outcome == "retry" and delivery.attempts < MAX_ATTEMPTS:
                delay = wait if wait is not None else min(300.0, 5.0 * 2 ** delivery.attempts)
                await deliveries.retry_later(session, delivery.id, self.worker_id,
                                             timedelta(seconds=delay), error)
                return
            else:
                await deliveries.mark_failed(session, delivery.id, self.worker_id, error)
        health.count_delivery("slack", outcome == "sent")

