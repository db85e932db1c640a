"""Announcing challenge calls: who a broadcast would reach, confirming it, its progress and
the final report.

Nothing is written or sent before confirmation. On confirmation the challenge is opened, and the
broadcast with one delivery row per recipient is written in the same transaction as the audit
entry; the platform workers then send the rows at the rate limits, and the first to see the
broadcast finished queues the report (`on_finished`). Platform-neutral: the same functions serve
the admins' chat commands (handlers/admin/broadcast.py), the `dips broadcast` command line and
the delivery workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.buttons import AlertMode, Interest, ShowChallenge, StopAlerts
from handlers.domain.challenge_text import localised
from handlers.domain.outbound import to_payload, worded_for
from handlers.engines.matching.subscribers import subscribers_matching
from handlers.kernel.messages import Reply, buttons
from handlers.kernel.text import t
from storage import challenges, deliveries
from storage.audit import audit
from storage.models import Broadcast, Challenge, Identity, utcnow
from storage.subscriptions import list_active_subscriptions, weekly_identities

if TYPE_CHECKING:
    from handlers.engines.matching.index import ChallengeLike

KIND = "challenge_call"
MATCHING, ALL = "matching", "all"
DEFAULT_RATE = 25.0  # messages a second, for an estimate before any row has been sent
RATE_WINDOW = timedelta(seconds=30)


# ---- what a recipient sees ----

def announcement(challenge: Challenge, matched: list[str]) -> Reply:
    """The message one recipient gets; `matched` are their interests that fit the challenge."""
    why = (t("announcement.why_matched", tags=", ".join(matched))
           if matched else t("announcement.why_subscribed"))
    deadline = (t("announcement.deadline", date=challenge.closes)
                if challenge.closes else t("announcement.no_deadline"))
    title, summary, _ = localised(challenge)
    summary = summary if len(summary) <= 400 else summary[:400].rsplit(" ", 1)[0] + "\u2026"
    text = t("announcement.text", department=challenge.department, summary=summary, why=why,
             deadline=deadline)
    return Reply(text, buttons(
        [(t("button.details"), ShowChallenge(challenge.ref)),
         (t("button.register_interest"), Interest(challenge.ref))],
        [(t("announcement.stop"), StopAlerts()), (t("digest.to_weekly"), AlertMode("weekly"))],
    ), None, t("announcement.title", title=title))


# ---- planning and confirming (shared with the command line) ----

@dataclass
class Audience:
    """Who a broadcast about a challenge would reach, before anything is written."""

    challenge: Challenge
    matching: list[tuple[Identity, list[str]]]  # subscribers whose interests fit, with the tags
    everyone: list[tuple[Identity, list[str]]]  # every active subscriber (tags empty if none fit)
    digest_readers: int = 0  # matching subscribers who chose the weekly digest: left out here

    def recipients(self, audience: str) -> list[tuple[Identity, list[str]]]:
        return self.matching if audience == MATCHING else self.everyone

    def sample(self) -> Reply:
        """The announcement as its first recipient sees it (the challenge's tags if nobody fits)."""
        tags = self.matching[0][1] if self.matching else list(self.challenge.tags)[:3]
        return announcement(self.challenge, tags)


async def plan(session: AsyncSession, ref: str, opening: bool | None = None) -> Audience | None:
    """The audiences for a challenge, minus anyone already sent an announcement about it."""
    challenge = await challenges.get_challenge(session, ref)
    if challenge is None:
        return None
    already = await deliveries.targeted_identities(session, challenge.id, KIND)
    matching = await subscribers_matching(session, cast("ChallengeLike", challenge))
    # Weekly readers it matches hear of it in their next digest, which lists the matching calls
    # opened in the week before it that are still open: so only when this announcement opens
    # it, and it stays open for a week. Anyone else is announced to like every subscriber.
    week = utcnow().date() + timedelta(days=7)
    if opening is None:  # a preview: announcing a draft opens it
        opening = challenge.status == "draft"
    in_digest = opening and (challenge.closes is None or challenge.closes > week)
    weekly = (await weekly_identities(session) & {i.id for i, _ in matching}
              if in_digest else set())
    fitting = {i.id: (i, tags) for i, tags in matching
               if i.id not in already and i.id not in weekly and i.chat_id}
    everyone = [(i, fitting[i.id][1] if i.id in fitting else [])
                for i, _ in await list_active_subscriptions(session)
                if i.id not in already and i.id not in weekly and i.chat_id]
    readers = sum(1 for i, _ in matching if i.id in weekly and i.id not in already and i.chat_id)
    return Audience(challenge, list(fitting.values()), everyone, readers)


async def confirm(session: AsyncSession, ref: str, audience: str, actor: str,
                  notify: dict[str, Any] | None = None) -> tuple[Broadcast | None, Challenge | None]:
    """Open the challenge and write the broadcast, its deliveries and the audit entry at once.

    Recomputed here rather than trusted from the preview, and locked on PostgreSQL, so a
    double-pressed confirm button (or two admins) cannot announce to anyone twice.
    """
    challenge = await challenges.get_challenge(session, ref, lock=True)
    if challenge is None:
        return None, None
    opened = challenge.status == "draft"
    if opened:
        challenge.status = "open"
        await audit(session, actor, "challenge_open", ref)
    if audience not in (MATCHING, ALL):  # publish only
        return None, challenge
    found = await plan(session, ref, opening=opened)
    assert found is not None
    recipients = found.recipients(audience)
    if not recipients:
        return None, challenge
    broadcast = await deliveries.create_broadcast(
        session, kind=KIND, challenge_id=challenge.id, audience=audience, created_by=actor,
        recipients=[(i, to_payload(worded_for(i, partial(announcement, challenge, tags))))
                    for i, tags in recipients],
        notify=notify)
    await audit(session, actor, "broadcast", ref, broadcast=broadcast.id, audience=audience,
                recipients=broadcast.total, opened=opened)
    return broadcast, challenge


async def status_text(session: AsyncSession, broadcast_id: int, rate: float | None = None) -> str | None:
    """Sent, failed and pending counts and an estimate of the time left."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        return None
    counts = await deliveries.progress(session, broadcast_id)
    sent, failed = counts.get("sent", 0), counts.get("failed", 0)
    pending = counts.get("pending", 0) + counts.get("sending", 0)
    challenge = await session.get(Challenge, broadcast.challenge_id) if broadcast.challenge_id else None
    head = (t("broadcast.status_about", id=broadcast.id, ref=challenge.ref,
              audience=broadcast.audience, total=broadcast.total) if challenge else
            t("broadcast.status", id=broadcast.id, audience=broadcast.audience,
              total=broadcast.total))
    lines = [head, t("broadcast.counts", sent=sent, failed=failed, pending=pending)]
    if pending:
        recent = await deliveries.recent_sent(session, broadcast_id, RATE_WINDOW)
        per_second = recent / RATE_WINDOW.total_seconds() if recent else (rate or DEFAULT_RATE)
        left = _duration(pending / per_second)
        lines.append(t("broadcast.eta", left=left, rate=per_second) if recent
                     else t("broadcast.eta_estimated", left=left, rate=per_second))
    elif broadcast.finished_at:
        lines.append(t("broadcast.finished_at", at=broadcast.finished_at))
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 90:
        return t("duration.seconds", n=seconds)
    if seconds < 5400:
        return t("duration.minutes", n=round(seconds / 60))
    return t("duration.hours", n=f"{seconds / 3600:.1f}")


async def on_finished(session: AsyncSession, broadcast_id: int) -> bool:
    """Called by workers after recording outcomes: the first to see it finished queues the report."""
    broadcast = await deliveries.finish_broadcast(session, broadcast_id)
    if broadcast is None:
        return False
    target = broadcast.notify or {}
    if target.get("platform") and target.get("chat_id"):
        counts = await deliveries.progress(session, broadcast_id)
        challenge = (await session.get(Challenge, broadcast.challenge_id)
                     if broadcast.challenge_id else None)
        about = (f"\u201c{challenge.title}\u201d ({challenge.ref})" if challenge
                 else t("broadcast.the_announcement"))
        failed = counts.get("failed", 0)
        sent = counts.get("sent", 0)
        text = (t("broadcast.report_failed", id=broadcast.id, about=about, sent=sent,
                  total=broadcast.total, failed=failed) if failed else
                t("broadcast.report", id=broadcast.id, about=about, sent=sent,
                  total=broadcast.total))
        await deliveries.enqueue_to_chat(session, target["platform"], str(target["chat_id"]),
                                         "broadcast_report", to_payload(Reply(text)),
                                         identity_id=target.get("identity_id"))
    return True
