"""Shared fixtures: a real store on SQLite (default) or PostgreSQL (DIPS_TEST_DATABASE_URL).

On PostgreSQL each test run creates its own database next to the given one (so parallel runs
don't collide), migrates it once and empties every table before each test; on SQLite each test
gets a new database file.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from handlers.kernel.core import Core
from handlers.kernel.messages import Incoming, Reply, Speaker
from storage.models import Base
from storage.store import Store, open_store

BASE_PG_URL = os.environ.get("DIPS_TEST_DATABASE_URL", "")
PG_URL = ""  # this run's own database, set by the session fixture below
SHARED = Path(__file__).resolve().parents[2] / "shared"


def _admin_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def pg_database() -> Iterator[None]:
    """Create a throw-away PostgreSQL database for this run and drop it afterwards."""
    global PG_URL
    if not BASE_PG_URL:
        yield
        return
    name = f"dips_test_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(_admin_dsn(BASE_PG_URL))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    PG_URL = make_url(BASE_PG_URL).set(database=name).render_as_string(hide_password=False)
    os.environ["DIPS_TEST_DATABASE_URL"] = PG_URL  # for fixtures that read it directly
    try:
        yield
    finally:
        os.environ["DIPS_TEST_DATABASE_URL"] = BASE_PG_URL
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def database_url(tmp_path: Path) -> str:
    return PG_URL or f"sqlite+aiosqlite:///{tmp_path / 'dips.db'}"


async def fresh_store(url: str) -> Store:
    """Open a store on `url`, emptied of every row (PostgreSQL) or brand new (SQLite)."""
    store = await open_store(url)
    if store.dialect == "postgresql":
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        async with store.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await fresh_store(database_url(tmp_path))
    yield store
    await store.close()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return database_url(tmp_path)


def free_port() -> int:
    """A local TCP port nobody is listening on, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Chat:
    """Errbot-style harness: push what a user does through the core, pop the replies."""

    def __init__(self, core: Core, user: str = "u1", platform: str = "console") -> None:
        self.core = core
        self.speaker = Speaker(platform, user, chat_id=user, display_name=user)
        self.replies: list[Reply] = []

    async def send(self, text: str) -> list[Reply]:
        if text.startswith("/"):
            name, _, args = text[1:].partition(" ")
            message = Incoming(self.speaker, command=name, args=args)
        else:
            message = Incoming(self.speaker, text=text)
        self.replies = await self.core.handle(message)
        return self.replies

    async def press(self, data: str) -> list[Reply]:
        self.replies = await self.core.handle(Incoming(self.speaker, button=data))
        return self.replies

    async def press_label(self, label: str) -> list[Reply]:
        """Press the button whose label contains `label` in the last replies."""
        for reply in self.replies:
            for row in reply.buttons:
                for button in row:
                    if label.lower() in button.label.lower():
                        return await self.press(button.data)
        raise AssertionError(f"no button {label!r} in {self.text}")

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)
