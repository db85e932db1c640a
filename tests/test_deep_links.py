"""`dips challenges link REF`: the t.me deep link the /start payload understands, and its QR
code as a PNG whose modules are exactly the link's."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
import segno
from PIL import Image

from bot.cli.links import cmd_challenges_link
from bot.settings import Settings
from handlers.app import build_core, seed_catalogue
from storage.store import Store
from tests.conftest import Chat
from tests.fake_telegram import TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parents[1]


def qr_modules(path: Path, scale: int = 10, border: int = 4) -> list[list[bool]]:
    """The dark modules read back from the PNG, one sample in the middle of each."""
    pixels = np.asarray(Image.open(path).convert("L"))
    size = pixels.shape[0] // scale - 2 * border
    return [[bool(pixels[(border + r) * scale + scale // 2, (border + c) * scale + scale // 2] < 128)
             for c in range(size)] for r in range(size)]


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = await FakeTelegram().start()
    yield fake
    await fake.stop()


async def test_link_from_the_configured_username_with_its_qr_code(store: Store, db_url: str,
                                                                  tmp_path: Path) -> None:
    await seed_catalogue(store)
    ref = "food-hubs"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DIPS_")},
           "DIPS_DATABASE_URL": db_url, "DIPS_TELEGRAM_USERNAME": "@dips_bcc_bot"}
    qr = tmp_path / "poster.png"
    result = subprocess.run([sys.executable, "-m", "bot.cli", "challenges", "link", ref, "--qr", str(qr)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    link = f"https://t.me/dips_bcc_bot?start={ref}"
    assert result.stdout.strip() == link and str(qr) in result.stderr
    expected = [[bool(v) for v in row] for row in segno.make(link, error="m", micro=False).matrix]
    assert qr_modules(qr) == expected  # the image encodes exactly this link
    # What the link does: /start with the reference opens that challenge.
    reply = "\n".join(r.text for r in await Chat(build_core(store)).send(f"/start {ref}"))
    assert "Food" in reply or ref in reply

    unknown = subprocess.run([sys.executable, "-m", "bot.cli", "challenges", "link", "no-such"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 1 and "no challenge" in unknown.stderr and "Traceback" not in unknown.stderr


async def test_the_username_comes_from_telegram_when_not_configured(
        store: Store, db_url: str, tmp_path: Path, telegram: FakeTelegram,
        capsys: pytest.CaptureFixture[str]) -> None:
    await seed_catalogue(store)
    settings = Settings(database_url=db_url, telegram_token=TOKEN, telegram_api_url=telegram.api_url)
    args = argparse.Namespace(ref="food-hubs", qr=str(tmp_path / "q.png"))
    assert await cmd_challenges_link(args, settings) == 0
    assert capsys.readouterr().out.strip() == "https://t.me/dips_test_bot?start=food-hubs"
    assert (tmp_path / "q.png").read_bytes().startswith(b"\x89PNG")
    assert await cmd_challenges_link(argparse.Namespace(ref="food-hubs", qr=None),
                                     Settings(database_url=db_url)) == 2  # no way to know the bot
