"""What every `dips` command shares: its signature, the store it opens, the core's settings."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import timedelta
from typing import TextIO, TypeVar

from tqdm import tqdm

from bot.settings import Settings, clock_time, quiet_window, weekday
from handlers.domain.calendar import CalendarConfig
from handlers.kernel.core import CoreConfig
from storage.store import Store, open_store

# Written first in CSV files: without it, Excel reads UTF-8 as a legacy code page ("GÃ¤vle").
BOM = "\ufeff".encode()

Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]


def calendar_config(settings: Settings) -> CalendarConfig:
    quiet_start, quiet_end = quiet_window(settings.quiet_hours)
    return CalendarConfig(timezone=settings.timezone,
                          closing_time=clock_time("DIPS_CLOSING_TIME", settings.closing_time),
                          quiet_start=quiet_start, quiet_end=quiet_end,
                          retention_days=settings.retention_days,
                          unmoved_days=settings.unmoved_days,
                          digest_day=weekday(settings.digest_day),
                          digest_at=clock_time("DIPS_DIGEST_TIME", settings.digest_time),
                          nudge_before=timedelta(hours=settings.nudge_hours))


def core_config(settings: Settings) -> CoreConfig:
    calendar = calendar_config(settings)  # what the core says of the calendar's settings
    return CoreConfig(council_contact_url=settings.council_contact_url,
                      team_contact=settings.team_contact,
                      undo_window=timedelta(minutes=settings.undo_minutes),
                      retention_days=settings.retention_days,
                      digest_day=calendar.digest_day, timezone=calendar.timezone,
                      closing_time=calendar.closing_time)


async def open_cli_store(settings: Settings) -> Store:
    return await open_store(settings.database_url)


def input_lines(args: argparse.Namespace) -> list[str]:
    if args.text == ["-"]:
        return [line.rstrip("\n") for line in sys.stdin]
    return [" ".join(args.text)]


T = TypeVar("T")
PROGRESS_AFTER = 1.0  # seconds: quick work shows no progress at all
PLAIN_EVERY = 5.0  # seconds between plain progress lines when the output is not a terminal


def progress(items: Sequence[T], what: str, unit: str = "item", out: TextIO | None = None,
             after: float = PROGRESS_AFTER) -> Iterator[T]:
    """`items`, with progress on standard error once the work takes more than `after` seconds:
    a live bar (rate, time left) on a terminal, a plain line every few seconds otherwise."""
    out = out or sys.stderr
    if out.isatty():
        yield from tqdm(items, desc=what, unit=unit, file=out, delay=after, leave=False)
        return
    started = last = time.monotonic()
    shown = False
    for i, item in enumerate(items):
        now = time.monotonic()
        if now - started >= after and (not shown or now - last >= PLAIN_EVERY):
            out.write(f"{what}: {i} of {len(items)} {unit}s\n")
            out.flush()
            shown, last = True, now
        yield item
    if shown:
        out.write(f"{what}: {len(items)} of {len(items)} {unit}s, done\n")
        out.flush()
