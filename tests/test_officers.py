"""Officers' early-stage tools (issue 17): departments, drafting and approval by a second
person, assessment against weighted criteria, the ranking and the reviewed feedback."""

from __future__ import annotations

import json
import random
from fractions import Fraction

from sqlalchemy import func, select

from handlers.app import build_core, seed_catalogue
from handlers.domain import assessment
from handlers.kernel.core import Core
from storage import assessments, challenges, departments, eois, people
from storage.models import AuditEntry, Challenge, Delivery, Organisation
from storage.store import Store
from tests.conftest import Chat
from tests.test_cli import cli_db  # noqa: F401 (fixture)
from tests.test_permissions import _someone_elses_eoi_and_case

REFUSED = "only available to"
FOOD = "Public Health Food Team"


async def _staff(store: Store, core: Core, user: str, role: str, *named: str) -> Chat:
    async with store.session() as session:
        identity = await people.set_role(session, "console", user, role)
        await departments.set_departments(session, identity.id, named)
    return Chat(core, user=user)


async def _core(store: Store) -> Core:
    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    await _someone_elses_eoi_and_case(core)  # EOI-000001 on food-hubs
    return core


# ---- departments ----

async def test_an_officer_sees_and_moves_only_their_departments_eois(store: Store) -> None:
    core = await _core(store)
    planning = await _staff(store, core, "planner", "officer", "Planning and Development")
    food = await _staff(store, core, "fooder", "officer", "public health food team")
    admin = await _staff(store, core, "boss", "admin")
    await planning.send("/dips eois")
    assert "EOI-000001" not in planning.text
    await food.send("/dips eois")
    assert "EOI-000001" in food.text
    await admin.send("/dips eois")
    assert "EOI-000001" in admin.text
    for line in ("/dips eoi 1", "/dips versions 1", "/dips stage 1 exploration",
                 "/dips score 1 fit=5 innovation=5 feasibility=5 team=5 social=5"):
        await planning.send(line)
        assert "outside your departments" in planning.text, line
        assert "Other Org" not in planning.text and "secret" not in planning.text
    await planning.send("/dips export food-hubs")
    assert planning.replies[0].attachment is not None
    assert b"Other Org" not in planning.replies[0].attachment.content
    await planning.send("/dips challenge food-hubs")
    assert "EOI-000001" not in planning.text
    async with store.session() as session:
        eoi = await eois.get_eoi(session, 1)
        assert eoi is not None and eoi.stage == "submitted"
        assert await session.scalar(select(func.count()).select_from(
            assessment.assessments.Assessment)) == 0


async def test_forged_presses_on_another_departments_eoi_change_nothing(store: Store) -> None:
    core = await _core(store)
    planning = await _staff(store, core, "planner", "officer", "Planning and Development")
    food = await _staff(store, core, "fooder", "officer", FOOD)
    await food.send("/dips stage 1 exploration")  # a real preview by the food officer...
    confirm = next(b.data for r in food.replies for row in r.buttons for b in row
                   if b.data.startswith("stc:"))
    for data in ("oe:1", "stg:1:exploration@submitted", "asx:1", "fbr:1:1", "fbs:1", "ev:1",
                 confirm):  # ...and its confirm button, forged by the other officer
        await planning.press(data)
        assert "Other Org" not in planning.text and "secret" not in planning.text, data
    async with store.session() as session:
        eoi = await eois.get_eoi(session, 1)
        assert eoi is not None and eoi.stage == "submitted"


async def test_questions_about_another_departments_challenge_are_not_shown(store: Store) -> None:
    core = await _core(store)
    async with store.session() as session:
        from storage.cases import create_case
        challenge = await challenges.get_challenge(session, "food-hubs")
        assert challenge is not None
        case = await create_case(session, None, "Can we deliver to schools?",
                                 challenge_id=challenge.id, tried={})
        case_id = case.id
    planning = await _staff(store, core, "planner", "officer", "Planning and Development")
    food = await _staff(store, core, "fooder", "officer", FOOD)
    await planning.send("/dips questions")
    assert "deliver to schools" not in planning.text
    for data in (f"csd:{case_id}", f"csc:{case_id}", f"csa:{case_id}", f"csx:{case_id}"):
        await planning.press(data)
        assert "deliver to schools" not in planning.text and "outside your departments" in planning.text
    await food.send("/dips questions")
    assert "deliver to schools" in food.text


