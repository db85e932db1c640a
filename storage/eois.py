"""Expressions of interest and their stage history."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import Challenge, Eoi, StageChange, utcnow


class DuplicateEoi(Exception):
    """The organisation already has an EOI on this challenge."""

    def __init__(self, existing: Eoi) -> None:
        self.existing = existing


def _with_relations(query):  # type: ignore[no-untyped-def]
    return query.options(
        joinedload(Eoi.challenge), joinedload(Eoi.organisation), joinedload(Eoi.contact)
    )


async def get_eoi(session: AsyncSession, eoi_id: int) -> Eoi | None:
    return await session.scalar(_with_relations(select(Eoi).where(Eoi.id == eoi_id)))


async def find_eoi(session: AsyncSession, organisation_id: int, challenge_id: int) -> Eoi | None:
    return await session.scalar(
        _with_relations(select(Eoi)).where(
            Eoi.organisation_id == organisation_id, Eoi.challenge_id == challenge_id
        )
    )


async def create_eoi(
    session: AsyncSession,
    *,
    organisation_id: int,
    challenge_id: int,
    contact_id: int,
    identity_id: int,
    summary: str,
    actor: str,
    stage: str = "submitted",
) -> Eoi:
    """Insert in a savepoint so a concurrent duplicate surfaces as DuplicateEoi."""
    eoi = Eoi(organisation_id=organisation_id, challenge_id=challenge_id, contact_id=contact_id,
              identity_id=identity_id, summary=summary, stage=stage)
    try:
        async with session.begin_nested():
            session.add(eoi)
            await session.flush()
    except IntegrityError:
        existing = await find_eoi(session, organisation_id, challenge_id)
        if existing is None:
            raise
        raise DuplicateEoi(existing) from None
    session.add(StageChange(eoi_id=eoi.id, from_stage=None, to_stage=stage, actor=actor))
    await session.flush()
    return eoi


async def change_stage(
    session: AsyncSession, eoi: Eoi, to_stage: str, actor: str, note: str | None = None
) -> StageChange:
    change = StageChange(eoi_id=eoi.id, from_stage=eoi.stage, to_stage=to_stage, actor=actor,
                         note=note)
    eoi.stage = to_stage
    eoi.updated_at = utcnow()
    session.add(change)
    await session.flush()
    return change


async def stage_history(session: AsyncSession, eoi_id: int) -> list[StageChange]:
    return list(
        await session.scalars(
            select(StageChange).where(StageChange.eoi_id == eoi_id).order_by(StageChange.id)
        )
    )


async def list_eois(
    session: AsyncSession,
    *,
    organisation_id: int | None = None,
    challenge_ref: str | None = None,
) -> list[Eoi]:
    query = _with_relations(select(Eoi)).order_by(Eoi.id)
    if organisation_id is not None:
        query = query.where(Eoi.organisation_id == organisation_id)
    if challenge_ref is not None:
        query = query.join(Challenge, Eoi.challenge_id == Challenge.id).where(
            Challenge.ref == challenge_ref
        )
    return list(await session.scalars(query))
