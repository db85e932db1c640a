"""Engines for SQLite and PostgreSQL, and the Alembic upgrade that runs on every start."""

from __future__ import annotations

import asyncio
import fcntl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Accept plain `sqlite://` and `postgresql://` URLs and use the async drivers."""
    for plain, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def create_engine(url: str) -> AsyncEngine:
    """SQLite: WAL, a busy timeout and foreign keys on every connection. PostgreSQL: a pool."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        pool: dict[str, Any] = {}  # in memory: SQLAlchemy's one shared connection already
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # One connection per process: SQLite takes one writer at a time, and a process
            # that queues its own transactions for the connection (in order, no sleeping)
            # beats connections polling the file lock with back-off sleeps (p99 ~1 s at 8
            # users). The price: while another process (a CLI import, a second replica) holds
            # the write lock, this process's readers queue too. And nothing may open a session
            # while holding one: it would wait for itself (until the pool timeout).
            pool = {"pool_size": 1, "max_overflow": 0}
        engine = create_async_engine(url, connect_args={"timeout": 30}, **pool)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Erased rows are overwritten with zeros, not left readable in free pages.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    # No pre-ping and no reset-on-return: every use is a committed or rolled-back unit of work,
    # and a dropped connection is invalidated by its first error (the core says "try again").
    return create_async_engine(url, pool_size=20, max_overflow=20, pool_reset_on_return=None)


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _upgrade(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        # Two processes starting together must not both run the migrations.
        conn.execute(text("SELECT pg_advisory_xact_lock(7243501)"))
    if MigrationContext.configure(conn).get_current_revision() == head_revision():
        return
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration (a no-op when it is already there)."""
    async with _sqlite_migration_lock(engine), engine.begin() as conn:
        await conn.run_sync(_upgrade)


@asynccontextmanager
async def _sqlite_migration_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Processes starting together on a new SQLite file take turns to migrate it (two at once
    both create the tables, and one fails). PostgreSQL takes an advisory lock in _upgrade."""
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:":
        yield
        return
    with open(f"{path}.migrate-lock", "a") as handle:
        await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda c: MigrationContext.configure(c).get_current_revision()
        )
