"""Cases (hand-offs to officers), their thread history, clarifications and FAQ suggestions.

A case is a `Question` row. Claiming and answering are single conditional UPDATEs, so two
officers (or two replicas handling their presses) can never both hold or answer one case.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CaseMessage, Clarification, Eoi, FaqSuggestion, Identity, Question
from storage.sql import rowcount


async def create_case(session: AsyncSession, identity_id: int | None, text: str,
                      challenge_id: int | None, tried: dict[str, Any]) -> Question:
    case = Question(identity_id=identity_id, text=text, challenge_id=challenge_id, tried=tried,
                    status="open")
    session.add(case)
    await session.flush()
    await add_message(session, case.id, "sme", "sme", text)
    return case


async def add_message(session: AsyncSession, case_id: int, author: str, actor: str,
                      text: str) -> CaseMessage:
    message = CaseMessage(question_id=case_id, author=author, actor=actor, text=text)
    session.add(message)
    await session.flush()
    return message


async def messages(session: AsyncSession, case_id: int) -> list[CaseMessage]:
    return list(await session.scalars(
        select(CaseMessage).where(CaseMessage.question_id == case_id).order_by(CaseMessage.id)))


async def last_answer(session: AsyncSession, case_id: int) -> str | None:
    return await session.scalar(
        select(CaseMessage.text)
        .where(CaseMessage.question_id == case_id, CaseMessage.author == "officer")
        .order_by(CaseMessage.id.desc()).limit(1))


async def get_case(session: AsyncSession, case_id: int) -> Question | None:
    return await session.get(Question, case_id, populate_existing=True)


async def case_for_thread(session: AsyncSession, ts: str) -> Question | None:
    return await session.scalar(select(Question).where(Question.slack_ts == ts).limit(1))


async def set_thread(session: AsyncSession, case_id: int, channel: str, ts: str) -> bool:
    """Remember the officers' channel message that heads the case's thread (first post wins)."""
    result = await session.execute(
        update(Question).where(Question.id == case_id, Question.slack_ts.is_(None))
        .values(slack_channel=channel, slack_ts=ts)
        .execution_options(synchronize_session=False))
    return rowcount(result) == 1


async def open_cases(session: AsyncSession) -> list[Question]:
    return list(await session.scalars(
        select(Question).where(Question.status == "open").order_by(Question.asked_at, Question.id)))


async def claim(session: AsyncSession, case_id: int, actor: str, now: datetime) -> bool:
    """Take an unclaimed case that isn't closed; False if anyone (even `actor`) holds it."""
    result = await session.execute(
        update(Question)
        .where(Question.id == case_id, Question.status != "closed", Question.claimed_by.is_(None))
        .values(claimed_by=actor, claimed_at=now)
        .execution_options(synchronize_session=False))
    return rowcount(result) == 1


async def take_for_answer(session: AsyncSession, case_id: int, actor: str, now: datetime) -> bool:
    """Mark answered by `actor`, claiming it on the way; refused when another officer holds it."""
    result = await session.execute(
        update(Question)
        .where(Question.id == case_id, Question.status != "closed",
               or_(Question.claimed_by.is_(None), Question.claimed_by == actor))
        .values(status="answered", answered_at=now,
                claimed_by=actor, claimed_at=func.coalesce(Question.claimed_at, now))
        .execution_options(synchronize_session=False))
    return rowcount(result) == 1


async def reopen(session: AsyncSession, case_id: int) -> bool:
    """The SME wrote again: the case waits for an officer once more (its holder keeps it)."""
    result = await session.execute(
        update(Question).where(Question.id == case_id, Question.status == "answered")
        .values(status="open").execution_options(synchronize_session=False))
    return rowcount(result) == 1


async def close(session: AsyncSession, case_id: int) -> bool:
    result = await session.execute(
        update(Question).where(Question.id == case_id, Question.status != "closed")
        .values(status="closed").execution_options(synchronize_session=False))
    return rowcount(result) == 1


async def due_for_reminder(session: AsyncSession, now: datetime, after: timedelta) -> list[int]:
    """Stamp and return open cases older than `after` never reminded: each is returned once."""
    due = select(Question.id).where(Question.status == "open", Question.reminded_at.is_(None),
                                    Question.asked_at <= now - after)
    ids = list(await session.scalars(due.order_by(Question.id)))
    if not ids:
        return []
    # Conditional on reminded_at still being empty, so two workers can't both remind a case.
    result = await session.execute(
        update(Question).where(Question.id.in_(ids), Question.reminded_at.is_(None))
        .values(reminded_at=now).returning(Question.id)
        .execution_options(synchronize_session=False))
    return sorted(result.scalars().all())


# ---- clarifications ----

async def add_clarification(session: AsyncSession, challenge_id: int, case_id: int | None,
                            question: str, answer: str, by: str) -> Clarification:
    row = Clarification(challenge_id=challenge_id, case_id=case_id, question=question,
                        answer=answer, published_by=by)
    session.add(row)
    await session.flush()  # the unique case_id refuses a second publication of one case
    return row


async def clarification_for_case(session: AsyncSession, case_id: int) -> Clarification | None:
    return await session.scalar(select(Clarification).where(Clarification.case_id == case_id))


async def clarifications(session: AsyncSession, challenge_id: int) -> list[Clarification]:
    return list(await session.scalars(
        select(Clarification).where(Clarification.challenge_id == challenge_id)
        .order_by(Clarification.id)))


async def eoi_holders(session: AsyncSession, challenge_id: int) -> list[Identity]:
    """Identities of every organisation with an EOI on the challenge (submitter or colleague)."""
    orgs = select(Eoi.organisation_id).where(Eoi.challenge_id == challenge_id)
    submitters = select(Eoi.identity_id).where(Eoi.challenge_id == challenge_id,
                                               Eoi.identity_id.is_not(None))
    return list(await session.scalars(
        select(Identity).where(or_(Identity.organisation_id.in_(orgs), Identity.id.in_(submitters)))
        .order_by(Identity.id)))


# ---- FAQ suggestions ----

async def add_suggestion(session: AsyncSession, case_id: int | None, question: str, answer: str,
                         by: str) -> FaqSuggestion:
    row = FaqSuggestion(case_id=case_id, question=question, answer=answer, suggested_by=by,
                        status="pending")
    session.add(row)
    await session.flush()
    return row


async def suggestion_for_case(session: AsyncSession, case_id: int) -> FaqSuggestion | None:
    return await session.scalar(select(FaqSuggestion).where(FaqSuggestion.case_id == case_id))


async def suggestions(session: AsyncSession, status: str | None = None) -> list[FaqSuggestion]:
    query = select(FaqSuggestion).order_by(FaqSuggestion.id)
    if status:
        query = query.where(FaqSuggestion.status == status)
    return list(await session.scalars(query))


async def decide_suggestion(session: AsyncSession, suggestion_id: int,
                            status: str) -> FaqSuggestion | None:
    """Accept or reject a pending suggestion, once: None when there is none pending by that id."""
    result = await session.execute(
        update(FaqSuggestion).where(FaqSuggestion.id == suggestion_id,
                                    FaqSuggestion.status == "pending")
        .values(status=status).execution_options(synchronize_session=False))
    if rowcount(result) != 1:
        return None
    return await session.get(FaqSuggestion, suggestion_id, populate_existing=True)


async def recent_cases(session: AsyncSession, identity_id: int, since: datetime) -> list[Question]:
    """The cases one identity opened since a moment, newest first (for flood limits)."""
    return list(await session.scalars(
        select(Question).where(Question.identity_id == identity_id, Question.asked_at >= since)
        .order_by(Question.id.desc())))
