"""The scheduler's jobs: planned idempotently by every replica, claimed by exactly one.

A job's `key` names (kind, subject, due) and is unique, so any number of processes planning
the same job insert one row. A due job is claimed and run in ONE transaction: PostgreSQL
takes the row FOR UPDATE SKIP LOCKED (another replica skips it while it runs), SQLite's single
atomic UPDATE holds the write lock. A process killed mid-run rolls its transaction back, so
the job is pending again and nothing it queued exists: never lost, never done twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ScheduledJob, utcnow
from storage.sql import dialect_name, rowcount


def job_key(kind: str, subject: str, due: datetime | str) -> str:
    stamp = due if isinstance(due, str) else due.strftime("%Y-%m-%dT%H:%MZ")
    return f"{kind}:{subject}:{stamp}"


async def plan(session: AsyncSession, kind: str, subject: str, due: datetime,
               detail: dict[str, Any] | None = None, key: str | None = None) -> bool:
    """Insert the job unless it exists; True when this call created it."""
    values = {"key": key or job_key(kind, subject, due), "kind": kind, "subject": subject,
              "due": due, "status": "pending", "detail": detail or {}, "recipients": 0,
              "created_at": utcnow()}
    if dialect_name(session) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        stmt = pg_insert(ScheduledJob).values(**values).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as lite_insert
        stmt = lite_insert(ScheduledJob).values(**values).on_conflict_do_nothing()  # type: ignore[assignment]
    return rowcount(await session.execute(stmt)) == 1


async def claim_due(session: AsyncSession, now: datetime, worker: str) -> ScheduledJob | None:
    """Take the earliest due pending job for this transaction, or None."""
    due = (select(ScheduledJob.id)
           .where(ScheduledJob.status == "pending", ScheduledJob.due <= now)
           .order_by(ScheduledJob.due, ScheduledJob.id).limit(1))
    if dialect_name(session) == "postgresql":
        # Lock first, update second. In ONE statement (UPDATE ... WHERE id IN (SELECT ...
        # LIMIT 1 FOR UPDATE SKIP LOCKED)) PostgreSQL may run the subquery more than once and,
        # skipping what a replica has locked, get another row each time: two jobs went to
        # "running" and only the first was returned, so the second stayed running for ever.
        job_id = await session.scalar(due.with_for_update(skip_locked=True))
        if job_id is None:
            return None
        chosen = ScheduledJob.id == job_id
    else:  # SQLite: the single UPDATE is atomic under its write lock, subquery run once
        chosen = ScheduledJob.id.in_(due.scalar_subquery())
    result = await session.execute(
        update(ScheduledJob).where(chosen, ScheduledJob.status == "pending")
        .values(status="running", claimed_by=worker)
        .returning(ScheduledJob).execution_options(synchronize_session=False))
    return result.scalars().one_or_none()


async def finish(session: AsyncSession, job: ScheduledJob, now: datetime, status: str = "done",
                 recipients: int = 0, broadcast_id: int | None = None,
                 **detail: Any) -> None:
    await session.execute(
        update(ScheduledJob).where(ScheduledJob.id == job.id)
        .values(status=status, done_at=now, recipients=recipients, broadcast_id=broadcast_id,
                detail={**job.detail, **detail})
        .execution_options(synchronize_session=False))


async def mark_failed(session: AsyncSession, job_id: int, now: datetime, error: str) -> None:
    job = await session.get(ScheduledJob, job_id)
    if job is not None and job.status == "pending":
        job.status, job.done_at = "failed", now
        job.detail = {**job.detail, "error": error[:300]}


async def skip_pending(session: AsyncSession, kinds: tuple[str, ...], subject: str,
                       unless: dict[str, Any]) -> int:
    """Skip the pending jobs of `kinds` about `subject` whose detail no longer holds (e.g.
    reminders planned for a closing date that has moved); returns how many."""
    rows = await session.scalars(select(ScheduledJob).where(
        ScheduledJob.kind.in_(kinds), ScheduledJob.subject == subject,
        ScheduledJob.status == "pending"))
    stale = [r.id for r in rows if any(r.detail.get(k) != v for k, v in unless.items())]
    if stale:
        await session.execute(update(ScheduledJob).where(ScheduledJob.id.in_(stale))
                              .values(status="skipped")
                              .execution_options(synchronize_session=False))
    return len(stale)


async def jobs_about(session: AsyncSession, kinds: tuple[str, ...],
                     subject: str) -> list[ScheduledJob]:
    return list(await session.scalars(select(ScheduledJob).where(
        ScheduledJob.kind.in_(kinds), ScheduledJob.subject == subject)
        .order_by(ScheduledJob.id)))


async def upcoming(session: AsyncSession, limit: int = 100) -> list[ScheduledJob]:
    return list(await session.scalars(
        select(ScheduledJob).where(ScheduledJob.status == "pending")
        .order_by(ScheduledJob.due, ScheduledJob.id).limit(limit)))


async def by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(ScheduledJob.status, func.count())
                                 .group_by(ScheduledJob.status))
    return {status: n for status, n in rows}
