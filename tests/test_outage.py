"""The store going away: users are told to try again, and the bot recovers on its own."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy.engine import make_url

from handlers.app import build_core, seed_catalogue
from handlers.kernel.core import UNAVAILABLE
from storage.store import open_store
from tests.conftest import BASE_PG_URL, Chat, database_url


class Proxy:
    """A TCP relay in front of PostgreSQL that the test can cut and restore."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.server: asyncio.Server | None = None
        self.port = 0
        self.links: set[asyncio.StreamWriter] = set()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.links |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.links:
            writer.close()
        self.links.clear()
        await self.server.wait_closed()


@pytest.mark.skipif(not BASE_PG_URL,
                    reason="cuts a TCP link, so it needs the PostgreSQL server")
async def test_database_outage_and_recovery(store, tmp_path):
    await seed_catalogue(store)
    url = make_url(database_url(tmp_path))
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = await open_store(url.set(host="127.0.0.1", port=proxy.port)
                               .render_as_string(hide_password=False))
    chat = Chat(build_core(proxied, with_faq=False, with_matching=False))
    try:
        await chat.send("/interest food-hubs")
        assert "organisation's name" in chat.text
        await proxy.cut()
        await chat.send("Acme Ltd")
        assert chat.text == UNAVAILABLE
        await chat.send("Acme Ltd")
        assert chat.text == UNAVAILABLE
        await proxy.start()  # the database is back on the same address
        await chat.send("Acme Ltd")
        assert "How many people" in chat.text  # the flow carries on where it was
    finally:
        await proxy.cut()
        await proxied.close()


async def test_no_free_connection_is_a_plain_try_again(db_url: str) -> None:
    """Every pooled connection held past the pool's wait (SQLite has one per process): the
    user is asked to try again, not told something broke, and nothing is half-written."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from storage.db import normalise_url
    from storage.store import Store

    await (await open_store(db_url)).close()  # migrated
    store = Store(create_async_engine(normalise_url(db_url), pool_size=1, max_overflow=0,
                                      pool_timeout=0.2))
    try:
        # Its own user: on PostgreSQL the store isn't emptied for this test, and a form left
        # open by an earlier test's "u1" would (rightly) be named by /start, not a welcome.
        chat = Chat(build_core(store, with_faq=False, with_matching=False), user="u-outage")
        async with store.engine.connect():  # the only connection, held by someone else
            await chat.send("/start")
            assert chat.text == UNAVAILABLE
        await chat.send("/start")
        assert "Welcome" in chat.text
    finally:
        await store.close()
