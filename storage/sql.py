"""Typed answers SQLAlchemy's stubs leave loose: rows a statement matched, a session's dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


def rowcount(result: Result[Any]) -> int:
    """Rows an INSERT, UPDATE or DELETE matched (0 when the driver does not say).

    `execute` is typed as returning a Result; for those statements it is a CursorResult, the
    kind that counts rows.
    """
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} does not count rows: not a DML statement's result")
    return result.rowcount or 0


def dialect_name(db: AsyncSession | AsyncConnection) -> str:
    """The dialect ("postgresql", "sqlite") a session or connection speaks."""
    if isinstance(db, AsyncConnection):
        return db.dialect.name
    if db.bind is None:
        raise RuntimeError("the session is bound to no engine")
    return db.bind.dialect.name
