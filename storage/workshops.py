"""Exploration workshops and their invitations (storage.officer_models)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.officer_models import Workshop, WorkshopInvite


async def get_workshop(session: AsyncSession, workshop_id: int) -> Workshop | None:
    return await session.get(Workshop, workshop_id)


async def get_invite(session: AsyncSession, invite_id: int) -> WorkshopInvite | None:
    return await session.get(WorkshopInvite, invite_id)


async def invites(session: AsyncSession, workshop_id: int) -> list[WorkshopInvite]:
    return list(await session.scalars(select(WorkshopInvite)
                                      .where(WorkshopInvite.workshop_id == workshop_id)
                                      .order_by(WorkshopInvite.id)))


async def invited_eoi_ids(session: AsyncSession, workshop_id: int) -> set[int]:
    return set(await session.scalars(select(WorkshopInvite.eoi_id)
                                     .where(WorkshopInvite.workshop_id == workshop_id)))


async def attending(session: AsyncSession, workshop_id: int) -> int:
    return await session.scalar(select(func.count()).select_from(WorkshopInvite).where(
        WorkshopInvite.workshop_id == workshop_id, WorkshopInvite.answer == "yes")) or 0


async def held(session: AsyncSession, since: datetime | None, until: datetime | None,
               now: datetime) -> list[Workshop]:
    """Workshops that have taken place in [since, until) (and before `now`)."""
    query = select(Workshop).where(Workshop.starts_at <= now)
    if since is not None:
        query = query.where(Workshop.starts_at >= since)
    if until is not None:
        query = query.where(Workshop.starts_at < until)
    return list(await session.scalars(query))


async def attended(session: AsyncSession, workshop_ids: list[int]) -> list[WorkshopInvite]:
    if not workshop_ids:
        return []
    return list(await session.scalars(select(WorkshopInvite).where(
        WorkshopInvite.workshop_id.in_(workshop_ids), WorkshopInvite.attended.is_(True))))


async def for_challenge(session: AsyncSession, challenge_id: int) -> list[Workshop]:
    return list(await session.scalars(select(Workshop).where(Workshop.challenge_id == challenge_id)
                                      .order_by(Workshop.starts_at)))
