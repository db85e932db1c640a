"""The durable delivery queue: messages sent later, elsewhere, by workers.

Rows are claimed in batches with a lease. PostgreSQL claims with FOR UPDATE SKIP LOCKED so
several workers share the queue; SQLite (one writer) claims with a single atomic UPDATE.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Broadcast, Delivery, Identity, UtcDateTime, utcnow
from storage.sql import dialect_name, rowcount


async def enqueue(
    session: AsyncSession, identity: Identity, kind: str, payload: dict[str, Any],
    broadcast_id: int | None = None,
) -> Delivery | None:
    """Queue one message for an identity; None when it can't be reached (inactive, no chat)."""
    if not identity.active or not identity.chat_id:
        return None
    delivery = Delivery(broadcast_id=broadcast_id, identity_id=identity.id,
                        platform=identity.platform, chat_id=identity.chat_id, kind=kind,
                        payload=payload, status="pending", attempts=0)
    session.add(delivery)
    await session.flush()
    return delivery


OFFICER_CHANNEL = "officers"  # chat id meaning "the configured officers' channel"


async def enqueue_for_officers(
    session: AsyncSession, kind: str, payload: dict[str, Any], platform: str = "slack"
) -> Delivery:
    """Queue a notice for the officers' channel (the worker knows which channel that is)."""
    delivery = Delivery(platform=platform, chat_id=OFFICER_CHANNEL, kind=kind, payload=payload,
                        status="pending", attempts=0)
    session.add(delivery)
    await session.flush()
    return delivery


async def create_broadcast(
    session: AsyncSession, *, kind: str, challenge_id: int | None, audience: str, created_by: str,
    recipients: Sequence[tuple[Identity, dict[str, Any]]], notify: dict[str, Any] | None = None,
    not_before: datetime | None = None,
) -> Broadcast:
    """The broadcast and one delivery per reachable recipient, in the caller's transaction."""
    reachable = [(i, p) for i, p in recipients if i.active and i.chat_id]
    broadcast = Broadcast(kind=kind, challenge_id=challenge_id, audience=audience,
                          created_by=created_by, notify=notify or {}, total=len(reachable))
    session.add(broadcast)
    await session.flush()
    now = utcnow()
    not_before = not_before or now  # later: e.g. after an SME's quiet hours
    rows = [{"broadcast_id": broadcast.id, "identity_id": i.id, "platform": i.platform,
             "chat_id": i.chat_id, "kind": kind, "payload": p, "status": "pending",
             "attempts": 0, "not_before": not_before, "created_at": now} for i, p in reachable]
    for start in range(0, len(rows), 1000):
        await session.execute(Delivery.__table__.insert(), rows[start:start + 1000])
    return broadcast


async def claim(
    session: AsyncSession, platform: str, worker: str, limit: int,
    lease: timedelta = timedelta(seconds=60), now: datetime | None = None,
    chat_id: str | None = None,
) -> list[Delivery]:
    """Take up to `limit` due rows (pending, or sending with an expired lease) for `worker`,
    all of the platform's or only one chat's (a terminal console shows only its own)."""
    now = now or utcnow()
    due = (
        select(Delivery.id)
        .where(Delivery.platform == platform,
               or_(Delivery.status == "pending",
                   (Delivery.status == "sending") & (Delivery.lease_until < now)),
               Delivery.not_before <= now)
        .order_by(Delivery.id)
        .limit(limit)
    )
    if chat_id is not None:
        due = due.where(Delivery.chat_id == chat_id)
    if dialect_name(session) == "postgresql":
        # Lock, then update the ids locked: inside an UPDATE, PostgreSQL may run a SKIP LOCKED
        # subquery more than once and take more than `limit` rows (see schedule.claim_due).
        ids = list(await session.scalars(due.with_for_update(skip_locked=True)))
        if not ids:
            return []
        chosen = Delivery.id.in_(ids)
    else:
        chosen = Delivery.id.in_(due.scalar_subquery())
    result = await session.execute(
        update(Delivery)
        .where(chosen)
        .values(status="sending", claimed_by=worker, lease_until=now + lease,
                attempts=Delivery.attempts + 1)
        .returning(Delivery)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars().all(), key=lambda d: d.id)


async def _finish(session: AsyncSession, delivery_id: int, worker: str, **values: Any) -> bool:
    """Record an outcome only while the claim is still ours (a lost lease means another owns it)."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.claimed_by == worker,
               Delivery.status == "sending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def mark_sent(session: AsyncSession, delivery_id: int, worker: str,
                    posted: dict[str, Any] | None = None) -> bool:
    """Record a send (and, for Slack, where it was posted: an erasure redacts it there)."""
    extra = {"posted": posted} if posted else {}
    return await _finish(session, delivery_id, worker, status="sent", sent_at=utcnow(),
                         lease_until=None, **extra)


REDACT = "slack_redact"  # a queued chat.update replacing posted messages (see storage.privacy)


async def enqueue_redaction(session: AsyncSession, posted: dict[str, Any]) -> Delivery:
    """Queue the redaction of messages a Slack worker posted (`posted` as recorded by
    mark_sent); a grouped new-EOI notice is rendered again, the others are replaced."""
    payload = {"ts": list(posted.get("ts") or []), "group": list(posted.get("group") or [])}
    return await enqueue_to_chat(session, "slack", str(posted.get("channel") or OFFICER_CHANNEL),
                                 REDACT, payload)


async def status_of(session: AsyncSession, delivery_id: int) -> str | None:
    return await session.scalar(select(Delivery.status).where(Delivery.id == delivery_id))


async def mark_failed(session: AsyncSession, delivery_id: int, worker: str, error: str) -> bool:
    return await _finish(session, delivery_id, worker, status="failed", last_error=error[:300],
                         lease_until=None)


async def retry_later(session: AsyncSession, delivery_id: int, worker: str, delay: timedelta,
                      error: str) -> bool:
    return await _finish(session, delivery_id, worker, status="pending", lease_until=None,
                         claimed_by=None, not_before=utcnow() + delay, last_error=error[:300])


async def update_chat(session: AsyncSession, delivery_id: int, chat_id: str) -> None:
    """A Telegram group became a supergroup: send to its new id from now on."""
    delivery = await session.get(Delivery, delivery_id)
    if delivery is not None:
        delivery.chat_id = chat_id
        if delivery.identity_id is not None:
            identity = await session.get(Identity, delivery.identity_id)
            if identity is not None:
                identity.chat_id = chat_id


async def progress(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """{status: count} for one broadcast's deliveries."""
    rows = await session.execute(
        select(Delivery.status, func.count()).where(Delivery.broadcast_id == broadcast_id)
        .group_by(Delivery.status)
    )
    return {status: n for status, n in rows}


