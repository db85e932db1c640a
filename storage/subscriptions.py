"""Subscription queries: the interest tags an identity wants to hear about."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Identity, Subscription
from storage.sql import rowcount


async def set_subscription(session: AsyncSession, identity_id: int, tags: list[str],
                           mode: str | None = None) -> Subscription:
    """Create or replace the identity's tags (one subscription per identity); `mode`
    (immediate | weekly) is set on a new subscription only: a change of interests keeps the
    SME's choice."""
    row = await get_subscription(session, identity_id)
    if row is None:
        row = Subscription(identity_id=identity_id, tags=list(tags), alert_mode=mode)
        session.add(row)
    else:
        row.tags = list(tags)  # a new list, so the JSON column is seen as changed
    await session.flush()
    return row


async def get_subscription(session: AsyncSession, identity_id: int) -> Subscription | None:
    return await session.scalar(select(Subscription).where(Subscription.identity_id == identity_id))


async def delete_subscription(session: AsyncSession, identity_id: int) -> bool:
    """Cancel; True when there was a subscription to cancel."""
    result = await session.execute(delete(Subscription).where(Subscription.identity_id == identity_id))
    return bool(rowcount(result))


async def list_active_subscriptions(session: AsyncSession) -> list[tuple[Identity, Subscription]]:
    """Every subscription whose identity is active, in identity order."""
    rows = await session.execute(
        select(Identity, Subscription)
        .join(Subscription, Subscription.identity_id == Identity.id)
        .where(Identity.active.is_(True))
        .order_by(Identity.id)
    )
    return [(identity, subscription) for identity, subscription in rows]


async def set_alert_mode(session: AsyncSession, identity_id: int, mode: str) -> bool:
    """immediate | weekly; False when the identity has no subscription."""
    row = await get_subscription(session, identity_id)
    if row is None:
        return False
    row.alert_mode = mode
    return True


async def weekly_identities(session: AsyncSession) -> set[int]:
    """Subscribers who take a weekly digest instead of an alert per call."""
    return set(await session.scalars(select(Subscription.identity_id)
                                     .where(Subscription.alert_mode == "weekly")))
