"""The officers' tools through the Slack fake: signed requests, modals, `response_action`
errors for invalid input, and forged form buttons from another department."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from sqlalchemy import select

from bot.slack.forms import FORM_CALLBACK
from bot.slack.render import FORM_ACTION
from storage import departments, people
from storage.models import Challenge
from storage.officer_models import Assessment
from storage.store import Store
from tests.fake_slack import action_body, command_body, event_body
from tests.test_impact import seed
from tests.test_slack import (
    Harness,
    fake,  # noqa: F401 (fixture)
    slack,  # noqa: F401 (fixture)
)


async def _grant(store: Store, user: str, role: str, *named: str) -> None:
    async with store.session() as session:
        identity = await people.set_role(session, "slack", user, role)
        await departments.set_departments(session, identity.id, named)


def submission(metadata: str, values: dict[str, str], user: str) -> str:
    payload: dict[str, Any] = {
        "type": "view_submission", "team": {"id": "T0TEST", "domain": "test"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEST"},
        "api_app_id": "A0TEST", "token": "legacy", "trigger_id": "trigger-2",
        "view": {"id": "V0TEST", "type": "modal", "callback_id": FORM_CALLBACK,
                 "private_metadata": metadata, "team_id": "T0TEST", "app_id": "A0TEST",
                 "state": {"values": {k: {k: {"type": "plain_text_input", "value": v}}
                                      for k, v in values.items()}},
                 "hash": "h", "blocks": []}}
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


async def test_draft_modal_shows_errors_then_saves(slack: Harness, store: Store) -> None:  # noqa: F811
    await seed(store)
    await _grant(store, "UDRAFT", "officer", "Environment")
    status, _ = await slack.post(command_body("draft", user="UDRAFT"))
    assert status == 200
    opened = await slack.fake.wait_for(lambda: slack.fake.calls_to("views.open"))
    view = opened[-1]["view"]
    assert view["callback_id"] == FORM_CALLBACK
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == [
        "title", "department", "summary", "tags", "closes", "budget", "contact"]
    bad = {"title": "", "department": "Planning and Development", "summary": "Cleaner air",
           "tags": "air", "closes": "31/01/2099", "contact": "not an email"}
    status, body = await slack.post(submission(view["private_metadata"], bad, "UDRAFT"))
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"title", "closes", "contact"}
    async with store.session() as session:
        assert await session.scalar(select(Challenge).where(Challenge.title == "")) is None
    good = {**bad, "title": "Cleaner air near schools", "closes": "2099-01-31",
            "contact": "air@example.org"}
    status, body = await slack.post(submission(view["private_metadata"], good, "UDRAFT"))
    assert status == 200 and "errors" not in body
    posted = await slack.fake.wait_for(lambda: [c for c in slack.fake.calls_to("chat.postEphemeral")
                                                if "Draft saved" in json.dumps(c)])
    shown = json.dumps(posted[-1], ensure_ascii=False)
    assert "SMEs will find it by" in shown and f'"{FORM_ACTION}' in shown  # Edit opens the form
    async with store.session() as session:
        row = await session.scalar(select(Challenge).where(Challenge.ref == "cleaner-air-near-schools"))
    assert row is not None and row.status == "draft"


async def test_score_modal_and_forged_scores_from_another_department(
        slack: Harness, store: Store) -> None:  # noqa: F811
    ids = await seed(store)
    eoi_id = ids["food-hubs/2"]
    await _grant(store, "UFOOD", "officer", "Public Health")
    await _grant(store, "UPLAN", "officer", "Environment")
    # another department's officer: no form opens, the press is refused
    status, _ = await slack.post(action_body(f"asx:{eoi_id}", action_id=f"{FORM_ACTION}0",
                                             user="UPLAN", channel="COFF",
                                             response_url=slack.fake.response_url("p1")))
    said = json.dumps(await slack.fake.wait_for(
        lambda: [r for r in slack.fake.responses if r["key"] == "p1"]))
    assert "outside your departments" in said and not slack.fake.calls_to("views.open")
    # a forged submission of the scoring form by that officer writes nothing
    metadata = json.dumps({"k": "score", "x": str(eoi_id), "c": "COFF"})
    scores = {"s_fit": "5", "s_innovation": "5", "s_feasibility": "5", "s_team": "5",
              "s_social": "5"}
    status, _ = await slack.post(submission(metadata, scores, "UPLAN"))
    await slack.fake.wait_for(lambda: [c for c in slack.fake.calls_to("chat.postEphemeral")
                                       if "outside your departments" in json.dumps(c)])
    # the department's officer: the form, an error for a bad score, then saved
    await slack.post(action_body(f"asx:{eoi_id}", action_id=f"{FORM_ACTION}0", user="UFOOD"))
    opened = await slack.fake.wait_for(lambda: slack.fake.calls_to("views.open"))
    view = opened[-1]["view"]
    status, body = await slack.post(submission(view["private_metadata"],
                                               {**scores, "s_team": "7"}, "UFOOD"))
    assert json.loads(body) == {"response_action": "errors",
                                "errors": {"s_team": "Give a whole number from 1 to 5."}}
    status, body = await slack.post(submission(view["private_metadata"],
                                               {**scores, "c_fit": "Right on the brief"}, "UFOOD"))
    assert status == 200 and "errors" not in body
    await slack.fake.wait_for(lambda: [c for c in slack.fake.calls_to("chat.postEphemeral")
                                       if "scores for EOI" in json.dumps(c)])
    async with store.session() as session:
        rows = list(await session.scalars(select(Assessment)))
    assert [(r.assessor, r.comments) for r in rows] == [("slack:UFOOD", {"fit": "Right on the brief"})]


async def test_app_home_offers_drafting_and_the_button_opens_the_form(
        slack: Harness, store: Store) -> None:  # noqa: F811
    await seed(store)
    await _grant(store, "UHOME", "officer", "Environment")
    status, _ = await slack.post(event_body({"type": "app_home_opened", "user": "UHOME",
                                             "channel": "D1", "tab": "home"}, event_id="EvHOME17"))
    assert status == 200
    published = await slack.fake.wait_for(lambda: slack.fake.calls_to("views.publish"))
    buttons = [e for b in published[-1]["view"]["blocks"] if b["type"] == "actions"
               for e in b["elements"] if e["value"] == "drn:"]
    assert buttons and buttons[0]["action_id"].startswith(FORM_ACTION)
    payload = json.loads(urllib.parse.parse_qs(action_body("drn:", action_id=buttons[0]["action_id"],
                                                           user="UHOME"))["payload"][0])
    payload["container"] = {"type": "view", "view_id": "V1"}  # pressed in App Home
    await slack.post(urllib.parse.urlencode({"payload": json.dumps(payload)}))
    opened = await slack.fake.wait_for(lambda: slack.fake.calls_to("views.open"))
    assert opened[-1]["view"]["callback_id"] == FORM_CALLBACK


async def test_workshop_form_checks_its_fields(slack: Harness, store: Store) -> None:  # noqa: F811
    from datetime import UTC, datetime, timedelta

    await seed(store)
    await _grant(store, "UWS", "officer", "Public Health")
    await slack.post(command_body("workshop food-hubs", user="UWS"))
    opened = await slack.fake.wait_for(lambda: slack.fake.calls_to("views.open"))
    metadata = opened[-1]["view"]["private_metadata"]
    day = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    good = {"date": day, "time": "14:00", "place": "https://meet.example/dips", "capacity": "12"}
    _, body = await slack.post(submission(metadata, {**good, "time": "2pm", "capacity": "0"}, "UWS"))
    assert set(json.loads(body)["errors"]) == {"time", "capacity"}
    _, body = await slack.post(submission(metadata, good, "UWS"))
    assert "errors" not in body
    await slack.fake.wait_for(lambda: [c for c in slack.fake.calls_to("chat.postMessage")
                                       + slack.fake.calls_to("chat.postEphemeral")
                                       if "Workshop #1" in json.dumps(c)])
