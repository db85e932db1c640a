"""Keeping to Telegram's pace: even send slots for the worker, and flood control's wait."""

from __future__ import annotations

import asyncio
import contextlib
import time
import warnings
from collections.abc import Awaitable
from datetime import timedelta

from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning


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


async def wait_unless_stopped(work: Awaitable[None], stop: asyncio.Event) -> None:
    """Wait for `work` (a send slot, maybe after a long flood wait) unless stopped first."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def retry_seconds(exc: RetryAfter) -> float:
    """The seconds Telegram's flood control asks us to wait."""
    with warnings.catch_warnings():  # PTB 22 warns that the int form will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
