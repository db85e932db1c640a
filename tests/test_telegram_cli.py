"""`dips run` as a real process serving Telegram through the fake Bot API; the EOI lands in the store."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from tests.fake_telegram import TOKEN, FakeTelegram
from tests.journeys import journey_to_eoi

DIPS = Path(sys.executable).with_name("dips")
USER = 777


async def test_dips_run_serves_a_journey(tmp_path: Path) -> None:
    fake = await FakeTelegram().start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPS_")}
    env.update(DIPS_TELEGRAM_TOKEN=TOKEN, DIPS_TELEGRAM_API_URL=fake.api_url,
               DIPS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
               DIPS_LOG_LEVEL="INFO")
    process = await asyncio.create_subprocess_exec(
        str(DIPS), "run", cwd=tmp_path, env=env,  # cwd: no stray .env from the checkout
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        async def say(text: str, expect: str) -> str:
            since = len(fake.calls)
            fake.push(fake.message(USER, text))
            return await fake.wait_for_text(USER, expect, since, timeout=30)

        async def press(label: str, expect: str) -> str:
            since = len(fake.calls)
            fake.push(fake.callback(USER, fake.button(USER, label)))
            return await fake.wait_for_text(USER, expect, since, timeout=30)

        reference = await journey_to_eoi(fake, USER, say, press, org="Widget Works",
                                         website="https://widgets.example.com",
                                         contact="Alex Jones", email="alex@example.com")
        assert reference == "EOI-000001"
        await say("/my", reference)
    finally:
        process.send_signal(signal.SIGTERM)  # as a service manager stops it
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
        finally:
            await fake.stop()
    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr, stderr.decode()
    assert fake.sent(method="setMyCommands")

    listing = await asyncio.create_subprocess_exec(
        str(DIPS), "eoi", "list", "--json", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(listing.communicate(), 60)
    assert listing.returncode == 0, err.decode()
    [row] = [json.loads(line) for line in out.decode().splitlines()]
    assert row["reference"] == "EOI-000001"
    assert row["organisation"] == "Widget Works" and row["contact_email"] == "alex@example.com"
    assert row["stage"] == "submitted"
