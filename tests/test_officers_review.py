"""Review of the officers' early-stage tools (issue 17): a chat draft can't be opened past its
approval, marking an EOI not selected offers its feedback, a challenge's criteria can be seen
and weighed, a dated approval tells its author and approver on the day."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers.domain import assessment
from handlers.domain.calendar import CalendarConfig
from handlers.domain.scheduler import Scheduler
from storage import challenges, eois
from storage.models import AuditEntry, Delivery
from storage.store import Store
from tests.test_officers import DRAFT, FOOD, REFUSED, _core, _staff

REF = "cleaner-air-near-schools"


async def _status(store: Store, ref: str) -> str:
    async with store.session() as session:
        c = await challenges.get_challenge(session, ref)
        assert c is not None
        return c.status


async def test_an_admin_cannot_open_their_own_draft_by_publishing_or_announcing_it(
        store: Store) -> None:
    core = await _core(store)
    author = await _staff(store, core, "author", "admin")
    await author.send(DRAFT)
    async with store.session() as session:
        c = await challenges.get_challenge(session, REF)
        assert c is not None
        cid = c.id
    for line in (f"/dips publish {REF}", f"/dips broadcast {REF}"):
        await author.send(line)
        assert "opens only when an admin other than its author approves it" in author.text, line
    for data in (f"bca:n:{cid}", f"bcy:n:{cid}", f"bcy:a:{cid}", f"bcp:{REF}"):  # forged presses
        await author.press(data)
        assert "opens only when" in author.text, data
    await author.send(f"/dips submit {REF}")
    await author.press(f"bcy:n:{cid}")  # submitted, still not approved
    assert await _status(store, REF) == "draft"
    approver = await _staff(store, core, "approver", "admin")
    await approver.send(f"/dips approve {REF}")
    assert "exactly as a recipient will see it" in approver.text  # the preview, once approved
    assert await _status(store, REF) == "open"


async def test_marking_an_eoi_not_selected_offers_its_feedback_for_review(store: Store) -> None:
    core = await _core(store)
    food = await _staff(store, core, "fooder", "officer", FOOD)
    form = {"scores": {"fit": "2", "innovation": "3", "feasibility": "2", "team": "4", "social": "3"},
            "comments": {"fit": "Too far from the brief"}}
    await food.send("/dips score 1 " + json.dumps(form))
    await food.send("/dips stage 1 exploration")
    await food.press_label("Confirm")
    assert "Review the feedback" not in str([r.buttons for r in food.replies])
    await food.send("/dips stage 1 not-selected")
    await food.press_label("Confirm")
    assert "review the feedback built from the assessors' comments" in food.text
    await food.press_label("Review the feedback")
    assert "Too far from the brief" in food.text and "The SME will read" in food.text
    planning = await _staff(store, core, "planner", "officer", "Planning and Development")
    await planning.press("fbo:1")  # forged by another department's officer
    assert "outside your departments" in planning.text and "Too far" not in planning.text


async def test_a_challenges_criteria_are_shown_and_weighed_with_checks(store: Store) -> None:
    core = await _core(store)
    food = await _staff(store, core, "fooder", "officer", FOOD)
    planning = await _staff(store, core, "planner", "officer", "Planning and Development")
    await food.send("/dips criteria food-hubs")
    assert "Fit to the challenge (fit): weight 0.3, 30% of the score" in food.text
    await food.send("/dips score 1 fit=5 innovation=1 feasibility=1 team=1 social=1")
    for bad, says in (("fit=0.6 bogus=1", "Name the criteria as code=weight"),
                      ("fit=0", "above 0 and at most 100"), ("fit=nan", "above 0"),
                      ("fit=abc", "above 0"), ("fit=101", "above 0"),
                      ("make fit heavier", "Name the criteria")):
        await food.send(f"/dips criteria food-hubs {bad}")
        assert says in food.text and "Nothing was changed" in food.text, bad
    await planning.send("/dips criteria food-hubs fit=1")
    assert "a department you are not in" in planning.text
    async with store.session() as session:
        c = await challenges.get_challenge(session, "food-hubs")
        assert c is not None
        assert [x.weight for x in await assessment.criteria_of(session, c.id)] == [
            0.3, 0.2, 0.2, 0.15, 0.15]
    await food.send("/dips criteria food-hubs fit=0.6")
    assert "saved" in food.text and "weight 0.6, 46% of the score" in food.text
    await food.send("/dips ranking food-hubs")
    assert "EOI-000001 Other Org Ltd: 2.85" in food.text  # (0.6*5 + 0.7*1) / 1.3
    await food.send("/dips score 1")
    assert "weight 0.6" in food.text
    async with store.session() as session:
        audited = await session.scalar(select(AuditEntry).where(AuditEntry.action == "criteria_set"))
        assert audited is not None and audited.target == "food-hubs"


async def test_a_dated_approval_tells_author_and_approver_on_the_day(store: Store) -> None:
    core = await _core(store)
    author = await _staff(store, core, "author", "officer", "Planning and Development")
    approver = await _staff(store, core, "approver", "admin")
    await author.send(DRAFT)
    await author.send(f"/dips submit {REF}")
    await approver.send(f"/dips approve {REF} 2099-01-01")
    # The scheduler (inside `dips run` and `dips worker`) publishes it at 09:00 UK time that day.
    london = ZoneInfo("Europe/London")
    clock = [datetime(2098, 12, 31, 12, 0, tzinfo=london)]
    scheduler = Scheduler(store, CalendarConfig(), lambda: clock[0])
    assert "draft_publish" not in await scheduler.tick()
    assert await _status(store, REF) == "draft"
    clock[0] = datetime(2099, 1, 1, 9, 1, tzinfo=london)
    assert "draft_publish" in await scheduler.tick()
    assert "draft_publish" not in await scheduler.tick()  # once
    assert await _status(store, REF) == "open"
    async with store.session() as session:
        told = {d.chat_id: d.payload for d in await session.scalars(
            select(Delivery).where(Delivery.kind == "notice").order_by(Delivery.id))}
    assert "is published today, as approved" in told["author"]["text"]
    assert "Announce it to subscribers?" in told["approver"]["text"]
    assert [b[1] for row in told["approver"]["buttons"] for b in row] == [f"bcp:{REF}"]
    await author.press(f"bcp:{REF}")
    assert REFUSED in author.text
    await approver.press(f"bcp:{REF}")
    assert "exactly as a recipient will see it" in approver.text
    async with store.session() as session:
        eoi_count = len(await eois.list_eois(session, challenge_ref=REF))
    assert eoi_count == 0
