"""What the Telegram delivery worker did: send outcomes, recorded in short batched transactions.

The ledger also counts the time spent waiting on the store, and notices when a broadcast whose
rows it recorded has finished (its report to the officer is queued as one more delivery).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import health
from handlers.domain.broadcasts import on_finished
from storage import deliveries
from storage.models import Delivery
from storage.store import Store

log = logging.getLogger("bot.telegram.worker")  # the worker's records keep its logger name

FINISH_CHECK_EVERY = 1.0  # seconds between checks whether a touched broadcast has finished
FLUSH_AT = 50  # outcomes waiting that make the flusher record them at once


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


class Ledger:
    """One worker's outcomes on their way to the store, and its broadcasts that may be done.

    `on_report` is called when a finished broadcast's report was queued, so the worker looks
    for it at once.
    """

    def __init__(self, store: Store, name: str, stats: WorkerStats, on_report: Callable[[], None],
                 flush_every: float) -> None:
        self.store = store
        self.name = name
        self.stats = stats
        self.flush_every = flush_every
        self.pending: list[Outcome] = []  # gathered, not yet recorded
        self._on_report = on_report
        self._touched: set[int] = set()  # broadcasts with outcomes since the last finish check
        self._last_finish_check = 0.0
        self._flush_now = asyncio.Event()  # the flusher: many outcomes are waiting
        self._flush_lock = asyncio.Lock()

    def add(self, outcome: Outcome) -> None:
        self.pending.append(outcome)
        # A send is recorded as soon as the store is free, not at the next tick: a crash can then
        # repeat only the sends in flight and those of one short transaction (under load, sends
        # still gather while a flush runs, so they go in batches all the same).
        if outcome.result == "sent" or len(self.pending) >= FLUSH_AT:
            self._flush_now.set()

    async def flush_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.flush_every):
                    await self._flush_now.wait()
            self._flush_now.clear()  # (a set event would never yield: a busy loop)
            await self.flush()
            await self.check_finished()

    async def flush(self) -> None:
        """Record every outcome gathered so far in one short transaction."""
        async with self._flush_lock:
            batch, self.pending = self.pending, []
            if not batch:
                return
            try:
                await self.call(self._record, batch)
            except Exception as exc:  # keep them: the next flush tries again (leases are renewed)
                log.warning("recording %d delivery outcomes failed: %s", len(batch), exc)
                self.pending[:0] = batch
                return
        for o in batch:
            if o.delivery.broadcast_id is not None:
                self._touched.add(o.delivery.broadcast_id)
            if o.result == "sent":
                self.stats.sent += 1
                health.count_delivery("telegram", True)
            elif o.result in ("failed", "blocked"):
                self.stats.failed += 1
                health.count_delivery("telegram", False)
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

    async def check_finished(self, force: bool = False) -> None:
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
                        self._on_report()  # the report is a delivery too
            except Exception as exc:
                log.warning("finishing broadcast %s failed: %s", broadcast_id, exc)
                self._touched.add(broadcast_id)

    async def call(self, func: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """`func(session, *args)` in a session of its own, its time counted as store time."""
        started = time.monotonic()
        try:
            async with self.store.session() as session:
                return await func(session, *args)
        finally:
            self.stats.store_seconds += time.monotonic() - started
