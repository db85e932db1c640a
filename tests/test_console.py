"""A scripted console trial: what the assistant sends later reaches the SME's terminal."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from pathlib import Path

from handlers.app import build_core
from storage import people, subscriptions
from storage.store import open_store
from tests.conftest import Chat

ROOT = Path(__file__).resolve().parents[1]
SME_LINES = ["/interest food-hubs", "Acme Food Tech Ltd", "12 staff", "United Kingdom", "Birmingham",
             "skip", "Sam Smith", "sam@acme.example", "A food ordering app for local growers and hubs.",
             "1", "1"]


async def _read_until(stream: asyncio.StreamReader, marker: str, seen: list[str],
                      timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while not any(marker in line for line in seen):
            line = await stream.readline()
            if not line:
                raise AssertionError(f"console ended before {marker!r}: {''.join(seen)[-2000:]}")
            seen.append(line.decode())


async def test_a_stage_change_and_a_broadcast_appear_in_the_smes_terminal(db_url: str) -> None:
    env = {**os.environ, "DIPS_DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "chat", cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    assert process.stdin is not None and process.stdout is not None
    seen: list[str] = []
    try:
        for line in SME_LINES:
            process.stdin.write((line + "\n").encode())
        await process.stdin.drain()
        await _read_until(process.stdout, "EOI-000001", seen)
        store = await open_store(db_url)
        core = build_core(store, with_faq=False, with_matching=False)
        async with store.session() as session:
            await people.set_role(session, "console", "boss", "admin")
            sme = await people.get_identity(session, "console", f"console-{getpass.getuser()}-sme")
            assert sme is not None
            await subscriptions.set_subscription(session, sme.id, ["food"])
        officer = Chat(core, user="boss")
        await officer.send("/dips stage 1 exploration")
        await _read_until(process.stdout, "Exploration", seen)
        await officer.send("/broadcast food-hubs")
        await officer.press_label("All subscribers")
        await officer.press_label("Confirm")
        await _read_until(process.stdout, "New challenge", seen)
        await store.close()
        text = "".join(seen)
        assert "(new message)" in text and "Update on EOI-000001" in text
    finally:
        process.stdin.close()
        await asyncio.wait_for(process.wait(), 20)
