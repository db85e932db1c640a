"""What every `dips` command shares: its signature, the store it opens, the core's settings."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.settings import Settings
from handlers.kernel.core import CoreConfig
from storage.store import Store, open_store

# Written first in CSV files: without it, Excel reads UTF-8 as a legacy code page ("GÃ¤vle").
BOM = "\ufeff".encode()

Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]


def core_config(settings: Settings) -> CoreConfig:
    return CoreConfig(council_contact_url=settings.council_contact_url,
                      team_contact=settings.team_contact,
                      undo_window=timedelta(minutes=settings.undo_minutes),
                      retention_days=settings.retention_days)


async def open_cli_store(settings: Settings) -> Store:
    return await open_store(settings.database_url)


def input_lines(args: argparse.Namespace) -> list[str]:
    if args.text == ["-"]:
        return [line.rstrip("\n") for line in sys.stdin]
    return [" ".join(args.text)]
