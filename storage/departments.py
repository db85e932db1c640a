"""Which departments an officer belongs to (storage.officer_models.OfficerDepartment)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Challenge
from storage.officer_models import OfficerDepartment


async def departments_of(session: AsyncSession, identity_id: int) -> list[str]:
    return list(await session.scalars(
        select(OfficerDepartment.department).where(OfficerDepartment.identity_id == identity_id)
        .order_by(OfficerDepartment.department)))


async def set_departments(session: AsyncSession, identity_id: int,
                          departments: Iterable[str]) -> list[str]:
    """Replace the officer's departments with `departments` (an empty list: none named)."""
    await session.execute(delete(OfficerDepartment)
                          .where(OfficerDepartment.identity_id == identity_id))
    kept = sorted(dict.fromkeys(d for d in departments if d))
    session.add_all(OfficerDepartment(identity_id=identity_id, department=d) for d in kept)
    await session.flush()
    return kept


async def department_of_challenge(session: AsyncSession, challenge_id: int | None) -> str | None:
    if challenge_id is None:
        return None
    return await session.scalar(select(Challenge.department).where(Challenge.id == challenge_id))


async def known_departments(session: AsyncSession) -> list[str]:
    """Every department a challenge names, for checking a grant against."""
    return list(await session.scalars(select(Challenge.department).distinct()
                                      .order_by(Challenge.department)))
