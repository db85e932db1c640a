"""The catalogue's lifecycle (issue 15, findings 4 and 7): a re-import never undoes a launch,
the sample challenges stay out of production stores and are marked as samples wherever they
are shown, and a real import offers to close them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from handlers.app import build_core, import_catalogue, seed_catalogue, seed_demo_catalogue
from storage import challenges, people
from storage.store import Store
from tests.conftest import Chat

ROOT = Path(__file__).resolve().parents[1]

ONE = """challenges:
- ref: city-one
  title: City one
  department: Transport
  summary: Something real
  tags: [transport]
  status: draft
  closes: 2099-01-01
"""
TWO = ONE + """- ref: city-two
  title: City two
  department: Planning
  summary: Something else
  tags: [planning]
  status: draft
"""


def dips(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DIPS_DATABASE_URL": db_url}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


async def status_of(store: Store, ref: str) -> str:
    async with store.session() as session:
        challenge = await challenges.get_challenge(session, ref)
        assert challenge is not None
        return challenge.status


# ---- finding 4: re-importing the catalogue never undoes a launch ----

async def test_a_reimport_keeps_a_challenge_published_from_chat_open(store, db_url, tmp_path):
    path = tmp_path / "catalogue.yaml"
    path.write_text(ONE)
    await import_catalogue(store, path, "cli")
    async with store.session() as session:
        await people.set_role(session, "console", "boss", "admin")
    admin = Chat(build_core(store, with_faq=False, with_matching=False), user="boss")
    await admin.send("/publish city-one")
    await admin.press_label("Publish without announcing")
    await admin.press_label("Confirm")
    assert await status_of(store, "city-one") == "open"

    path.write_text(TWO)  # another challenge added; city-one still says draft in the file
    result = dips(db_url, "challenges", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert "1 new" in result.stdout and "0 updated" in result.stdout
    assert "city-one: stays open (the file says draft)" in result.stdout
    assert "--statuses" in result.stdout
    assert await status_of(store, "city-one") == "open"
    assert await status_of(store, "city-two") == "draft"

    result = dips(db_url, "challenges", "import", "--statuses", str(path))  # asked explicitly
    assert "1 updated" in result.stdout and "stays open" not in result.stdout
    assert await status_of(store, "city-one") == "draft"


async def test_a_closed_challenge_stays_closed_and_a_draft_takes_the_files_status(store, tmp_path):
    path = tmp_path / "catalogue.yaml"
    path.write_text(TWO)
    await import_catalogue(store, path, "cli")
    async with store.session() as session:
        await challenges.set_status(session, "city-one", "closed")
    path.write_text(TWO.replace("status: draft", "status: open"))
    result = await import_catalogue(store, path, "cli")
    assert result.kept == [("city-one", "closed", "open")]
    assert await status_of(store, "city-one") == "closed"
    assert await status_of(store, "city-two") == "open"  # a draft is published by its file


# ---- finding 7: samples stay out of production, are marked, and a real import closes them ----

async def test_only_the_embedded_store_is_seeded_with_samples(store):
    seeded = await seed_demo_catalogue(store)
    async with store.session() as session:
        count = await challenges.count_challenges(session)
    if store.dialect == "sqlite":
        assert seeded == count == 4
    else:  # PostgreSQL, a shared deployment: never by default
        assert seeded == count == 0


def test_serving_commands_leave_postgresql_empty_and_seed_samples_is_explicit(store, db_url):
    listing = dips(db_url, "challenges", "list", "--all", "--json")
    rows = [json.loads(line) for line in listing.stdout.splitlines()]
    if store.dialect == "sqlite":
        assert len(rows) == 4 and all(r["sample"] for r in rows)
    else:
        assert rows == []
        assert "EOI" not in dips(db_url, "match", "urban farm").stdout
    seeded = dips(db_url, "challenges", "seed-samples")
    assert seeded.returncode == 0 and "sample challenges:" in seeded.stdout
    text = dips(db_url, "challenges", "list").stdout
    assert "food-hubs" in text and "[sample]" in text


async def test_samples_are_marked_for_smes_and_officers(store):
    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    sme = Chat(core)
    await sme.send("/challenges")
    assert sme.text.count("• ") == sme.text.count("[sample]") == 4
    await sme.send("/challenge food-hubs")
    assert "[sample]" in sme.replies[0].title and "Sample challenge" in sme.text
    async with store.session() as session:
        await people.set_role(session, "console", "off", "officer")
    officer = Chat(core, user="off")
    await officer.send("/dips challenges")
    assert officer.text.count("[sample]") == 4
    await officer.send("/dips challenge food-hubs")
    assert "Sample challenge" in officer.text and "[sample]" in officer.replies[0].title
    await officer.send("/dashboard")
    assert officer.replies[0].text.count("[sample]") == 4
    matcher = Chat(build_core(store, with_faq=False), user="matcher")
    await matcher.send("/match urban farm and local food producers")
    assert "Sustainable food hubs in local communities [sample]" in matcher.text


async def test_a_real_import_offers_to_close_the_samples_and_closes_them_when_asked(store, db_url,
                                                                                    tmp_path):
    await seed_catalogue(store)
    path = tmp_path / "real.yaml"
    path.write_text(ONE.replace("status: draft", "status: open"))
    result = dips(db_url, "challenges", "import", str(path))
    assert "4 sample challenge(s) are still open" in result.stdout
    assert "--close-samples" in result.stdout and "food-hubs" in result.stdout
    assert await status_of(store, "food-hubs") == "open"
    result = dips(db_url, "challenges", "import", "--close-samples", str(path))
    assert "closed 4 sample challenge(s)" in result.stdout
    sme = Chat(build_core(store, with_faq=False, with_matching=False))
    await sme.send("/challenges")
    assert "City one" in sme.text and "[sample]" not in sme.text and "food hubs" not in sme.text
