"""Keeping to Telegram's pace: even send slots for the worker, and flood control's wait."""

from __future__ import annotations

import asyncio
import contextlib
import time
import warnings
from datetime import timedelta

from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

SHORT_WAIT = 0.1  # seconds: a wait for a send slot this short is not worth watching `stop` for


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

    def _reserve(self) -> float:
        """Take the next slot; the seconds until it comes."""
        now = time.monotonic()
        at = max(self._next, now - self.catch_up, self.paused_until)
        self._next = at + self.interval
        return at - now

    async def slot(self, stop: asyncio.Event | None = None) -> None:
        """Wait for the next slot; with `stop`, return early (without one) when it is set
        during a long wait (a flood pause). The usual few milliseconds are just slept:
        watching `stop` for them was a task per send."""
        while stop is None or not stop.is_set():
            wait = self._reserve()
            if stop is not None and wait > SHORT_WAIT:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await stop.wait()
            elif wait > 0:
                await asyncio.sleep(wait)
            if self.paused_until <= time.monotonic():  # else a pause began while we waited
                return


def retry_seconds(exc: RetryAfter) -> float:
    """The seconds Telegram's flood control asks us to wait."""
    with warnings.catch_warnings():  # PTB 22 warns that the int form will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
