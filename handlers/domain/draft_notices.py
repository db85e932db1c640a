"""Telling officers and admins about drafts through the delivery queue, and publishing the
challenges approved for a date that has come (a job of the scheduler's, handlers/domain/
calendar.py): on the day, the author is told and the approver is offered the announcement's
preview.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain import drafts
from handlers.domain.officer_buttons import BroadcastPreview
from handlers.domain.outbound import to_payload
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.messages import Reply, buttons
from handlers.kernel.text import t
from storage import deliveries, people, reviews
from storage.models import Challenge


async def publish_due(session: AsyncSession, now: datetime,
                      only: int | None = None) -> list[Challenge]:
    """Publish the challenges approved for a date that has come (or just `only`); tell author
    and approver."""
    done = await drafts.publish_due(session, now, only)
    for c in done:
        review = await reviews.review_of(session, c.id)
        if review is None:
            continue
        await tell(session, review.author, t("drafts.told_published_on_day", title=c.title, ref=c.ref))
        if review.decided_by:
            await tell(session, review.decided_by,
                       t("drafts.approved_now_open", title=c.title, ref=c.ref),
                       [(t("drafts.announce_button"), BroadcastPreview(c.ref))])
    return done


async def tell(session: AsyncSession, actor: str, text: str,
               rows: list[tuple[str, CallbackData]] | None = None) -> None:
    """An officer or admin ("slack:U123") is told through the queue (in Slack, a direct message)."""
    platform, _, user = actor.partition(":")
    person = await people.get_identity(session, platform, user)
    if person is None:
        return
    chat = person.external_id if platform == "slack" else person.chat_id
    if chat:
        await deliveries.enqueue_to_chat(session, platform, chat, "notice",
                                         to_payload(Reply(text, buttons(*([rows] if rows else [])))),
                                         identity_id=person.id)
