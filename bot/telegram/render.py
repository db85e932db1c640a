"""Neutral replies as Telegram messages: HTML-escaped text, split to fit, inline keyboards.

Pure functions (no network), so the escaping and splitting rules are tested on their own.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.kernel.messages import Button, Reply

MESSAGE_LIMIT = 4096  # Telegram's limit for one message's text
TITLE_LIMIT = 256  # a title is a heading, never worth a message of its own


@dataclass(frozen=True)
class Part:
    """One sendMessage: HTML text and, on the last part of a reply, its keyboard."""

    html: str
    keyboard: InlineKeyboardMarkup | None = None


def escape(text: str) -> str:
    """Escape for Telegram HTML text; quotes stay literal since no text goes into attributes."""
    return html.escape(text, quote=False)


def units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units), so emoji cannot push a part over."""
    return len(text.encode("utf-16-le")) // 2


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        tuple(tuple(InlineKeyboardButton(b.label, callback_data=b.data) for b in row)
              for row in rows if row)
    )


def _cut_long_line(line: str, limit: int) -> list[str]:
    """Pieces of one over-long line, at spaces where possible, each fitting once escaped."""
    pieces: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if units(escape(candidate)) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        current = ""
        for char in word:  # a single word longer than a message: cut between characters
            if units(escape(current + char)) > limit:
                pieces.append(current)
                current = ""
            current += char
    if current:
        pieces.append(current)
    return pieces


def split_text(text: str, limit: int = MESSAGE_LIMIT, first_limit: int | None = None) -> list[str]:
    """Escaped chunks of plain `text`, broken at line ends, each within `limit` units.

    Escaping happens per line before measuring, so an entity like `&amp;` is never cut in two.
    `first_limit` leaves room for a heading on the first chunk.
    """
    chunks: list[str] = []
    lines: list[str] = []
    size = 0
    budget = limit if first_limit is None else first_limit

    def flush() -> None:
        nonlocal lines, size, budget
        body = "\n".join(lines).strip("\n")
        if body.strip():
            chunks.append(body)
        lines, size, budget = [], 0, limit

    for raw in text.split("\n"):
        pieces = [escape(raw)] if units(escape(raw)) <= limit else [
            escape(p) for p in _cut_long_line(raw, limit)]
        for piece in pieces:
            cost = units(piece) + (1 if lines else 0)
            if lines and size + cost > budget:
                flush()
                cost = units(piece)
            elif not lines and cost > budget:  # only the first chunk's reserve is too small
                flush()
            lines.append(piece)
            size += cost
    flush()
    return chunks


def render(reply: Reply, limit: int = MESSAGE_LIMIT) -> list[Part]:
    """The messages for one reply: title in bold on the first, keyboard on the last."""
    heading = f"<b>{escape(reply.title[:TITLE_LIMIT])}</b>\n\n" if reply.title else ""
    chunks = split_text(reply.text, limit, first_limit=limit - units(heading))
    if not chunks:
        if not heading:
            return []
        chunks = [""]
    if heading:
        chunks[0] = (heading + chunks[0]).rstrip("\n")
    markup = keyboard(reply.buttons)
    return [Part(chunk, markup if i == len(chunks) - 1 else None)
            for i, chunk in enumerate(chunks)]
