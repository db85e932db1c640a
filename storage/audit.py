"""The audit log of officer and admin actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


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


async def targets(session: AsyncSession, action: str, since: datetime,
                  until: datetime) -> list[str]:
    """The distinct targets of `action` in [since, until), first first."""
    rows = await session.scalars(
        select(AuditEntry.target).where(AuditEntry.action == action, AuditEntry.at >= since,
                                        AuditEntry.at < until, AuditEntry.target.is_not(None))
        .order_by(AuditEntry.id))
    return list(dict.fromkeys(r for r in rows if r is not None))
