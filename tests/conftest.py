"""Shared fixtures: a real store on SQLite (default) or PostgreSQL (DIPS_TEST_DATABASE_URL).

On PostgreSQL the schema is migrated once per test run and every table is emptied before
each test; on SQLite each test gets a new database file.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from handlers.core import Core
from handlers.messages import Incoming, Reply, Speaker
from storage.models import Base
from storage.store import Store, open_store

PG_URL = os.environ.get("DIPS_TEST_DATABASE_URL", "")
SHARED = Path(__file__).resolve().parents[2] / "shared"
_migrated: set[str] = set()


def database_url(tmp_path: Path) -> str:
    return PG_URL or f"sqlite+aiosqlite:///{tmp_path / 'dips.db'}"


async def fresh_store(url: str) -> Store:
    """Open a store on `url`, emptied of every row (PostgreSQL) or brand new (SQLite)."""
    if url.startswith("postgresql") and url not in _migrated:
        store = await open_store(url, migrate=False)
        async with store.engine.begin() as conn:  # start from a clean schema once per run
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await store.close()
        _migrated.add(url)
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
