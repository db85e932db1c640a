"""The one scheduler: plans the calendar's jobs and runs the due ones, in every replica.

`tick()` is the whole of it; `run()` calls it every `interval` seconds until stopped. The
clock is a parameter, so tests move time rather than wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime

from handlers.domain import calendar
from handlers.domain.calendar import CalendarConfig
from storage import schedule
from storage.models import utcnow
from storage.store import Store

log = logging.getLogger("dips.scheduler")

Clock = Callable[[], datetime]


class Scheduler:
    def __init__(self, store: Store, cfg: CalendarConfig | None = None,
                 clock: Clock = utcnow, name: str | None = None) -> None:
        self.store = store
        self.cfg = cfg or CalendarConfig()
        self.clock = clock
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:sched"

    async def tick(self) -> list[str]:
        """Plan, then run every due job (each in its own transaction); returns the kinds run
        (a failed job counts too: it was taken and set aside)."""
        now = self.clock()
        async with self.store.session() as session:
            await calendar.plan(session, now, self.cfg)
        ran: list[str] = []
        while True:
            job_id = None
            try:
                async with self.store.session() as session:
                    job = await schedule.claim_due(session, now, self.name)
                    if job is None:
                        return ran
                    job_id, kind = job.id, job.kind
                    await calendar.run(session, job, now, self.cfg)
            except Exception as exc:  # rolled back; set aside so it can't block the rest
                if job_id is None:
                    raise
                log.exception("scheduled job %s failed", job_id)
                async with self.store.session() as session:
                    await schedule.mark_failed(session, job_id, now, f"{type(exc).__name__}: {exc}")
            ran.append(kind)

    async def run(self, stop: asyncio.Event | None = None, interval: float = 60.0) -> None:
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:  # a bad job or a lost connection must not stop the loop
                log.exception("scheduler tick failed; trying again in %.0f s", interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
