"""The weekly digest: one message listing the week's new calls that match a subscriber who
chose it instead of an alert per call (announcements skip them; see broadcasts.plan)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, cast

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.buttons import AlertMode, ShowChallenge, StopAlerts
from handlers.domain.challenge_text import localised
from handlers.domain.outbound import to_payload, worded_for
from handlers.engines.matching.subscribers import subscribers_matching
from handlers.kernel.messages import Reply, Row, buttons
from handlers.kernel.text import t
from storage import audit, challenges, deliveries
from storage.models import Broadcast, Challenge, Identity
from storage.subscriptions import weekly_identities

if TYPE_CHECKING:
    from handlers.engines.matching.index import ChallengeLike

KIND = "digest"
WEEK = timedelta(days=7)


def digest(calls: list[Challenge]) -> Reply:
    named = [(c, localised(c)[0]) for c in calls]  # the title in the reader's language
    lines = [t("digest.item", title=title, ref=c.ref, date=c.closes) if c.closes
             else t("digest.item_open", title=title, ref=c.ref) for c, title in named]
    rows: list[Row] = [[(title[:60], ShowChallenge(c.ref))] for c, title in named[:8]]
    rows.append([(t("digest.to_immediate"), AlertMode("immediate")),
                 (t("announcement.stop"), StopAlerts())])
    return Reply("\n".join(lines), buttons(*rows), None, t("digest.title", n=len(calls)))


async def new_calls(session: AsyncSession, now: datetime,
                    since: datetime | None = None) -> list[Challenge]:
    """Challenges opened since `since` (a week before `now` by default; by the audit log) and
    still open."""
    refs = await audit.targets(session, "challenge_open", since or now - WEEK, now)
    today = now.date()
    found = [await challenges.get_challenge(session, ref) for ref in refs]
    return [c for c in found if c is not None and c.is_open(today)]


async def send_weekly(session: AsyncSession, now: datetime, not_before: datetime | None,
                      since: datetime | None = None) -> Broadcast | None:
    """Queue each weekly subscriber their digest of the calls opened since `since` (none for
    someone nothing matched)."""
    weekly = await weekly_identities(session)
    if not weekly:
        return None
    per_person: dict[int, tuple[Identity, list[Challenge]]] = {}
    matched: dict[int, list[Challenge]] = defaultdict(list)
    for call in await new_calls(session, now, since):
        for identity, _ in await subscribers_matching(session, cast("ChallengeLike", call)):
            if identity.id in weekly:
                matched[identity.id].append(call)
                per_person[identity.id] = (identity, matched[identity.id])
    return await deliveries.create_broadcast(
        session, kind=KIND, challenge_id=None, audience="weekly", created_by="scheduler",
        recipients=[(i, to_payload(worded_for(i, partial(digest, calls))))
                    for i, calls in per_person.values()],
        not_before=not_before)
