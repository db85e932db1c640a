"""Challenges drafted in chat and their approval (storage.officer_models.ChallengeReview)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Challenge
from storage.officer_models import ChallengeReview


async def review_of(session: AsyncSession, challenge_id: int) -> ChallengeReview | None:
    return await session.get(ChallengeReview, challenge_id)


async def ref_taken(session: AsyncSession, ref: str) -> bool:
    return await session.scalar(select(Challenge.id).where(Challenge.ref == ref)) is not None


async def drafts(session: AsyncSession) -> list[tuple[Challenge, ChallengeReview]]:
    """Every challenge drafted in chat that is not yet published, oldest first."""
    rows = await session.execute(
        select(Challenge, ChallengeReview)
        .join(ChallengeReview, ChallengeReview.challenge_id == Challenge.id)
        .where(ChallengeReview.state != "published").order_by(ChallengeReview.drafted_at))
    return [(row[0], row[1]) for row in rows]


async def reviews(session: AsyncSession) -> list[tuple[Challenge, ChallengeReview]]:
    """Every challenge drafted in chat, with its review (for the impact report)."""
    rows = await session.execute(
        select(Challenge, ChallengeReview)
        .join(ChallengeReview, ChallengeReview.challenge_id == Challenge.id))
    return [(row[0], row[1]) for row in rows]
