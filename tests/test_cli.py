"""The `dips` command line, run as a real subprocess against a real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DIPS = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], db_url: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "DIPS_DATABASE_URL": db_url, **env}
    return subprocess.run([*DIPS, *args], input=stdin, capture_output=True, text=True,
                          env=environ, cwd=ROOT, timeout=120)


@pytest.fixture
def cli_db(store, db_url: str) -> str:  # `store` gives a fresh, migrated database
    return db_url


SCRIPT = """/challenges
/interest food-hubs
Acme Food Tech Ltd
2
1
Birmingham
acme.example.com
Jane Smith
jane@acme.example.com
We run a neighbourhood food ordering app for local growers and food hubs.
1
1
/my
"""


def with_samples(cli_db: str) -> str:
    """The sample challenges: a SQLite store gets them by itself, PostgreSQL only on request."""
    assert "sample challenges:" in run(["challenges", "seed-samples"], cli_db).stdout
    return cli_db


def test_scripted_console_completes_an_eoi_that_eoi_list_shows(cli_db):
    chat = run(["chat"], with_samples(cli_db), SCRIPT)
    assert chat.returncode == 0, chat.stderr
    assert "Your reference: EOI-000001" in chat.stdout
    listing = run(["eoi", "list", "--json"], cli_db)
    rows = [json.loads(line) for line in listing.stdout.splitlines()]
    assert [(r["reference"], r["challenge"], r["organisation"], r["stage"]) for r in rows] == [
        ("EOI-000001", "food-hubs", "Acme Food Tech Ltd", "submitted")]


def test_import_with_three_broken_entries_lists_all_and_writes_nothing(cli_db, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("""challenges:
- ref: good-one
  title: Fine
  department: Dept
  summary: ok
  tags: [a]
  status: open
- ref: Bad Ref!
  title: Broken ref
  department: Dept
  summary: ok
  tags: [a]
  status: open
- ref: no-tags
  title: Missing tags
  department: Dept
  summary: ok
  status: open
- ref: bad-status
  title: Bad status and date
  department: Dept
  summary: ok
  tags: [a]
  status: live
  closes: 31/03/2027
""")
    result = run(["challenges", "import", str(bad)], cli_db)
    assert result.returncode == 1
    assert "#2" in result.stderr and "'ref'" in result.stderr
    assert "no-tags" in result.stderr and "'tags'" in result.stderr
    assert "bad-status" in result.stderr and "'status'" in result.stderr and "'closes'" in result.stderr
    assert "nothing was imported" in result.stderr
    listing = run(["challenges", "list", "--all", "--json"], cli_db)
    assert "good-one" not in listing.stdout


def test_import_is_an_upsert_and_close_hides_a_challenge(cli_db, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("""challenges:
- ref: cli-one
  title: One
  department: Dept
  summary: Something
  tags: [air quality, sensors]
  status: open
  closes: 2099-01-01
