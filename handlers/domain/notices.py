"""The officers' channel notice for new EOIs, built for the delivery workers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.buttons import OfficerEoi, StageMove
from handlers.kernel.messages import Reply, buttons
from storage import eois


async def new_eoi_notice(session: AsyncSession, eoi_ids: list[int]) -> list[Reply]:
    """The officers' channel notice for new EOIs: one reply each, with buttons to act on it."""
    replies = []
    for eoi_id in eoi_ids:
        e = await eois.get_eoi(session, eoi_id)
        if e is None:  # deleted since it was queued
            continue
        org = e.organisation
        replies.append(Reply(
            f"{e.reference} from {org.name} ({org.size_band}, {org.city}, {org.country}) on "
            f"\u201c{e.challenge.title}\u201d [{e.challenge.ref}]\n{e.summary[:500]}",
            buttons([("Details", OfficerEoi(e.id)),
                     ("Exploration", StageMove(e.id, f"exploration@{e.stage}")),
                     ("Not selected", StageMove(e.id, f"not-selected@{e.stage}"))])))
    return replies