async def pending_count(session: AsyncSession, platform: str | None = None) -> int:
    query = select(func.count()).select_from(Delivery).where(
        Delivery.status.in_(("pending", "sending")))
    if platform:
        query = query.where(Delivery.platform == platform)
    return await session.scalar(query) or 0


async def queue_summary(session: AsyncSession) -> dict[str, tuple[int, datetime | None]]:
    """{platform: (messages not yet sent or given up, when the oldest due one became due)}.

    A row scheduled for later (a reminder, a retry's back-off) is pending but not yet late, so
    the age counts from `not_before`, over rows already due only.
    """
    unsent = Delivery.status.in_(("pending", "sending"))
    counts = await session.execute(
        select(Delivery.platform, func.count()).where(unsent).group_by(Delivery.platform))
    summary: dict[str, tuple[int, datetime | None]] = {p: (n, None) for p, n in counts}
    oldest = await session.execute(
        select(Delivery.platform, func.min(Delivery.not_before))
        .where(unsent, Delivery.not_before <= utcnow()).group_by(Delivery.platform))
    for platform, due in oldest:
        if due is not None:
            summary[platform] = (summary.get(platform, (0, None))[0], _as_utc(due))
    return summary


def _as_utc(value: datetime | str) -> datetime:
    """func.min loses the column's type on SQLite (a naive string comes back): restore it."""
    at = UtcDateTime().process_result_value(
        datetime.fromisoformat(value) if isinstance(value, str) else value, None)
    assert at is not None  # None comes back only for None
    return at


# ---- used by the delivery workers and the broadcast flow ----

async def enqueue_to_chat(
    session: AsyncSession, platform: str, chat_id: str, kind: str, payload: dict[str, Any],
    identity_id: int | None = None,
) -> Delivery:
    """Queue a message for a known chat (e.g. an admin's final report), outside any broadcast."""
    delivery = Delivery(platform=platform, chat_id=chat_id, identity_id=identity_id, kind=kind,
                        payload=payload, status="pending", attempts=0)
    session.add(delivery)
    await session.flush()
    return delivery


async def _update_held(session: AsyncSession, delivery_ids: Sequence[int], worker: str,
                       **values: Any) -> int:
    """Update the rows of `delivery_ids` this worker still holds; returns how many."""
    if not delivery_ids:
        return 0
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(list(delivery_ids)), Delivery.claimed_by == worker,
               Delivery.status == "sending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


async def mark_sent_many(session: AsyncSession, delivery_ids: Sequence[int], worker: str) -> int:
    """Record many sends in one statement; returns how many were still ours."""
    return await _update_held(session, delivery_ids, worker, status="sent", sent_at=utcnow(),
                              lease_until=None)


async def release(session: AsyncSession, delivery_id: int, worker: str, delay: timedelta,
                  error: str | None = None) -> bool:
    """Give a claimed row back without counting the attempt (rate limited, or shutting down)."""
    return await _finish(session, delivery_id, worker, status="pending", lease_until=None,
                         claimed_by=None, not_before=utcnow() + delay,
                         attempts=Delivery.attempts - 1,
                         **({"last_error": error[:300]} if error else {}))


async def renew(session: AsyncSession, delivery_ids: Sequence[int], worker: str,
                lease: timedelta) -> int:
    """Extend the lease of rows this worker still holds (a long flood wait must not lose them)."""
    return await _update_held(session, delivery_ids, worker, lease_until=utcnow() + lease)


async def deactivate(session: AsyncSession, identity_id: int) -> None:
    """The recipient blocked the bot or deleted their account: stop counting them as reachable."""
    await session.execute(update(Identity).where(Identity.id == identity_id).values(active=False))


async def finish_broadcast(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    """Stamp the broadcast finished once no row is open; only one caller ever gets it back."""
    still_open = (select(Delivery.id)
                  .where(Delivery.broadcast_id == broadcast_id,
                         Delivery.status.in_(("pending", "sending")))
                  .exists())
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.finished_at.is_(None), ~still_open)
        .values(finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        return None
    return await session.get(Broadcast, broadcast_id)


async def targeted_identities(session: AsyncSession, challenge_id: int, kind: str) -> set[int]:
    """Identities already queued a broadcast of `kind` about this challenge (never twice)."""
    rows = await session.scalars(
        select(Delivery.identity_id)
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .where(Broadcast.challenge_id == challenge_id, Broadcast.kind == kind)
    )
    return {i for i in rows if i is not None}


async def recent_sent(session: AsyncSession, broadcast_id: int, window: timedelta) -> int:
    """Rows of this broadcast sent within `window`: the basis of a time-left estimate."""
    return await session.scalar(
        select(func.count()).select_from(Delivery)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.status == "sent",
               Delivery.sent_at >= utcnow() - window)
    ) or 0
