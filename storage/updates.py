"""Chat-platform delivery bookkeeping: updates taken at most once, and blocked identities."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import Identity, ProcessedUpdate, utcnow
from storage.sql import dialect_name, rowcount

# Telegram keeps an undelivered update for 24 hours, so older keys can never come back.
KEEP_FOR = timedelta(days=2)

# Built once: this runs for every incoming update, and a prebuilt statement skips SQLAlchemy's
# per-call statement construction and cache-key work.
CLAIM = {
    dialect.dialect.name: dialect.insert(ProcessedUpdate.__table__)
    .values(platform=bindparam("platform"), update_id=bindparam("update_id"), at=bindparam("at"))
    .on_conflict_do_nothing(index_elements=["platform", "update_id"])
    for dialect in (postgresql, sqlite)
}


async def claim_update(session: AsyncSession | AsyncConnection, platform: str,
                       update_id: int) -> bool:
    """Record the update as taken; False when any process has taken it before.

    ON CONFLICT DO NOTHING (both dialects) keeps a duplicate from aborting the transaction,
    which an IntegrityError would do on PostgreSQL.
    """
    result = await session.execute(
        CLAIM[dialect_name(session)], {"platform": platform, "update_id": update_id, "at": utcnow()}
    )
    return rowcount(result) == 1


async def prune_updates(session: AsyncSession | AsyncConnection, older_than: timedelta = KEEP_FOR,
                        now: datetime | None = None) -> int:
    """Forget update keys too old to be delivered again; returns how many went."""
    cutoff = (now or utcnow()) - older_than
    result = await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.at < cutoff))
    return rowcount(result)


async def mark_inactive(session: AsyncSession, platform: str, external_id: str) -> bool:
    """The person blocked the bot: stop counting them as reachable (writing again reactivates)."""
    result = await session.execute(
        update(Identity)
        .where(Identity.platform == platform, Identity.external_id == external_id)
        .values(active=False)
    )
    return rowcount(result) > 0
