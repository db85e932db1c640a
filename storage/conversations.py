"""Conversation state rows: one per identity, versioned for optimistic concurrency.

Writers say which version they read; if another process has moved the row on since, the write
matches no row and raises StaleDataError, so the caller can replay the message on fresh state.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from storage.models import ConversationState, utcnow


async def load_state(session: AsyncSession, identity_id: int) -> ConversationState | None:
    return await session.scalar(
        select(ConversationState)
        .where(ConversationState.identity_id == identity_id)
        .execution_options(populate_existing=True)
    )


async def save_state(
    session: AsyncSession,
    identity_id: int,
    read_version: int | None,
    flow: str,
    step: str,
    data: dict[str, Any],
) -> None:
    """Insert (read_version None) or update the row last read at `read_version`."""
    if read_version is None:
        session.add(ConversationState(identity_id=identity_id, flow=flow, step=step, data=data,
                                      version=1))
        await session.flush()  # a concurrent insert raises IntegrityError here
        return
    result = await session.execute(
        update(ConversationState)
        .where(ConversationState.identity_id == identity_id,
               ConversationState.version == read_version)
        .values(flow=flow, step=step, data=data, version=read_version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleDataError(f"conversation of identity {identity_id} changed meanwhile")


async def clear_state(session: AsyncSession, identity_id: int, read_version: int) -> None:
    result = await session.execute(
        delete(ConversationState)
        .where(ConversationState.identity_id == identity_id,
               ConversationState.version == read_version)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleDataError(f"conversation of identity {identity_id} changed meanwhile")