# ---- drafting and approval ----

DRAFT = ("/dips draft title: Cleaner air near schools\ndepartment: Planning and Development\n"
         "summary: Sensors and ideas to cut air pollution at the school gate.\n"
         "tags: air quality, sensors, schools\ncloses: 2099-01-31\ncontact: air@example.org")


async def test_a_draft_needs_a_second_person_and_every_step_is_audited(store: Store) -> None:
    core = await _core(store)
    author = await _staff(store, core, "author", "admin")
    officer = await _staff(store, core, "officer", "officer", "Planning and Development")
    approver = await _staff(store, core, "approver", "admin")
    await author.send("/dips draft title: x")
    assert "wasn't saved" in author.text and "department" in author.text
    await author.send(DRAFT)
    assert "Draft saved as cleaner-air-near-schools" in author.text
    assert "SMEs will find it by:" in author.text and "sensors" in author.text
    await author.press_label("Submit for approval")
    assert "is submitted" in author.text
    async with store.session() as session:  # the officers' notice: read it, then decide
        (notice,) = [d for d in await session.scalars(select(Delivery).where(
            Delivery.kind == "notice")) if "waiting for approval" in d.payload["text"]]
    review = next(b[1] for row in notice.payload["buttons"] for b in row if b[0] == "Read the draft")
    await approver.press(review)
    assert "Sensors and ideas to cut air pollution" in approver.text
    assert "Approve and publish" in str(approver.replies[-1].buttons)
    outsider = await _staff(store, core, "outsider", "officer", "Adult Social Care")
    for data in (review, "dre:cleaner-air-near-schools"):
        await outsider.press(data)
        assert "Sensors and ideas" not in outsider.text  # not their department's draft
    await author.send("/dips approve cleaner-air-near-schools")
    assert "someone else must approve" in author.text
    await officer.send("/dips approve cleaner-air-near-schools")
    assert REFUSED in officer.text
    await officer.press("dra:cleaner-air-near-schools")
    assert REFUSED in officer.text
    await approver.send("/dips sendback cleaner-air-near-schools Say how many schools.")
    assert "sent back" in approver.text
    await author.send(DRAFT.replace("/dips draft ", "/dips draft edit cleaner-air-near-schools ")
                      .replace("school gate.", "school gate of 20 schools."))
    assert "Draft saved" in author.text
    await author.send("/dips submit cleaner-air-near-schools")
    await approver.send("/dips approve cleaner-air-near-schools")
    assert "open to SMEs" in approver.text
    # publishing offers the broadcast preview (nobody subscribes yet: just the sample)
    assert "exactly as a recipient will see it" in approver.text
    async with store.session() as session:
        c = await challenges.get_challenge(session, "cleaner-air-near-schools")
        assert c is not None and c.status == "open" and "20 schools" in c.summary
        told = [d.payload["text"] for d in await session.scalars(
            select(Delivery).where(Delivery.chat_id == "author"))]
        actions = [a.action for a in await session.scalars(
            select(AuditEntry).where(AuditEntry.target == "cleaner-air-near-schools")
            .order_by(AuditEntry.id))]
    assert any("sent back: Say how many schools." in text for text in told)
    assert any("approved and is now open" in text for text in told)
    assert actions == ["draft_create", "draft_submit", "draft_send_back", "draft_edit",
                       "draft_submit", "draft_publish", "draft_approve"]


