"""The inbox of fetched updates (issue 20): in the store before the platform hears they arrived.

Only the polling intake uses it: a batch from getUpdates is kept here in one transaction before
the next getUpdates confirms it, and deleted once handled. Exactly-once handling is not this
table's job: that stays the claim in `processed_updates`, in the core's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import InboxUpdate, utcnow
from storage.sql import dialect_name

KEEP = {
    dialect.dialect.name: dialect.insert(InboxUpdate.__table__)
    .on_conflict_do_nothing(index_elements=["platform", "update_id"])
    for dialect in (postgresql, sqlite)
}


async def keep(connection: AsyncConnection, platform: str,
               updates: Iterable[tuple[int, str]]) -> None:
    """Store (update id, JSON payload) pairs; one already there is left as it is."""
    now = utcnow()
    rows = [{"platform": platform, "update_id": update_id, "payload": payload, "at": now}
            for update_id, payload in updates]
    if rows:
        await connection.execute(KEEP[dialect_name(connection)], rows)


async def waiting(connection: AsyncConnection, platform: str) -> list[tuple[int, str]]:
    """Every update kept and not yet handled, oldest first."""
    result = await connection.execute(
        select(InboxUpdate.update_id, InboxUpdate.payload)
        .where(InboxUpdate.platform == platform).order_by(InboxUpdate.update_id))
    return [(int(update_id), str(payload)) for update_id, payload in result]


async def handled(connection: AsyncConnection, platform: str, update_ids: Sequence[int]) -> None:
    """Forget updates whose handling has ended."""
    if update_ids:
        await connection.execute(delete(InboxUpdate).where(
            InboxUpdate.platform == platform, InboxUpdate.update_id.in_(list(update_ids))))
