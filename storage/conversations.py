"""Conversation state rows: one per identity, versioned for optimistic concurrency.

Writers say which version they read; if another process has moved the row on since, the write
matches no row and raises StaleDataError, so the caller can replay the message on fresh state.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from storage.models import ConversationState, utcnow
from storage.sql import rowcount

# Built once, on the table rather than the ORM entity: a flow writes state on nearly every
# message, and this skips the ORM's unit of work and SQLAlchemy's per-call statement building.
_TABLE = ConversationState.__table__
_INSERT = insert(_TABLE).values(
    identity_id=bindparam("identity_id"), flow=bindparam("flow"), step=bindparam("step"),
    data=bindparam("data"), version=1, updated_at=bindparam("now"))
_AT_VERSION = (_TABLE.c.identity_id == bindparam("of_identity"),  # not a column's name
               _TABLE.c.version == bindparam("read_version"))
_UPDATE = update(_TABLE).where(*_AT_VERSION).values(
    flow=bindparam("flow"), step=bindparam("step"), data=bindparam("data"),
    version=bindparam("version"), updated_at=bindparam("now"))
_DELETE = delete(_TABLE).where(*_AT_VERSION)


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
    values = {"identity_id": identity_id, "flow": flow, "step": step, "data": data,
              "now": utcnow()}
    if read_version is None:
        await session.execute(_INSERT, values)  # a concurrent insert raises IntegrityError
        return
    result = await session.execute(
        _UPDATE, {**values, "of_identity": identity_id, "read_version": read_version,
                  "version": read_version + 1})
    if rowcount(result) != 1:
        raise StaleDataError(f"conversation of identity {identity_id} changed meanwhile")


async def clear_state(session: AsyncSession, identity_id: int, read_version: int) -> None:
    result = await session.execute(
        _DELETE, {"of_identity": identity_id, "read_version": read_version})
    if rowcount(result) != 1:
        raise StaleDataError(f"conversation of identity {identity_id} changed meanwhile")


async def in_flow(session: AsyncSession, flow: str) -> list[ConversationState]:
    """Every conversation currently in `flow` (e.g. unfinished EOI forms), oldest first."""
    return list(await session.scalars(
        select(ConversationState).where(ConversationState.flow == flow)
        .order_by(ConversationState.updated_at)))
