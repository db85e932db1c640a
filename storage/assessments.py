"""Criteria, assessments and feedback rows (storage.officer_models)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Eoi
from storage.officer_models import Assessment, Criterion, Feedback


async def criteria(session: AsyncSession, challenge_id: int) -> list[Criterion]:
    return list(await session.scalars(select(Criterion).where(Criterion.challenge_id == challenge_id)
                                      .order_by(Criterion.position, Criterion.id)))


async def set_criteria(session: AsyncSession, challenge_id: int,
                       rows: list[tuple[str, str, float]]) -> None:
    for old in await criteria(session, challenge_id):
        await session.delete(old)
    await session.flush()
    session.add_all(Criterion(challenge_id=challenge_id, key=k, label=label, weight=w, position=i)
                    for i, (k, label, w) in enumerate(rows))
    await session.flush()


async def save_assessment(session: AsyncSession, eoi_id: int, assessor: str,
                          scores: dict[str, Any], comments: dict[str, Any]) -> Assessment:
    row = await session.scalar(select(Assessment).where(Assessment.eoi_id == eoi_id,
                                                        Assessment.assessor == assessor))
    if row is None:
        row = Assessment(eoi_id=eoi_id, assessor=assessor, scores=scores, comments=comments)
        session.add(row)
    else:
        row.scores, row.comments = scores, comments
    await session.flush()
    return row


async def assessments_for(session: AsyncSession, challenge_id: int) -> list[Assessment]:
    return list(await session.scalars(
        select(Assessment).join(Eoi, Eoi.id == Assessment.eoi_id)
        .where(Eoi.challenge_id == challenge_id).order_by(Assessment.id)))


async def assessments_of(session: AsyncSession, eoi_id: int) -> list[Assessment]:
    return list(await session.scalars(select(Assessment).where(Assessment.eoi_id == eoi_id)
                                      .order_by(Assessment.id)))


async def feedback_of(session: AsyncSession, eoi_id: int) -> Feedback | None:
    return await session.scalar(select(Feedback).where(Feedback.eoi_id == eoi_id))


async def add_feedback(session: AsyncSession, eoi_id: int, items: list[dict[str, Any]]) -> Feedback:
    row = Feedback(eoi_id=eoi_id, items=items, status="draft")
    session.add(row)
    await session.flush()
    return row


async def assessed_eoi_ids(session: AsyncSession) -> set[int]:
    return set(await session.scalars(select(Assessment.eoi_id).distinct()))
