"""What the officers' weekly digest reads: new EOIs, EOIs nobody has moved, questions waiting."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Challenge, Eoi, Question, StageChange


async def new_eois(session: AsyncSession, since: datetime) -> list[tuple[Eoi, str]]:
    """EOIs created since `since`, each with its challenge's department, oldest first."""
    rows = await session.execute(
        select(Eoi, Challenge.department).join(Challenge, Challenge.id == Eoi.challenge_id)
        .where(Eoi.created_at >= since).order_by(Eoi.id))
    return [(eoi, department) for eoi, department in rows]


async def unmoved_eois(session: AsyncSession, before: datetime,
                       ended: tuple[str, ...]) -> list[tuple[Eoi, str]]:
    """EOIs still in play whose stage last changed (or which arrived) before `before`."""
    last_move = (select(StageChange.eoi_id, func.max(StageChange.at).label("at"))
                 .where(StageChange.undone_at.is_(None)).group_by(StageChange.eoi_id).subquery())
    moved = func.coalesce(last_move.c.at, Eoi.created_at)
    rows = await session.execute(
        select(Eoi, Challenge.department).join(Challenge, Challenge.id == Eoi.challenge_id)
        .outerjoin(last_move, last_move.c.eoi_id == Eoi.id)
        .where(Eoi.stage.not_in(ended), moved < before).order_by(Eoi.id))
    return [(eoi, department) for eoi, department in rows]


async def waiting_questions(session: AsyncSession) -> list[tuple[Question, str | None]]:
    """Open questions (cases), oldest first, with the department of the challenge if any."""
    rows = await session.execute(
        select(Question, Challenge.department)
        .outerjoin(Challenge, Challenge.id == Question.challenge_id)
        .where(Question.status == "open").order_by(Question.asked_at))
    return [(q, department) for q, department in rows]
