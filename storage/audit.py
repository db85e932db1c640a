"""The audit log of officer and admin actions, and unanswered questions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, Question


async def audit(
    session: AsyncSession, actor: str, action: str, target: str | None = None, **detail: Any
) -> None:
    session.add(AuditEntry(actor=actor, action=action, target=target, detail=detail))
    await session.flush()


async def audit_entries(session: AsyncSession, since: datetime | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return list(await session.scalars(query))


async def record_question(session: AsyncSession, identity_id: int | None, text: str) -> Question:
    question = Question(identity_id=identity_id, text=text)
    session.add(question)
    await session.flush()
    return question


async def open_questions(session: AsyncSession) -> list[Question]:
    return list(
        await session.scalars(
            select(Question).where(Question.status == "open").order_by(Question.asked_at)
        )
    )
