"""Raw rows for the early stages' impact measures (handlers/domain/early_measures.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import ColumnElement

from storage.models import Challenge, Eoi
from storage.officer_models import Assessment, ChallengeReview, Workshop, WorkshopInvite


def _within(column: InstrumentedAttribute[datetime], since: datetime | None,
            until: datetime | None) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if since is not None:
        found.append(column >= since)
    if until is not None:
        found.append(column < until)
    return found


async def challenges_by_department(session: AsyncSession, since: datetime | None,
                                   until: datetime | None) -> dict[str, int]:
    """Challenges defined (created, samples left out) in the period, per department."""
    rows = await session.execute(
        select(Challenge.department, func.count()).where(
            Challenge.sample.is_(False), *_within(Challenge.created_at, since, until))
        .group_by(Challenge.department))
    return {str(row[0]): int(row[1]) for row in rows}


async def draft_to_publication(session: AsyncSession, since: datetime | None,
                               until: datetime | None) -> list[tuple[datetime, datetime]]:
    """(drafted, published) of every chat-drafted challenge published in the period."""
    rows = await session.execute(
        select(ChallengeReview.drafted_at, ChallengeReview.published_at).where(
            ChallengeReview.published_at.is_not(None),
            *_within(ChallengeReview.published_at, since, until)))  # type: ignore[arg-type]
    return [(row[0], row[1]) for row in rows if row[1] is not None]


async def eois_assessed(session: AsyncSession, since: datetime | None,
                        until: datetime | None) -> int:
    return await session.scalar(select(func.count(func.distinct(Assessment.eoi_id))).where(
        *_within(Assessment.at, since, until))) or 0


async def workshops_held(session: AsyncSession, since: datetime | None, until: datetime | None,
                         now: datetime) -> list[int]:
    return list(await session.scalars(select(Workshop.id).where(
        Workshop.starts_at <= now, *_within(Workshop.starts_at, since, until))))


async def organisations_attending(session: AsyncSession, workshop_ids: list[int]) -> set[int]:
    if not workshop_ids:
        return set()
    return set(await session.scalars(
        select(Eoi.organisation_id).join(WorkshopInvite, WorkshopInvite.eoi_id == Eoi.id).where(
            WorkshopInvite.workshop_id.in_(workshop_ids), WorkshopInvite.attended.is_(True))))