async def test_approved_for_a_date_is_published_when_it_comes(store: Store) -> None:
    core = await _core(store)
    author = await _staff(store, core, "author", "officer", "Planning and Development")
    approver = await _staff(store, core, "approver", "admin")
    await author.send(DRAFT)
    await author.send("/dips submit cleaner-air-near-schools")
    await approver.send("/dips approve cleaner-air-near-schools 2099-01-01")
    assert "published on 2099-01-01" in approver.text
    async with store.session() as session:
        c = await challenges.get_challenge(session, "cleaner-air-near-schools")
        assert c is not None and c.status == "draft"
        from datetime import UTC, datetime

        from handlers.domain.drafts import publish_due
        assert await publish_due(session, datetime(2098, 12, 31, tzinfo=UTC)) == []
        assert [p.ref for p in await publish_due(session, datetime(2099, 1, 1, tzinfo=UTC))] == [
            "cleaner-air-near-schools"]
    async with store.session() as session:
        c = await challenges.get_challenge(session, "cleaner-air-near-schools")
        assert c is not None and c.status == "open"


# ---- assessment, ranking, feedback ----

def _hand_total(scores: dict[str, int]) -> Fraction:
    weights = {"fit": Fraction(3, 10), "innovation": Fraction(2, 10),
               "feasibility": Fraction(2, 10), "team": Fraction(15, 100),
               "social": Fraction(15, 100)}
    return sum((weights[k] * v for k, v in scores.items()), Fraction(0)) / sum(weights.values())


async def test_the_ranking_of_200_eois_with_two_assessors_equals_a_hand_computation(
        store: Store) -> None:
    await seed_catalogue(store)
    rng = random.Random(17)
    keys = ("fit", "innovation", "feasibility", "team", "social")
    hand: dict[int, Fraction] = {}
    async with store.session() as session:
        challenge = await challenges.get_challenge(session, "food-hubs")
        assert challenge is not None
        for n in range(200):
            org = Organisation(name=f"Org {n}", size_band="small", country="UK", city="Birmingham")
            session.add(org)
            await session.flush()
            eoi = await eois.create_eoi(session, organisation_id=org.id, challenge_id=challenge.id,
                                        contact_id=None, identity_id=None, summary=f"idea {n}",
                                        actor="test", details={"org_name": org.name})
            totals = []
            for assessor in ("slack:UA", "slack:UB"):
                scores = {k: rng.randint(1, 5) for k in keys}
                await assessments.save_assessment(session, eoi.id, assessor, scores, {})
                totals.append(_hand_total(scores))
            hand[eoi.id] = sum(totals, Fraction(0)) / 2
        ranked = await assessment.ranking(session, challenge.id, challenge.ref)
    expected = sorted(hand, key=lambda i: (-hand[i], i))
    assert [r.eoi.id for r in ranked] == expected
    for r in ranked:
        assert abs(Fraction(r.score or 0) - hand[r.eoi.id]) < Fraction(1, 10**9)
        assert len(r.totals) == 2 and r.missing == 0


async def test_feedback_never_includes_a_comment_the_officer_removed(store: Store) -> None:
    core = await _core(store)
    one = await _staff(store, core, "one", "officer", FOOD)
    two = await _staff(store, core, "two", "officer", FOOD)
    form = {"scores": {"fit": "2", "innovation": "3", "feasibility": "2", "team": "4", "social": "3"},
            "comments": {"fit": "Too far from the brief", "team": "Strong team"}}
    await one.send("/dips score 1 " + json.dumps(form))
    assert "from 1 assessor" in one.text
    form["comments"] = {"feasibility": "The budget owner called it naive"}
    form["scores"] = {"fit": "5", "innovation": "5", "feasibility": "5", "team": "4", "social": "3"}
    await two.send("/dips score 1 " + json.dumps(form))
    await one.send("/dips ranking food-hubs")
    assert "EOI-000001" in one.text and "spread 1.90" in one.text  # .3*3 + .2*2 + .2*3
    await one.send("/dips export food-hubs")
    files = [r.attachment for r in one.replies if r.attachment is not None]
    assert len(files) == 2 and files[1].filename.startswith("dips-ranking-food-hubs")
    ranking_rows = files[1].content.decode().splitlines()
    assert ranking_rows[1].startswith("1,EOI-000001,Other Org Ltd,submitted,")
    assert ranking_rows[1].endswith(",2,1.90,yes")
    await one.send("/dips feedback 1")
    assert "hasn't been marked not selected" in one.text
    async with store.session() as session:
        eoi = await eois.get_eoi(session, 1)
        assert eoi is not None
        await eois.change_stage(session, eoi, "not-selected", "test", None)
    await one.send("/dips feedback 1")
    assert "The budget owner called it naive" in one.text
    await one.press_label("Remove #3")
    assert "The budget owner" not in one.text and "Strong team" in one.text
    await one.press_label("Send to the SME")
    assert "on its way" in one.text
    async with store.session() as session:
        sent = (await session.scalars(select(Delivery).where(Delivery.kind == "feedback"))).all()
    assert len(sent) == 1
    assert "Strong team" in sent[0].payload["text"] and "naive" not in sent[0].payload["text"]
    await one.press("fbs:1")
    assert "sent already" in one.text


