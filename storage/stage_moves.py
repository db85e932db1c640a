"""Stage moves: previewed moves, applying one, undoing one (the rules are in handlers/domain)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, Eoi, PendingStageMove, StageChange, utcnow


async def add_pending(session: AsyncSession, eoi: Eoi, to_stage: str, actor: str,
                      note: str | None, message: str | None) -> PendingStageMove:
    pending = PendingStageMove(eoi_id=eoi.id, from_stage=eoi.stage, to_stage=to_stage, actor=actor,
                               note=note, message=message)
    session.add(pending)
    await session.flush()
    return pending


async def prune_pending(session: AsyncSession, before: datetime) -> None:
    """Forget previews made before `before` that were never confirmed or cancelled."""
    await session.execute(delete(PendingStageMove).where(PendingStageMove.created_at < before))


async def take_pending(session: AsyncSession, pending_id: int) -> PendingStageMove | None:
    """The previewed move, removed from the pending list (a second press finds nothing)."""
    pending = await session.get(PendingStageMove, pending_id)
    if pending is not None:
        await session.delete(pending)
        await session.flush()
    return pending


async def get_pending(session: AsyncSession, pending_id: int) -> PendingStageMove | None:
    return await session.get(PendingStageMove, pending_id)


async def apply_move(session: AsyncSession, eoi: Eoi, to_stage: str, actor: str,
                     note: str | None, message: str | None) -> StageChange:
    change = StageChange(eoi_id=eoi.id, from_stage=eoi.stage, to_stage=to_stage, actor=actor,
                         note=note, message=message)
    eoi.stage = to_stage
    eoi.updated_at = utcnow()
    session.add(change)
    await session.flush()
    return change


async def last_move(session: AsyncSession, eoi_id: int) -> StageChange | None:
    """The EOI's latest stage change that still stands (not undone)."""
    return await session.scalar(
        select(StageChange).where(StageChange.eoi_id == eoi_id, StageChange.undone_at.is_(None))
        .order_by(StageChange.id.desc()).limit(1))


async def last_move_by(session: AsyncSession, actor: str, since: datetime) -> StageChange | None:
    """`actor`'s latest move made at or after `since` that still stands."""
    return await session.scalar(
        select(StageChange).where(StageChange.actor == actor, StageChange.undone_at.is_(None),
                                  StageChange.from_stage.is_not(None), StageChange.at >= since)
        .order_by(StageChange.id.desc()).limit(1))


async def get_change(session: AsyncSession, change_id: int) -> StageChange | None:
    return await session.get(StageChange, change_id)


async def mark_undone(session: AsyncSession, change: StageChange, eoi: Eoi, actor: str) -> None:
    change.undone_at = utcnow()
    change.undone_by = actor
    eoi.stage = change.from_stage or "submitted"
    eoi.updated_at = utcnow()
    await session.flush()


async def cancel_delivery(session: AsyncSession, delivery_id: int | None) -> bool:
    """Withdraw a queued message no worker has claimed yet; False if it is on its way or sent."""
    if delivery_id is None:
        return False
    result = await session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.status == "pending")
        .values(status="cancelled", lease_until=None))
    return bool(getattr(result, "rowcount", 0))