""")
    assert "1 new" in run(["challenges", "import", str(good)], cli_db).stdout
    assert "1 unchanged" in run(["challenges", "import", str(good)], cli_db).stdout
    assert "cli-one" in run(["challenges", "list"], cli_db).stdout
    assert run(["challenges", "close", "cli-one"], cli_db).returncode == 0
    assert "cli-one" not in run(["challenges", "list"], cli_db).stdout
    assert "cli-one" in run(["challenges", "list", "--all"], cli_db).stdout


def test_export_csv_escapes_formulas(cli_db, tmp_path):
    script = SCRIPT.replace("Acme Food Tech Ltd", "=HYPERLINK(\"x\")")
    assert "EOI-000001" in run(["chat"], with_samples(cli_db), script).stdout
    out = tmp_path / "eois.csv"
    result = run(["eoi", "export", "--csv", str(out)], cli_db)
    assert result.returncode == 0 and "1 expressions" in result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a byte-order mark: Excel reads UTF-8 as written
    text = raw.decode("utf-8-sig")
    assert text.startswith("reference,challenge,department,organisation")  # the one export
    assert "'=HYPERLINK" in text
    shown = run(["eoi", "export"], cli_db)  # no file: the CSV on standard output, no BOM
    assert shown.returncode == 0 and shown.stdout.startswith("reference,challenge,")
    assert "'=HYPERLINK" in shown.stdout and shown.stdout.count("\n") == 2


def test_bad_setting_gives_one_clear_line(tmp_path):
    result = run(["challenges", "list"], "mysql://nope")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "DIPS_DATABASE_URL" in result.stderr
    result = run(["challenges", "list"], f"sqlite:///{tmp_path}/x.db", DIPS_SLACK_PORT="abc")
    assert result.returncode == 2 and "DIPS_SLACK_PORT" in result.stderr


def test_run_without_tokens_explains_and_starts_the_console(cli_db):
    result = run(["run"], cli_db, "/help\n")
    assert result.returncode == 0
    assert "DIPS_TELEGRAM_TOKEN" in result.stderr and "DIPS_SLACK_BOT_TOKEN" in result.stderr
    assert "/interest" in result.stdout


def test_roles_grant_and_officer_console(cli_db):
    assert run(["roles", "grant", "slack:U1", "officer"], cli_db).returncode == 0
    result = run(["chat", "--as", "officer"], cli_db, "/eois\n/questions\n")
    assert "No expressions of interest yet" in result.stdout


def test_privacy_purge_erases_only_inactive_smes(cli_db):
    assert "EOI-000001" in run(["chat"], with_samples(cli_db), SCRIPT).stdout
    assert "0 SME" in run(["privacy", "purge", "--older-than", "30", "--yes"], cli_db).stdout
    # with a retention of one day seen from two days ahead, everyone is stale
    result = run(["privacy", "purge", "--yes"], cli_db, DIPS_RETENTION_DAYS="1")
    assert result.returncode == 0 and "0 SME" in result.stdout  # created today: not stale yet
    listing = run(["eoi", "list", "--json"], cli_db)
    assert "Acme Food Tech Ltd" in listing.stdout


async def test_challenge_closed_on_the_command_line_leaves_a_running_bots_matches(cli_db, store):
    import asyncio
    import time

    from handlers.app import build_core, seed_catalogue
    from tests.conftest import Chat

    await seed_catalogue(store)
    chat = Chat(build_core(store))  # the running bot, with its default live index
    await chat.send("/match urban farm and local food producers")
    assert "Sustainable food hubs" in chat.text
    closed = await asyncio.create_subprocess_exec(
        *DIPS, "challenges", "close", "food-hubs", cwd=ROOT,
        env={**os.environ, "DIPS_DATABASE_URL": cli_db})
    assert await closed.wait() == 0
    started = time.monotonic()
    while "Sustainable food hubs" in chat.text:
        assert time.monotonic() - started < 5, "closed challenge still matched after 5 s"
        await asyncio.sleep(0.2)
        await chat.send("/match urban farm and local food producers")


def test_two_hundred_questions_in_one_process(cli_db):
    questions = [f"question {i}: how do i register interest in a challenge" for i in range(200)]
    result = run(["ask", "--json", "-"], cli_db, "\n".join(questions) + "\n")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0 and len(rows) == 200
    assert [r["question"] for r in rows] == questions
    assert all(r["faq_id"] == "dips-how-to-apply" for r in rows)


def test_processes_starting_together_on_a_new_sqlite_file_both_start(tmp_path: Path) -> None:
    """Two commands migrating one new SQLite file at once take turns (PostgreSQL: see db.py)."""
    for attempt in range(4):  # unguarded, about half of such starts failed
        url = f"sqlite+aiosqlite:///{tmp_path / f'new{attempt}.db'}"
        environ = {**os.environ, "DIPS_DATABASE_URL": url}
        both = [subprocess.Popen([*DIPS, "db", "upgrade"], env=environ, cwd=ROOT, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        for process in both:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0 and "Traceback" not in err, err
            assert "revision" in out
