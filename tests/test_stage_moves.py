"""Stage moves as officers expect them (issue 15, findings 1 and 5): one table of allowed moves,
a preview of what the SME will be told, confirmation, an internal note apart from the message to
the SME, and undo within a window that tells the SME nothing more (or one correction) and never
counts in the impact figures."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from handlers.app import build_core, seed_catalogue
from handlers.domain.impact import build_report
from handlers.domain.impact_chart import funnel_rows
from handlers.domain.outbound import from_payload
from handlers.domain.stages import MOVES, OFFICER_STAGES, STAGES, next_stages
from handlers.kernel.core import Core, CoreConfig
from storage import eois, people
from storage.models import AuditEntry, Delivery, StageChange
from storage.store import Store
from tests import test_slack
from tests.conftest import Chat
from tests.test_eoi_flow import complete_eoi

fake, slack = test_slack.fake, test_slack.slack  # the Slack harness's fixtures

NOTE = "team looks too small and proposal is vague, not convinced"


async def setup(store: Store, config: CoreConfig | None = None) -> tuple[Core, Chat, Chat]:
    await seed_catalogue(store)
    core = build_core(store, config, with_faq=False, with_matching=False)
    sme = Chat(core, user="sme1", platform="telegram")
    await complete_eoi(sme)
    async with store.session() as session:
        await people.set_role(session, "console", "off1", "officer")
        await people.set_role(session, "console", "off2", "officer")
    return core, sme, Chat(core, user="off1")


async def notices(store: Store) -> list[Delivery]:
    async with store.session() as session:
        return list(await session.scalars(select(Delivery).where(Delivery.kind == "stage_change")
                                          .order_by(Delivery.id)))


async def stage_of(store: Store, eoi_id: int = 1) -> str:
    async with store.session() as session:
        eoi = await eois.get_eoi(session, eoi_id)
        assert eoi is not None
        return eoi.stage


async def move(officer: Chat, args: str) -> str:
    await officer.send(f"/stage {args}")
    preview = officer.text
    await officer.press_label("Confirm")
    assert "moved from" in officer.text, officer.text
    return preview


def test_one_table_forward_one_stage_or_not_selected() -> None:
    for i, stage in enumerate(STAGES):
        forward = STAGES[i + 1:i + 2]
        assert next_stages(stage) == [*forward, "not-selected"]
    assert MOVES["not-selected"] == MOVES["withdrawn"] == ()
    assert set(MOVES) == {*OFFICER_STAGES, "withdrawn"}


# ---- finding 1: the internal note is not the message to the SME ----

async def test_the_internal_note_never_reaches_the_sme_and_the_message_is_previewed(store):
    _, _, officer = await setup(store)
    await officer.send(f"/stage EOI-000001 not-selected {NOTE}")
    assert f"Internal note (officers only, kept in the history): {NOTE}" in officer.text
    assert "The SME will be told, word for word:" in officer.text
    told = officer.text.split("word for word:")[1]
    assert NOTE not in told and "not selected" in told.lower()
    assert await notices(store) == [] and await stage_of(store) == "submitted"  # nothing yet
    await officer.press_label("Confirm")
    assert "The SME will be told" in officer.text
    [row] = await notices(store)
    assert NOTE not in row.payload["text"] and "Note from the officer" not in row.payload["text"]
    await officer.send("/eoi 1")
    assert f"internal note: {NOTE}" in officer.text  # kept for the officers, in the history


async def test_a_message_to_the_sme_is_shown_as_they_will_read_it_then_sent(store):
    _, _, officer = await setup(store)
    message = "Thank you: we chose proposals closer to the brief this time."
    await officer.send(f"/stage 1 not-selected {NOTE} tell: {message}")
    shown = officer.text.split("word for word:")[1].split("\n\n", 1)[1].split("\n\n")[0:2]
    await officer.press_label("Confirm")
    [row] = await notices(store)
    sent = from_payload(row.payload)
    assert sent.text == "\n\n".join(shown)  # exactly what the preview showed
    assert message in sent.text and NOTE not in sent.text
    await officer.send("/eoi 1")
    assert f"told the SME: {message}" in officer.text


# ---- finding 5: guarded moves, confirmation, undo ----

async def test_moves_cannot_skip_or_go_back_and_need_confirming(store):
    _, _, officer = await setup(store)
    await officer.send("/stage 1 pre-commercialisation")
    assert "can't move to Pre-commercialisation" in officer.text
    await move(officer, "1 exploration")
    await officer.send("/stage 1 submitted")
    assert "can't move to Submitted" in officer.text and "undo" in officer.text
    await officer.send("/stage 1 accelerator")
    await officer.press_label("Cancel")
    assert "stays at Exploration" in officer.text
    assert await stage_of(store) == "exploration" and len(await notices(store)) == 1
    await officer.send("/stage 1 accelerator")
    other = Chat(officer.core, user="off2")
    confirm = next(b.data for r in officer.replies for row in r.buttons for b in row
                   if b.label.startswith("Confirm"))
    await other.press(confirm)
    assert "Only the officer who asked" in other.text and await stage_of(store) == "exploration"
    await officer.press(confirm)
    await officer.press(confirm)  # a second press of the same Confirm changes nothing
    assert "lapsed or was already answered" in officer.text
    assert await stage_of(store) == "accelerator" and len(await notices(store)) == 2


async def test_undo_before_the_notice_left_tells_the_sme_nothing(store):
    _, _, officer = await setup(store)
    await move(officer, "1 exploration")
    await officer.press_label("Undo")
    assert "back at Submitted" in officer.text and "told nothing" in officer.text
    assert await stage_of(store) == "submitted"
    [row] = await notices(store)
    assert row.status == "cancelled"  # never sent
    async with store.session() as session:
        actions = [a.action for a in await session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["stage_change", "stage_undo"]
    await officer.send("/eoi 1")
    assert "undone" in officer.text and "not counted" in officer.text
    await officer.send("/dips undo")
    assert "no stage move from the last 15 minutes" in officer.text


async def test_undo_after_the_notice_left_sends_one_correction(store):
    _, _, officer = await setup(store)
    await move(officer, "1 exploration")
    async with store.session() as session:
        row = await session.scalar(select(Delivery).where(Delivery.kind == "stage_change"))
        assert row is not None
        row.status = "sent"
    await officer.send("/undo")
    assert "one correction" in officer.text
    rows = await notices(store)
    assert [r.status for r in rows] == ["sent", "pending"]
    assert "Correction" in rows[1].payload["text"] and "Submitted" in rows[1].payload["text"]
    await officer.send("/undo")  # nothing more to undo: no second correction
    assert len(await notices(store)) == 2


async def test_only_the_mover_may_undo_only_the_latest_move_within_the_window(store):
    core, _, officer = await setup(store, CoreConfig(undo_window=timedelta(minutes=5)))
    await move(officer, "1 exploration")
    undo = next(b.data for r in officer.replies for row in r.buttons for b in row
                if b.label.startswith("Undo"))
    assert "for 5 minutes" in officer.text
    other = Chat(core, user="off2")
    await other.press(undo)
    assert "Only the officer who made a move" in other.text
    await move(officer, "1 accelerator")
    await officer.press(undo)
    assert "has moved again since" in officer.text and await stage_of(store) == "accelerator"
    async with store.session() as session:
        for change in await session.scalars(select(StageChange)):
            change.at = change.at - timedelta(minutes=6)
    await officer.send("/undo")
    assert "no stage move from the last 5 minutes" in officer.text
    assert await stage_of(store) == "accelerator"


# ---- the impact report after a move and its undo equals a hand count ----

async def test_impact_report_and_chart_after_a_move_and_its_undo_equal_a_hand_count(store):
    core, _, officer = await setup(store)
    sme2 = Chat(core, user="sme2", platform="telegram")
    await complete_eoi(sme2, "planning-consultation")
    await move(officer, "1 exploration")
    await move(officer, "1 accelerator")  # a mis-click: meant not selected
    await officer.press_label("Undo")
    await move(officer, "1 not-selected")
    await move(officer, "2 exploration")
    await officer.press_label("Undo")  # changed their mind entirely
    async with store.session() as session:
        report = await build_report(session)
    # By hand: EOI 1 reached exploration and ended not selected; EOI 2 is still submitted.
    hand_funnel = {"submitted": 2, "exploration": 1, "accelerator": 0, "prototype": 0,
                   "pre-commercialisation": 0}
    hand_ended = {"not-selected": 1, "withdrawn": 0}
    hand_current = {"submitted": 1, "not-selected": 1}
    assert (report.funnel, report.ended, report.current) == (hand_funnel, hand_ended, hand_current)
    assert report.eois == 2 and report.smes_engaged == 2
    hand = dataclasses.replace(report, funnel=hand_funnel, ended=hand_ended, current=hand_current)
    assert funnel_rows(report) == funnel_rows(hand)  # the chart's bars
    text = report.to_text()
    assert "Not selected: 1" in text and "Withdrawn: 0" in text  # the funnel's other exits
    assert ["funnel", "not-selected", "1"] in [line.split(",") for line in
                                               report.to_csv().decode().splitlines()]


async def test_a_correction_made_by_moving_back_counts_the_furthest_stage_after_it(store):
    """The issue's case, from before undo existed: Exploration -> Pre-commercialisation (a
    mis-click) -> Business accelerator counted one EOI at Prototype and Pre-commercialisation."""
    _, _, _ = await setup(store)
    async with store.session() as session:
        eoi = await eois.get_eoi(session, 1)
        assert eoi is not None
        for before, after in (("submitted", "exploration"), ("exploration", "pre-commercialisation"),
                              ("pre-commercialisation", "accelerator")):
            session.add(StageChange(eoi_id=1, from_stage=before, to_stage=after, actor="slack:U1"))
        eoi.stage = "accelerator"
    async with store.session() as session:
        report = await build_report(session)
    assert report.funnel == {"submitted": 1, "exploration": 1, "accelerator": 1, "prototype": 0,
                             "pre-commercialisation": 0}


@pytest.mark.parametrize("args", ["since 2026-12-01 until 2026-11-01", "2026-12-01 until 2026-12-01"])
async def test_dips_impact_refuses_a_period_that_ends_before_it_starts(store, args):
    _, _, officer = await setup(store)
    await officer.send(f"/dips impact {args}")
    assert "The end of the period must come after its start" in officer.text
    assert not any(r.attachment for r in officer.replies)


def test_the_undo_window_is_a_setting() -> None:
    from bot.cli.common import core_config
    from bot.settings import Settings

    assert core_config(Settings(undo_minutes=2)).undo_window == timedelta(minutes=2)
    assert CoreConfig().undo_window == timedelta(minutes=15)
    assert datetime.now(UTC).date() > date(2026, 1, 1)


def test_cli_impact_refuses_a_period_that_ends_before_it_starts(store, db_url) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "DIPS_DATABASE_URL": db_url}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "impact", "--since", "2026-12-01", "--until", "2026-11-01"],
        cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().count("\n") == 0  # one clear line
    assert "end of the period must come after its start" in result.stderr


# ---- through Slack: confirm, then undo with the button ----

async def test_slack_move_confirm_and_undo_tells_the_sme_nothing(slack, store) -> None:
    from tests.test_impact import seed
    from tests.test_slack import button_value, grant

    ids = await seed(store)
    await grant(store)
    eoi_id = ids["food-hubs/2"]  # Tartu Data, an SME on Telegram
    preview = await slack.dips(f"stage {eoi_id} not-selected {NOTE} tell: Thank you for applying")
    assert NOTE in preview and "Thank you for applying" in preview
    done = await slack.press(button_value(preview, "stc"))
    assert "moved from Submitted" in done and "undo this move for 15 minutes" in done
    async with store.session() as session:
        [row] = list(await session.scalars(select(Delivery).where(Delivery.kind == "stage_change")))
        assert NOTE not in row.payload["text"] and "Thank you for applying" in row.payload["text"]
    undone = await slack.press(button_value(done, "stu"))
    assert "back at Submitted" in undone and "told nothing" in undone
    async with store.session() as session:
        row = await session.get(Delivery, row.id)
        assert row is not None and row.status == "cancelled"
        assert (await eois.get_eoi(session, eoi_id)).stage == "submitted"
        report = await build_report(session, date(2025, 1, 1), date(2027, 1, 1))
    assert report.ended["not-selected"] == 1  # Gävle Tech's, from the seed; not Tartu Data's



# ---- finding 10: the "Talking to a person" answer says what is true ----

async def test_talking_to_a_person_says_human_passes_a_question_on(store) -> None:
    from content.faq import load_knowledge_base

    [entry] = [e for e in load_knowledge_base() if e.id == "dips-contact"]
    assert "help menu" not in entry.answer and "/human" in entry.answer
    core = build_core(store, with_matching=False)  # the real FAQ answerer
    sme = Chat(core, user="asker")
    await sme.send("/help")
    assert "contact details" not in sme.text.lower()  # nothing there to point at
    await sme.send("i want to talk to a person")
    assert "help menu" not in sme.text