async def test_scores_outside_1_to_5_are_refused(store: Store) -> None:
    core = await _core(store)
    one = await _staff(store, core, "one", "officer", FOOD)
    await one.send("/dips score 1 fit=9 innovation=3 feasibility=2 team=4 social=3")
    assert "whole score from 1 to 5" in one.text
    await one.send("/dips score 1")
    assert "Fit to the challenge" in one.text
    async with store.session() as session:
        assert await session.scalar(select(func.count()).select_from(Challenge)) > 0


# ---- the impact report's early-stage measures ----

async def test_the_impact_report_counts_the_early_stages(store: Store) -> None:
    from datetime import UTC, datetime, timedelta

    from handlers.domain.impact import build_report
    from storage.officer_models import ChallengeReview, Workshop, WorkshopInvite

    core = await _core(store)
    author = await _staff(store, core, "author", "officer", "Planning and Development")
    approver = await _staff(store, core, "approver", "admin")
    await author.send(DRAFT)
    await author.send("/dips submit cleaner-air-near-schools")
    await approver.send("/dips approve cleaner-air-near-schools")
    scorer = await _staff(store, core, "scorer", "officer", FOOD)
    await scorer.send("/dips score 1 fit=4 innovation=3 feasibility=2 team=4 social=3")
    now = datetime.now(UTC)
    async with store.session() as session:
        review = await session.get(ChallengeReview, (await challenges.get_challenge(
            session, "cleaner-air-near-schools")).id)  # type: ignore[union-attr]
        assert review is not None
        review.drafted_at = now - timedelta(days=3)  # drafted three days before publication
        food = await challenges.get_challenge(session, "food-hubs")
        assert food is not None
        held = Workshop(challenge_id=food.id, starts_at=now - timedelta(days=1), place="Room 1",
                        capacity=10, created_by="console:scorer")
        later = Workshop(challenge_id=food.id, starts_at=now + timedelta(days=9), place="Room 2",
                         capacity=10, created_by="console:scorer")
        session.add_all([held, later])
        await session.flush()
        session.add_all([WorkshopInvite(workshop_id=held.id, eoi_id=1, answer="yes", attended=True),
                         WorkshopInvite(workshop_id=later.id, eoi_id=1, answer="yes")])
    async with store.session() as session:
        report = await build_report(session)
    early = report.early
    assert early.challenges_by_department == {"Planning and Development": 1}  # samples left out
    assert early.published_from_drafts == 1 and early.median_days_to_publication == 3.0
    assert early.eois_assessed == 1 and early.workshops_held == 1 and early.smes_attending == 1
    assert "Exploration workshops held: 1, SMEs attending: 1" in report.to_text()
    assert "eois_assessed,,1" in report.to_csv().decode()


def test_granting_an_officer_names_their_departments(cli_db: str) -> None:  # noqa: F811
    from tests.test_cli import run, with_samples

    db = with_samples(cli_db)
    granted = run(["roles", "grant", "slack:UDEPT", "officer", "--department",
                   "public health food team", "--department", "Nowhere"], db)
    assert granted.returncode == 0, granted.stderr
    assert "slack:UDEPT is now officer in Nowhere, Public Health Food Team" in granted.stdout
    assert "no challenge names Nowhere yet" in granted.stdout
    refused = run(["roles", "grant", "slack:UADM", "admin", "--department", "X"], db)
    assert refused.returncode == 2 and "admins see every department" in refused.stderr
    assert run(["roles", "revoke", "slack:UDEPT"], db).returncode == 0
