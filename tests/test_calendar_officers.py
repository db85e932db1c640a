"""The officers' weekly digest, planned by the scheduler with a controlled clock and posted to
the officers' channel by the Slack worker against the fake Web API; and `dips schedule list`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.slack.adapter import SlackAdapter
from bot.slack.worker import SlackWorker
from handlers.domain.calendar import CalendarConfig
from handlers.domain.scheduler import Scheduler
from storage.models import Delivery, Eoi, Question
from tests.calendar_helpers import add_challenge, add_followers
from tests.test_impact import seed
from tests.test_slack import CHANNEL, make_core, slack_settings
from tests.test_slack_delivery import fake  # noqa: F401  (the fixture)

LONDON = ZoneInfo("Europe/London")


def next_monday(hour: int = 9, minute: int = 1) -> datetime:
    today = datetime.now(LONDON).date()
    days = (7 - today.weekday()) % 7 or 7
    return datetime.combine(today + timedelta(days=days), datetime.min.time(),
                            tzinfo=LONDON).replace(hour=hour, minute=minute)


async def test_the_officers_digest_lists_each_department_with_action_buttons(fake, store):  # noqa: F811
    ids = await seed(store)
    async with store.session() as session:
        session.add(Question(text="Is there funding for sensors?", status="open"))
    monday = next_monday()
    clock_now = monday
    scheduler = Scheduler(store, CalendarConfig(unmoved_days=0), lambda: clock_now)
    assert "officer_digest" in await scheduler.tick()
    assert "officer_digest" not in await scheduler.tick()
    async with store.session() as session:
        (row,) = list(await session.scalars(select(Delivery).where(
            Delivery.kind == "officer_digest")))
    assert row.platform == "slack"
    core = make_core(store)
    worker = SlackWorker(core, slack_settings(fake), SlackAdapter(core, slack_settings(fake)).client,
                         per_channel=0.0)
    assert await worker.drain_once() == 1
    (posted,) = fake.calls_to("chat.postMessage")
    assert posted["channel"] == CHANNEL
    text = json.dumps(posted["blocks"], ensure_ascii=False)
    async with store.session() as session:
        eois = list(await session.scalars(select(Eoi)))
    new = sum(e.created_at >= monday - timedelta(days=7) for e in eois)
    live = sum(e.stage not in ("withdrawn", "not-selected") for e in eois)
    assert len(ids) == len(eois) and live > 0
    assert "The week in DIPS" in text and f"New EOIs this week: {new}." in text
    assert f"EOIs not moved for 0 days: {live}." in text
    assert "Questions waiting for an officer: 1" in text and "No particular challenge" in text
    values = [e["value"] for b in posted["blocks"] if b["type"] == "actions"
              for e in b["elements"]]
    assert any(v.startswith("oe:") for v in values) and any(v.startswith("csc:") for v in values)


def test_schedule_list_shows_what_is_due_when_and_for_how_many(tmp_path: Path) -> None:
    import asyncio

    from storage.store import open_store

    url = f"sqlite+aiosqlite:///{tmp_path / 'dips.db'}"

    async def prepare() -> None:
        store = await open_store(url)
        closes = datetime.now(LONDON).date() + timedelta(days=20)
        cid = await add_challenge(store, "grit", closes)
        await add_followers(store, cid, 3, first=100)
        await store.close()

    asyncio.run(prepare())
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPS_")}
    env["DIPS_DATABASE_URL"] = url
    out = subprocess.run([str(Path(sys.executable).with_name("dips")), "schedule", "list"],
                         env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    reminders = [line for line in lines if "reminder_" in line]
    assert len(reminders) == 2 and all("3 follower(s)" in line for line in reminders)
    assert "17:00" in reminders[0] and all(" grit " in line for line in reminders)
    digest = next(line for line in lines if "digest " in line and "officer" not in line)
    assert "0 weekly reader(s)" in digest
    assert "the officers' channel" in next(line for line in lines if "officer_digest" in line)
