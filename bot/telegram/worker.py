"""The Telegram delivery worker: drains the store's delivery queue within Telegram's limits.

Rows are claimed in small batches with a lease (renewed while held), sent at an even pace
(one global slot every 1/rate seconds, never a burst; at most one message a second per chat),
and their outcomes recorded in short batched transactions. A worker killed at any moment leaves
its unrecorded rows `sending`; when their lease runs out another worker sends them again, so a
crash can duplicate only the messages in flight at that moment, never lose one.

Errors: RetryAfter pauses every send for the time asked and puts the message back in line;
Forbidden (blocked or deleted) marks the identity inactive and fails the row for good;
ChatMigrated moves the chat id and sends again; BadRequest fails the row (repeating cannot
help); TimedOut and other NetworkErrors retry with exponential backoff up to a cap of attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import os
import re
import secrets
import socket
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.settings import Settings, SettingsError
from bot.telegram.adapter import AiohttpRequest
from bot.telegram.render import render
from handlers.domain.broadcasts import on_finished
from handlers.domain.outbound import from_payload
from storage import deliveries
from storage.models import Delivery
from storage.store import Store

log = logging.getLogger(__name__)

PLATFORM = "telegram"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
BACKOFF_BASE = 2.0  # seconds before the first retry of a transient failure; doubles each time
BACKOFF_CAP = 300.0
FINISH_CHECK_EVERY = 1.0  # seconds between checks whether a touched broadcast has finished
_CHAT = re.compile(r"-?\d+")


class Pacer:
    """Hands out send slots 1/rate apart on an ideal timeline; a pause moves every slot later.

    Slots are reserved before sleeping, so concurrent callers never share one, and a late
    wake-up does not push later slots back (no drift); a stall longer than `catch_up` restarts
    the timeline at now rather than bursting to catch up, since Telegram counts bursts.
    """

    def __init__(self, rate: float, catch_up: float = 0.02) -> None:
        self.interval = 1.0 / rate
        # A slot missed by at most this long (an event-loop hiccup) is still used, at once;
        # so any one-second window holds at most rate * (1 + catch_up) sends.
        self.catch_up = catch_up
        self._next = 0.0
        self.paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    async def slot(self) -> None:
        while True:
            now = time.monotonic()
            at = max(self._next, now - self.catch_up, self.paused_until)
            self._next = at + self.interval
            if at > now:
                await asyncio.sleep(at - now)
            if self.paused_until <= time.monotonic():  # else a pause began while we waited
                return


@dataclass
class Outcome:
    delivery: Delivery
    result: str  # sent | failed | blocked | retry | release
    error: str = ""
    delay: float = 0.0


@dataclass
class WorkerStats:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    retried: int = 0  # transient failures put back with backoff
    rate_limited: int = 0  # 429 answers seen
    migrated: int = 0
    timed_out: int = 0  # sends that may have arrived although they failed
    calls: int = 0  # sendMessage requests made, refused ones included
    store_seconds: float = 0.0  # time spent waiting on the store (claim, outcomes, leases)
    first_call: float | None = None
    last_call: float | None = None
    call_times: list[float] = field(default_factory=list)  # monotonic, when `keep_times`

    def achieved_rate(self) -> float:
        if self.first_call is None or self.last_call is None or self.calls < 2:
            return 0.0
        return (self.calls - 1) / max(self.last_call - self.first_call, 1e-9)


class Worker:
    """One delivery worker for one bot. `run()` serves until `stop` is set (or, with
    `until_idle`, until the platform's queue is empty), then hands back what it still holds."""

    def __init__(self, store: Store, bot: Bot, *, rate: float = 25.0, per_chat_interval: float = 1.0,
                 lease: timedelta = timedelta(seconds=30), max_attempts: int = 5,
                 batch: int | None = None, name: str | None = None, idle_poll: float = 0.5,
                 max_in_flight: int = 64, flush_every: float = 0.05,
                 backoff_base: float = BACKOFF_BASE, keep_times: bool = False) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.store = store
        self.bot = bot
        self.pacer = Pacer(rate)
        self.per_chat_interval = per_chat_interval
        self.lease = lease
        self.max_attempts = max_attempts
        # About a second of work per claim: few rows in flight at a crash, few claims a second.
        self.batch = batch or max(1, min(200, round(rate)))
        self.name = name or f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(3)}"
        self.idle_poll = idle_poll
        self.max_in_flight = max_in_flight
        self.flush_every = flush_every
        self.backoff_base = backoff_base
        self.keep_times = keep_times
        self.stats = WorkerStats()
        self._ready: deque[Delivery] = deque()
        # Rows waiting for their chat's next free second, in order, and when each chat is due.
        self._waiting: dict[str, deque[Delivery]] = {}
        self._deferred: list[tuple[float, int, str]] = []  # heap of (due, seq, chat id)
        self._seq = itertools.count()
        self._in_flight: dict[int, Delivery] = {}
        self._outcomes: list[Outcome] = []
        self._parts_done: dict[int, int] = {}  # a split message resumes after its sent parts
        self._chat_last: dict[str, float] = {}
        self._touched: set[int] = set()  # broadcasts with outcomes since the last finish check
        self._last_finish_check = 0.0
        self._claiming: asyncio.Task[int] | None = None
        self._drained_until = 0.0  # the queue was empty: don't ask again before this
        self._slots = asyncio.Semaphore(max_in_flight)
        self._wake = asyncio.Event()  # the main loop: new rows may be due
        self._flush_now = asyncio.Event()  # the flusher: many outcomes are waiting
        self._flush_lock = asyncio.Lock()

    # ---- the main loop ----

    async def run(self, stop: asyncio.Event | None = None, until_idle: bool = False) -> WorkerStats:
        stop = stop or asyncio.Event()
        background = [asyncio.create_task(self._flush_loop()),
                      asyncio.create_task(self._renew_loop())]
        try:
            while not stop.is_set():
                row = await self._next()
                if row is None:
                    if until_idle and await self._idle():
                        break
                    await self._sleep_until_work(stop)
                    continue
                await self._slots.acquire()
                await _until(self.pacer.slot(), stop)
                if stop.is_set():
                    self._slots.release()
                    self._ready.appendleft(row)
                    break
                self._launch(row)
        finally:
            await self._shutdown(background)
        return self.stats

    def _launch(self, row: Delivery) -> None:
        self._in_flight[row.id] = row
        self._chat_last[row.chat_id] = time.monotonic()
        task = asyncio.create_task(self._send(row))
        task.add_done_callback(lambda _t: self._slots.release())

    async def _next(self) -> Delivery | None:
        """The next row whose chat may take a message now, keeping each chat's order."""
        while True:
            now = time.monotonic()
            if self._deferred and self._deferred[0][0] <= now:
                _, _, chat = heapq.heappop(self._deferred)
                wait = self._chat_wait(chat)
                if wait > 0:
                    heapq.heappush(self._deferred, (now + wait, next(self._seq), chat))
                    continue
                waiting = self._waiting[chat]
                row = waiting.popleft()
                if waiting:
                    heapq.heappush(self._deferred,
                                   (now + self.per_chat_interval, next(self._seq), chat))
                else:
                    del self._waiting[chat]
                return row
            if len(self._ready) <= self.batch // 2:
                self._start_claim()  # prefetch, so the pace never waits on the store
            if not self._ready and self._claiming is not None:
                await asyncio.shield(self._claiming)
            if not self._ready:
                return None
            row = self._ready.popleft()
            wait = self._chat_wait(row.chat_id)
            if wait <= 0 and row.chat_id not in self._waiting:
                return row
            if row.chat_id not in self._waiting:
                self._waiting[row.chat_id] = deque()
                heapq.heappush(self._deferred, (now + max(wait, 0.0), next(self._seq), row.chat_id))
            self._waiting[row.chat_id].append(row)

    def _start_claim(self) -> None:
        if self._claiming is not None and not self._claiming.done():
            return
        if time.monotonic() < self._drained_until:
            return
        held = len(self._ready) + self._n_waiting() + len(self._in_flight)
        if held >= 2 * self.batch + self.max_in_flight:
            return
        self._claiming = asyncio.create_task(self._claim())

    async def _claim(self) -> int:
        started = time.monotonic()
        try:
            async with self.store.session() as session:
                rows = await deliveries.claim(session, PLATFORM, self.name, self.batch,
                                              lease=self.lease)
        except Exception as exc:  # the store is down: keep what we hold, try again shortly
            log.warning("claiming deliveries failed: %s", exc)
            rows = []
        finally:
            self.stats.store_seconds += time.monotonic() - started
        self._ready.extend(rows)
        if len(rows) < self.batch:
            self._drained_until = time.monotonic() + self.idle_poll
        return len(rows)

    async def _sleep_until_work(self, stop: asyncio.Event) -> None:
        due = self._deferred[0][0] - time.monotonic() if self._deferred else self.idle_poll
        wait = max(0.0, min(due, self._drained_until - time.monotonic(), self.idle_poll))
        self._wake.clear()
        stopping = asyncio.create_task(stop.wait())
        woken = asyncio.create_task(self._wake.wait())
        await asyncio.wait({stopping, woken}, timeout=max(wait, 0.005),
                           return_when=asyncio.FIRST_COMPLETED)
        for task in (stopping, woken):
            task.cancel()

    async def _idle(self) -> bool:
        """Nothing held or unrecorded here, and nothing left for this platform in the store."""
        if self._ready or self._waiting or self._in_flight or self._outcomes:
            return False
        await self._check_finished(force=True)
        async with self.store.session() as session:
            return await deliveries.pending_count(session, PLATFORM) == 0

    def wake(self) -> None:
        """New rows were queued in this process: look now instead of at the next poll."""
        self._drained_until = 0.0
        self._wake.set()

    def _n_waiting(self) -> int:
        return sum(len(q) for q in self._waiting.values())

    def _chat_wait(self, chat_id: str) -> float:
        last = self._chat_last.get(chat_id)
        return 0.0 if last is None else last + self.per_chat_interval - time.monotonic()

    # ---- one message ----

    async def _send(self, row: Delivery) -> None:
        try:
            outcome = await self._deliver(row)
        except Exception as exc:  # a bug or a broken payload must not stop the worker
            log.exception("delivery %s could not be sent", row.id)
            outcome = Outcome(row, "failed", f"{type(exc).__name__}: {exc}")
        del self._in_flight[row.id]
        if outcome.result == "again":  # rate limited: back in line, after the pause
            self._ready.appendleft(row)
            return
        self._parts_done.pop(row.id, None)
        self._outcomes.append(outcome)
        if len(self._outcomes) >= 50:
            self._flush_now.set()

    async def _deliver(self, row: Delivery) -> Outcome:
        chat = _chat_ref(row.chat_id)
        if chat is None:
            return Outcome(row, "failed", f"no Telegram chat {row.chat_id!r}")
        parts = render(from_payload(row.payload))
        done = self._parts_done.get(row.id, 0)
        first = True  # the main loop took this call's first slot; a split message's later
        while done < len(parts):  # parts take their own, and keep the per-chat second apart
            if not first:
                await self.pacer.slot()
                wait = self._chat_wait(row.chat_id)
                if wait > 0:
                    await asyncio.sleep(wait)
            part = parts[done]
            self._count_call()
            try:
                await self.bot.send_message(chat, part.html, parse_mode=ParseMode.HTML,
                                            reply_markup=part.keyboard,
                                            link_preview_options=NO_PREVIEW)
            except RetryAfter as exc:
                wait = _retry_seconds(exc)
                self.stats.rate_limited += 1
                log.warning("Telegram flood control: pausing all sends for %.1f s", wait)
                self.pacer.pause(wait)
                return Outcome(row, "again")
            except Forbidden as exc:
                return Outcome(row, "blocked", str(exc))
            except ChatMigrated as exc:
                self.stats.migrated += 1
                row.chat_id = str(exc.new_chat_id)
                chat = exc.new_chat_id
                await self._store_call(deliveries.update_chat, row.id, row.chat_id)
                first = False  # the retry to the new id takes a slot of its own
                continue
            except BadRequest as exc:  # a subclass of NetworkError: must come before it
                return Outcome(row, "failed", f"BadRequest: {exc}")
            except NetworkError as exc:  # TimedOut included: it may have arrived all the same
                return self._transient(row, exc)
            except TelegramError as exc:  # e.g. a 5xx we can't classify: treat as transient
                return self._transient(row, exc)
            finally:
                self._chat_last[row.chat_id] = time.monotonic()
            done += 1
            first = False
            self._parts_done[row.id] = done
        return Outcome(row, "sent")

    def _transient(self, row: Delivery, exc: TelegramError) -> Outcome:
        if type(exc).__name__ == "TimedOut":
            self.stats.timed_out += 1
        error = f"{type(exc).__name__}: {exc}"
        if row.attempts >= self.max_attempts:
            return Outcome(row, "failed", f"gave up after {row.attempts} attempts: {error}")
        delay = min(self.backoff_base * 2 ** max(row.attempts - 1, 0), BACKOFF_CAP)
        return Outcome(row, "retry", error, delay)

    def _count_call(self) -> None:
        now = time.monotonic()
        self.stats.calls += 1
        if self.stats.first_call is None:
            self.stats.first_call = now
        self.stats.last_call = now
        if self.keep_times:
            self.stats.call_times.append(now)

    # ---- recording outcomes, leases, finished broadcasts ----

    async def _flush_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.flush_every):
                    await self._flush_now.wait()
            self._flush_now.clear()  # (a set event would never yield: a busy loop)
            await self.flush()
            await self._check_finished()

    async def flush(self) -> None:
        """Record every outcome gathered so far in one short transaction."""
        async with self._flush_lock:
            batch, self._outcomes = self._outcomes, []
            if not batch:
                return
            try:
                await self._store_call(self._record, batch)
            except Exception as exc:  # keep them: the next flush tries again (leases are renewed)
                log.warning("recording %d delivery outcomes failed: %s", len(batch), exc)
                self._outcomes[:0] = batch
                return
        for o in batch:
            if o.delivery.broadcast_id is not None:
                self._touched.add(o.delivery.broadcast_id)
            if o.result == "sent":
                self.stats.sent += 1
            elif o.result in ("failed", "blocked"):
                self.stats.failed += 1
                self.stats.blocked += o.result == "blocked"
            elif o.result == "retry":
                self.stats.retried += 1

    async def _record(self, session: AsyncSession, batch: list[Outcome]) -> None:
        await deliveries.mark_sent_many(
            session, [o.delivery.id for o in batch if o.result == "sent"], self.name)
        for o in batch:
            d = o.delivery
            if o.result == "failed":
                await deliveries.mark_failed(session, d.id, self.name, o.error)
            elif o.result == "blocked":
                if await deliveries.mark_failed(session, d.id, self.name, f"blocked: {o.error}") \
                        and d.identity_id is not None:
                    await deliveries.deactivate(session, d.identity_id)
            elif o.result == "retry":
                await deliveries.retry_later(session, d.id, self.name,
                                             timedelta(seconds=o.delay), o.error)
            elif o.result == "release":
                await deliveries.release(session, d.id, self.name, timedelta(0))

    async def _check_finished(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self._touched or (not force and now - self._last_finish_check < FINISH_CHECK_EVERY):
            return
        self._last_finish_check = now
        touched, self._touched = self._touched, set()
        for broadcast_id in touched:
            try:
                async with self.store.session() as session:
                    if await on_finished(session, broadcast_id):
                        log.info("broadcast %s finished; report queued", broadcast_id)
                        self.wake()  # the report is a delivery too
            except Exception as exc:
                log.warning("finishing broadcast %s failed: %s", broadcast_id, exc)
                self._touched.add(broadcast_id)

    async def _renew_loop(self) -> None:
        every = max(self.lease.total_seconds() / 3, 0.2)
        while True:
            await asyncio.sleep(every)
            held = ([d.id for d in self._ready] + [d.id for q in self._waiting.values() for d in q]
                    + list(self._in_flight) + [o.delivery.id for o in self._outcomes])
            if held:
                try:
                    kept = await self._store_call(deliveries.renew, held, self.name, self.lease)
                    if kept < len(held):
                        log.warning("%d claimed deliveries were lost to another worker",
                                    len(held) - kept)
                except Exception as exc:
                    log.warning("renewing leases failed: %s", exc)
            cutoff = time.monotonic() - self.per_chat_interval
            self._chat_last = {c: t for c, t in self._chat_last.items() if t > cutoff}

    async def _store_call(self, func: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        started = time.monotonic()
        try:
            async with self.store.session() as session:
                return await func(session, *args)
        finally:
            self.stats.store_seconds += time.monotonic() - started

    async def _shutdown(self, background: list[asyncio.Task[None]]) -> None:
        """Let sends in flight finish, record them, and give back what was never sent."""
        if self._claiming is not None:
            with contextlib.suppress(Exception):
                await self._claiming
        deadline = time.monotonic() + 10
        while self._in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        unsent = list(self._ready) + [d for q in self._waiting.values() for d in q]
        self._ready.clear()
        self._waiting.clear()
        self._deferred.clear()
        self._outcomes += [Outcome(d, "release") for d in unsent]
        with contextlib.suppress(Exception):
            await self.flush()
            await self._check_finished(force=True)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)


async def _until(work: Awaitable[None], stop: asyncio.Event) -> None:
    """Wait for `work` (a send slot, maybe after a long flood wait) unless stopped first."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _chat_ref(chat_id: str) -> int | str | None:
    """Telegram takes numeric ids, or @usernames for channels; anything else is not a chat."""
    if _CHAT.fullmatch(chat_id):
        return int(chat_id)
    return chat_id if chat_id.startswith("@") else None


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the int form will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def make_bot(settings: Settings, pool: int = 64) -> Bot:
    """A Bot on the adapter's aiohttp transport (cheaper per call than httpx), with a
    connection pool as wide as the sends a worker keeps in flight."""
    return Bot(settings.telegram_token, base_url=settings.telegram_api_url,
               request=AiohttpRequest(pool_size=pool))


def worker_from_settings(store: Store, settings: Settings, bot: Bot | None = None) -> Worker:
    try:
        rate = float(settings.telegram_rate)  # settings hand non-int values over as text
    except ValueError:
        raise SettingsError(
            f"DIPS_TELEGRAM_RATE must be a number, got {settings.telegram_rate!r}") from None
    if rate <= 0:
        raise SettingsError("DIPS_TELEGRAM_RATE must be positive")
    return Worker(store, bot or make_bot(settings), rate=rate,
                  lease=timedelta(seconds=int(settings.delivery_lease)),
                  max_attempts=int(settings.delivery_max_attempts))


async def run_worker(store: Store, settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Serve the Telegram queue until `stop` is set or the task is cancelled."""
    worker = worker_from_settings(store, settings)
    stop = stop or asyncio.Event()
    async with worker.bot:
        log.info("delivery worker %s started at %.1f messages a second", worker.name,
                 1 / worker.pacer.interval)
        runner = asyncio.create_task(worker.run(stop))
        try:
            await asyncio.shield(runner)
        except asyncio.CancelledError:  # Ctrl-C in `dips run`: hand back held rows first
            stop.set()
            await runner
            raise
