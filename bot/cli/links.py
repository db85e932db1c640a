"""Deep links for posters and web pages: `dips challenges link REF` prints
t.me/<bot>?start=<ref> (the /start payload opens that challenge) and writes its QR code."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import segno

from bot.cli.common import open_cli_store
from bot.settings import Settings
from storage import challenges

# Telegram's start parameter: up to 64 of A-Z, a-z, 0-9, _ and -.
_START = re.compile(r"[A-Za-z0-9_-]{1,64}")


async def bot_username(settings: Settings) -> str:
    """DIPS_TELEGRAM_USERNAME, else the bot's own name from getMe; "" when neither is known."""
    if settings.telegram_username:
        return settings.telegram_username.lstrip("@")
    if not settings.telegram_token:
        return ""
    from bot.telegram.transport import make_bot

    async with make_bot(settings, pool=1) as bot:
        return bot.username


def deep_link(username: str, ref: str) -> str:
    return f"https://t.me/{username}?start={ref}"


def write_qr(link: str, path: Path) -> None:
    """A PNG that prints sharply on a poster (10 pixels a module, the standard quiet zone)."""
    segno.make(link, error="m", micro=False).save(str(path), kind="png", scale=10, border=4)


async def cmd_challenges_link(args: argparse.Namespace, settings: Settings) -> int:
    ref = args.ref.strip().lower()
    if not _START.fullmatch(ref):
        print(f"dips: {ref!r} can't be a Telegram start link (letters, digits, _ and - only, "
              "up to 64)", file=sys.stderr)
        return 2
    store = await open_cli_store(settings)
    try:
        async with store.session() as session:
            challenge = await challenges.get_challenge(session, ref)
    finally:
        await store.close()
    if challenge is None:
        print(f"dips: no challenge {ref!r}", file=sys.stderr)
        return 1
    username = await bot_username(settings)
    if not username:
        print("dips: set DIPS_TELEGRAM_USERNAME (the bot's @name) or DIPS_TELEGRAM_TOKEN to make "
              "the link", file=sys.stderr)
        return 2
    link = deep_link(username, ref)
    target = Path(args.qr or f"dips-{ref}-qr.png")
    write_qr(link, target)
    print(link)
    note = f" (it is {challenge.status}: SMEs can register interest once it is open)" \
        if challenge.status != "open" else ""
    print(f"QR code for posters: {target}{note}", file=sys.stderr)
    return 0
