"""Conversation state rows: one per identity, versioned for optimistic concurrency."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationState, utcnow


async def load_state(session: AsyncSession, identity_id: int) -> ConversationState | None:
    return await session.get(ConversationState, identity_id)


async def save_state(
    session: AsyncSession,
    identity_id: int,
    flow: str,
    step: str,
    data: dict[str, Any],
) -> ConversationState:
    """Create or update; a concurrent writer makes the flush raise StaleDataError."""
    state = await session.get(ConversationState, identity_id)
    if state is None:
        state = ConversationState(identity_id=identity_id, flow=flow, step=step, data=data)
        session.add(state)
    else:
        state.flow, state.step, state.data = flow, step, dict(data)
        state.updated_at = utcnow()
    await session.flush()
    return state


async def clear_state(session: AsyncSession, identity_id: int) -> None:
    state = await session.get(ConversationState, identity_id)
    if state is not None:
        await session.delete(state)
        await session.flush()
