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

The pace is kept by `bot.telegram.pacing`; outcomes are recorded by `bot.telegram.outcomes`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import heapq
import itertools
import json
import logging
import os
import re
import secrets
import socket
import time
from collections import deque
from datetime import timedelta

from telegram import Bot, InputFile
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.settings import Settings, SettingsError
from bot.telegram.outcomes import Ledger, Outcome, WorkerStats
from bot.telegram.pacing import Pacer, retry_seconds
from bot.telegram.render import Part, render, units
from bot.telegram.transport import make_bot
from handlers.domain.outbound import from_payload
from handlers.kernel.messages import Attachment
from storage import deliveries
from storage.models import Delivery
from storage.store import Store

CAPTION_LIMIT = 1024  # Telegram's limit for a file's caption (the HTML is at most that long)

log = logging.getLogger(__name__)

PLATFORM = "telegram"
BACKOFF_BASE = 2.0  # seconds before the first retry of a transient failure; doubles each time
BACKOFF_CAP = 300.0
_CHAT = re.compile(r"-?\d+")


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
        self.backoff_base = backoff_base
        self.keep_times = keep_times
        self.stats = WorkerStats()
        self._ready: deque[Delivery] = deque()
        # Rows waiting for their chat's next free second, in order, and when each chat is due.
        self._waiting: dict[str, deque[Delivery]] = {}
        self._deferred: list[tuple[float, int, str]] = []  # heap of (due, seq, chat id)
        self._seq = itertools.count()
        self._in_flight: dict[int, Delivery] = {}
        self.ledger = Ledger(store, self.name, self.stats, self.wake, flush_every)  # outcomes
        self._parts_done: dict[int, int] = {}  # a split message resumes after its sent parts
        self._chat_last: dict[str, float] = {}
        # Files Telegram already holds, by (name, digest) -> file_id: a reminder run sends ONE
        # .ics to thousands, uploaded once and then named (a cache only: lost, it re-uploads).
        self._uploaded: dict[tuple[str, bytes], str] = {}
        self._claiming: asyncio.Task[int] | None = None
        self._drained_until = 0.0  # the queue was empty: don't ask again before this
        self._slots = asyncio.Semaphore(max_in_flight)
        self._wake = asyncio.Event()  # the main loop: new rows may be due

    # ---- the main loop ----

    async def run(self, stop: asyncio.Event | None = None, until_idle: bool = False) -> WorkerStats:
        stop = stop or asyncio.Event()
        background = [asyncio.create_task(self.ledger.flush_loop()),
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
                await self.pacer.slot(stop)
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
        if self._ready or self._waiting or self._in_flight or self.ledger.pending:
            return False
        await self.ledger.check_finished(force=True)
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
        self.ledger.add(outcome)

    async def _deliver(self, row: Delivery) -> Outcome:
        chat = _chat_ref(row.chat_id)
        if chat is None:
            return Outcome(row, "failed", f"no Telegram chat {row.chat_id!r}")
        parts, file, file_key, captioned = _prepared(json.dumps(row.payload, sort_keys=True))
        total = len(parts) + (file is not None and not captioned)
        done = self._parts_done.get(row.id, 0)
        first = True  # the main loop took this call's first slot; a split message's later
        while done < total:  # parts take their own, and keep the per-chat second apart
            if not first:
                await self.pacer.slot()
                wait = self._chat_wait(row.chat_id)
                if wait > 0:
                    await asyncio.sleep(wait)
            self._count_call()
            try:
                # HTML, no previews: the bot's defaults (bot.telegram.transport.DEFAULTS)
                if captioned:
                    assert file is not None
                    known = self._uploaded.get(file_key)
                    try:
                        sent = await self.bot.send_document(
                            chat, known or InputFile(file.content, filename=file.filename),
                            caption=parts[0].html, reply_markup=parts[0].keyboard)
                    except BadRequest:
                        if known is None:
                            raise
                        del self._uploaded[file_key]  # Telegram no longer knows it: upload again
                        first = False
                        continue
                    if known is None and sent.document is not None:
                        self._uploaded[file_key] = sent.document.file_id
                elif done < len(parts):
                    part = parts[done]
                    await self.bot.send_message(chat, part.html,
                                                reply_markup=part.keyboard)
                else:
                    assert file is not None
                    await self.bot.send_document(chat, InputFile(file.content,
                                                                 filename=file.filename))
            except RetryAfter as exc:
                wait = retry_seconds(exc)
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
                await self.ledger.call(deliveries.update_chat, row.id, row.chat_id)
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

    # ---- leases ----

    async def _renew_loop(self) -> None:
        every = max(self.lease.total_seconds() / 3, 0.2)
        while True:
            await asyncio.sleep(every)
            held = ([d.id for d in self._ready] + [d.id for q in self._waiting.values() for d in q]
                    + list(self._in_flight) + [o.delivery.id for o in self.ledger.pending])
            if held:
                try:
                    kept = await self.ledger.call(deliveries.renew, held, self.name, self.lease)
                    if kept < len(held):
                        log.warning("%d claimed deliveries were lost to another worker",
                                    len(held) - kept)
                except Exception as exc:
                    log.warning("renewing leases failed: %s", exc)
            cutoff = time.monotonic() - self.per_chat_interval
            self._chat_last = {c: t for c, t in self._chat_last.items() if t > cutoff}

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
        self.ledger.pending += [Outcome(d, "release") for d in unsent]
        with contextlib.suppress(Exception):
            await self.ledger.flush()
            await self.ledger.check_finished(force=True)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)


@functools.lru_cache(maxsize=16)
def _prepared(payload: str) -> tuple[tuple[Part, ...], Attachment | None, tuple[str, bytes], bool]:
    """A queued reply (its payload as canonical JSON) as Telegram parts, its file, the file's
    cache key and whether the file carries the text as its caption. Kept for the last few
    payloads: a reminder run or a broadcast sends one payload to thousands, rendered once."""
    reply = from_payload(json.loads(payload))
    parts = tuple(render(reply))
    file = reply.attachment
    key = (file.filename, hashlib.sha256(file.content).digest()) if file else ("", b"")
    # A file (a reminder's calendar entry) carries a short text as its caption, one call;
    # after a longer text it follows as one more part.
    captioned = file is not None and len(parts) == 1 and units(parts[0].html) <= CAPTION_LIMIT
    return parts, file, key, captioned


def _chat_ref(chat_id: str) -> int | str | None:
    """Telegram takes numeric ids, or @usernames for channels; anything else is not a chat."""
    if _CHAT.fullmatch(chat_id):
        return int(chat_id)
    return chat_id if chat_id.startswith("@") else None


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
