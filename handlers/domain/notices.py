"""The officers' channel notice for new EOIs, built for the delivery workers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.buttons import OfficerEoi, StageMove
from handlers.domain.stages import stage_label
from handlers.kernel.messages import Reply, buttons
from handlers.kernel.text import t
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
            t("officer_eois.new_notice", reference=e.reference, organisation=org.name,
              size=org.size_band, city=org.city, country=org.country, title=e.challenge.title,
              ref=e.challenge.ref, summary=e.summary[:500]),
            buttons([(t("button.details"), OfficerEoi(e.id)),
                     (stage_label("exploration"), StageMove(e.id, f"exploration@{e.stage}")),
                     (stage_label("not-selected"), StageMove(e.id, f"not-selected@{e.stage}"))])))
    return replies
