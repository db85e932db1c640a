"""Platform-neutral messages: what adapters hand to the core and what the core hands back.

Reply text is plain text. Adapters escape it for their platform (Telegram HTML, Slack mrkdwn),
so nothing a user typed can ever turn into markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from handlers.kernel.text import LazyText

PLATFORMS = ("telegram", "slack", "console")
ROLES = ("sme", "officer", "admin")


@dataclass(frozen=True)
class Speaker:
    """Who is talking, as the platform knows them."""

    platform: str
    user_id: str
    chat_id: str | None = None
    display_name: str | None = None


@dataclass(frozen=True)
class Incoming:
    """One thing a user did: typed text, ran a command, or pressed a button."""

    speaker: Speaker
    text: str = ""
    command: str | None = None  # without the slash, lower case
    args: str = ""
    button: str | None = None  # the button's data, as sent back by the platform
    update_id: int | None = None  # the platform's id for it: handled at most once when given
    language: str | None = None  # the platform's language tag for the user (Telegram's
    # language_code), read on first contact: content/locale.py supported()


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # at most 64 bytes (Telegram's callback_data limit)

    def __post_init__(self) -> None:
        if len(self.data.encode()) > 64:
            raise ValueError(f"button data over 64 bytes: {self.data!r}")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "text/csv"


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of buttons
    attachment: Attachment | None = None
    title: str | None = None  # shown emphasised above the text where the platform can


class Packable(Protocol):
    def pack(self) -> str: ...


Row = Sequence[tuple["str | LazyText", "str | Packable"]]


def buttons(*rows: Row) -> tuple[tuple[Button, ...], ...]:
    """Build keyboard rows from (label, data) pairs; data is a declared button kind
    (handlers.kernel.callbacks) or, for data read back from the delivery queue, its packed form."""
    return tuple(tuple(Button(str(label), data if isinstance(data, str) else data.pack())
                       for label, data in row) for row in rows)


@dataclass
class Outbox:
    """Replies gathered while handling one message."""

    replies: list[Reply] = field(default_factory=list)

    def say(self, text: str, *rows: Row, title: str | None = None,
            attachment: Attachment | None = None) -> None:
        self.replies.append(Reply(text, buttons(*rows), attachment, title))
