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

from storage.models import Broadcast, Delivery, Identity, utcnow


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
) -> Broadcast:
    """The broadcast and one delivery per reachable recipient, in the caller's transaction."""
    reachable = [(i, p) for i, p in recipients if i.active and i.chat_id]
    broadcast = Broadcast(kind=kind, challenge_id=challenge_id, audience=audience,
                          created_by=created_by, notify=notify or {}, total=len(reachable))
    session.add(broadcast)
    await session.flush()
    now = utcnow()
    rows = [{"broadcast_id": broadcast.id, "identity_id": i.id, "platform": i.platform,
             "chat_id": i.chat_id, "kind": kind, "payload": p, "status": "pending",
             "attempts": 0, "not_before": now, "created_at": now} for i, p in reachable]
    for start in range(0, len(rows), 1000):
        await session.execute(Delivery.__table__.insert(), rows[start:start + 1000])
    return broadcast


async def claim(
    session: AsyncSession, platform: str, worker: str, limit: int,
    lease: timedelta = timedelta(seconds=60), now: datetime | None = None,
) -> list[Delivery]:
    """Take up to `limit` due rows (pending, or sending with an expired lease) for `worker`."""
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
    if session.bind.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(due.scalar_subquery()))
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
    return (result.rowcount or 0) == 1


async def mark_sent(session: AsyncSession, delivery_id: int, worker: str) -> bool:
    return await _finish(session, delivery_id, worker, status="sent", sent_at=utcnow(),
                         lease_until=None)


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
