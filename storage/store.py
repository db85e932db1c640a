"""The store: one engine and session factory, shared by every part of a process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import officer_models, partner_models  # noqa: F401 (their tables join Base.metadata)
from storage.db import create_engine, upgrade


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
            engine, expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: committed when the block ends, rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def checkpoint(self) -> None:
        """After an erasure: SQLite copies the WAL into the file and truncates it, so no copy of
        erased rows stays in the log (PostgreSQL: nothing to do here)."""
        if self.dialect == "sqlite":
            async with self.engine.connect() as conn:
                await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))

    async def ping(self) -> None:
        """One cheap round trip (readiness): raises while the store can't be reached."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()


async def open_store(url: str, migrate: bool = True) -> Store:
    """Open the store; by design the schema is upgraded on every start (see README)."""
    engine = create_engine(url)
    if migrate:
        await upgrade(engine)
    return Store(engine)
