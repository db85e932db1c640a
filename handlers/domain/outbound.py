"""Messages the core sends later or elsewhere, through the store's delivery queue.

A payload is a neutral Reply as JSON, so the worker of the recipient's platform renders it
exactly as its adapter renders a direct reply.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kernel.messages import Attachment, Reply, buttons
from handlers.kernel.text import speaking
from storage import deliveries
from storage.models import Delivery, Identity


def to_payload(reply: Reply) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "text": reply.text, "title": reply.title,
        "buttons": [[[b.label, b.data] for b in row] for row in reply.buttons]}
    if reply.attachment is not None:  # small files only (a calendar entry): JSON holds text
        a = reply.attachment
        payload["file"] = [a.filename, base64.b64encode(a.content).decode(), a.mime_type]
    return payload


def from_payload(payload: dict[str, Any]) -> Reply:
    attachment = None
    if payload.get("file"):
        name, content, mime = payload["file"]
        attachment = Attachment(name, base64.b64decode(content), mime)
    return Reply(payload["text"], buttons(*payload.get("buttons", [])), attachment,
                 payload.get("title"))


def worded_for(identity: Identity, build: Callable[[], Reply]) -> Reply:
    """`build()` worded in `identity`'s language: whoever triggers a message (an officer, an
    admin), its recipient reads it in their own."""
    with speaking(identity.language):
        return build()


def worded_for_each(people: Iterable[Identity], build: Callable[[], Reply],
                    ) -> list[tuple[Identity, dict[str, Any]]]:
    """One message for many (a reminder run): each person's payload worded in their language,
    built once per language."""
    built: dict[str | None, dict[str, Any]] = {}
    out = []
    for person in people:
        if person.language not in built:
            built[person.language] = to_payload(worded_for(person, build))
        out.append((person, built[person.language]))
    return out


async def notify(session: AsyncSession, identity: Identity | None, kind: str,
                 build: Callable[[], Reply]) -> Delivery | None:
    """Queue the reply `build()` makes, worded for `identity` (in the caller's transaction);
    None if unreachable."""
    if identity is None:
        return None
    return await deliveries.enqueue(session, identity, kind, to_payload(worded_for(identity, build)))
