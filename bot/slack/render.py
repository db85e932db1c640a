"""Neutral replies as Slack Block Kit, within Slack's limits.

Reply text is plain text, and may carry what an SME typed: it goes in `plain_text` text objects
(and titles in header blocks), which Slack never reads as mrkdwn, so `*bold*`, `_x_`, backticks
and `:emoji:` show as typed; `&`, `<` and `>` are escaped everywhere too (so nothing can become
`<!channel>`, a user mention or a link). Section text is cut into pieces of at most 3000
characters, and a turn that needs more than 50 blocks is paged over several messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from handlers.domain.buttons import FORM_BUTTONS, NOTE_BUTTONS
from handlers.domain.officer_buttons import FORM_KINDS
from handlers.kernel.messages import Attachment, Button, Reply

SECTION_LIMIT = 3000
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
BUTTON_LABEL = 75
ACTIONS_PER_BLOCK = 25
FALLBACK_LIMIT = 3000
# action_id prefixes the app listens for: a plain button, and one that asks for a note first.
BUTTON_ACTION = "dips_btn_"
NOTE_ACTION = "dips_note_"
NOTE_CALLBACK = "dips_note"
CASE_ACTION = "dips_case_"  # a case button that opens its form (bot/slack/cases.py)
FORM_ACTION = "dips_form_"  # an officer's tool button that opens its form (bot/slack/forms.py)


def escape(text: str) -> str:
    """Slack's three control characters; `&` first so the others aren't double-escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """Escape, then cut to `limit` characters without splitting an entity like `&amp;`."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[:limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "\u2026"


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Escaped pieces of at most `limit` characters, cut at line ends where possible."""
    pieces: list[str] = []
    current = ""
    for line in escape(text).split("\n"):
        while len(line) > limit:  # one very long line: cut it at a space, outside an entity
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            amp = line.rfind("&", 0, cut)
            if amp != -1 and amp > cut - 6 and ";" not in line[amp:cut]:
                cut = amp
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:cut])
            line = line[cut:].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()] or []


HEADER_LIMIT = 150


def section(text: str) -> dict[str, Any]:
    """Our own mrkdwn: `text` must already be escaped and within the limit."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def plain(text: str) -> dict[str, Any]:
    """A section shown literally (user text): `text` must already be escaped and fit."""
    return {"type": "section", "text": {"type": "plain_text", "text": text, "emoji": False}}


def header(title: str) -> dict[str, Any]:
    return {"type": "header",
            "text": {"type": "plain_text", "text": fit(title, HEADER_LIMIT) or "?", "emoji": False}}


def button_element(button: Button, index: int) -> dict[str, Any]:
    prefix = button.data.partition(":")[0]
    action = (NOTE_ACTION if prefix in NOTE_BUTTONS else
              CASE_ACTION if prefix in FORM_BUTTONS else
              FORM_ACTION if prefix in FORM_KINDS else BUTTON_ACTION)
    return {"type": "button", "action_id": f"{action}{index}",
            "text": {"type": "plain_text", "text": fit(button.label, BUTTON_LABEL) or "?"},
            "value": button.data}


def reply_blocks(reply: Reply, counter: list[int]) -> list[dict[str, Any]]:
    """Blocks for one reply; `counter` keeps action ids unique across a whole message."""
    blocks: list[dict[str, Any]] = []
    if reply.title:
        blocks.append(header(reply.title))
    blocks += [plain(piece) for piece in split_text(reply.text)]
    for row in reply.buttons:
        for start in range(0, len(row), ACTIONS_PER_BLOCK):
            elements = []
            for button in row[start:start + ACTIONS_PER_BLOCK]:
                elements.append(button_element(button, counter[0]))
                counter[0] += 1
            blocks.append({"type": "actions", "elements": elements})
    return blocks


@dataclass
class SlackMessage:
    text: str  # the notification fallback, escaped
    blocks: list[dict[str, Any]] = field(default_factory=list)


def render(replies: list[Reply], limit: int = MESSAGE_BLOCKS) -> tuple[list[SlackMessage], list[Attachment]]:
    """Messages of at most `limit` blocks each, and the files to upload after them."""
    messages: list[SlackMessage] = []
    blocks: list[dict[str, Any]] = []
    fallback: list[str] = []
    counter = [0]
    files = [r.attachment for r in replies if r.attachment is not None]

    def flush() -> None:
        nonlocal blocks, fallback
        if blocks:
            messages.append(SlackMessage(fit(" ".join(fallback), FALLBACK_LIMIT) or "DIPS Assistant",
                                         blocks))
        blocks, fallback = [], []

    for reply in replies:
        for block in reply_blocks(reply, counter):
            if len(blocks) >= limit:
                flush()
            blocks.append(block)
        fallback.append(reply.title or reply.text.split("\n", 1)[0])
    flush()
    return messages, files


def home_view(replies: list[Reply]) -> dict[str, Any]:
    """The App Home tab: every reply's blocks, cut at Slack's 100 blocks for a view."""
    counter = [0]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "DIPS Assistant"}}]
    for reply in replies:
        blocks.append({"type": "divider"})
        blocks += reply_blocks(reply, counter)
    if len(blocks) > VIEW_BLOCKS:
        blocks = [*blocks[:VIEW_BLOCKS - 1], section("_More in /dips challenges and /dips impact._")]
    return {"type": "home", "blocks": blocks}


def note_modal(button_data: str, label: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """The modal before a stage change (or another NOTE_BUTTON): an internal note for officers
    and an optional message to the SME; submitting it shows the move's preview to confirm."""
    def field(block: str, title: str, hint: str) -> dict[str, Any]:
        return {"type": "input", "block_id": block, "optional": True,
                "label": {"type": "plain_text", "text": title},
                "hint": {"type": "plain_text", "text": hint},
                "element": {"type": "plain_text_input", "action_id": block, "multiline": True,
                            "max_length": 1000}}

    return {
        "type": "modal", "callback_id": NOTE_CALLBACK,
        "title": {"type": "plain_text", "text": "DIPS: change stage"},
        "submit": {"type": "plain_text", "text": "Preview"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({**metadata, "b": button_data})[:3000],
        "blocks": [
            plain(fit(f"{label}: you'll see what the SME will be told, and confirm, before "
                        "anything changes.", 2900)),
            field("note", "Internal note (officers only)", "Kept in the EOI's history; never sent."),
            field("message", "Message to the SME (optional)", "Sent with the stage notice."),
        ],
    }
