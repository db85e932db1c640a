"""Assessing EOIs against a challenge's weighted criteria, the ranking, and the feedback an
SME not selected receives (built from assessors' comments, reviewed by an officer first).

An assessor scores each criterion 1-5; their total is the weighted mean of their scores. An
EOI's score is the mean of its assessors' totals; the spread (highest minus lowest total) is
shown when assessors disagree. Ties rank by EOI number. No chat wording here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage import assessments, eois
from storage.audit import audit
from storage.models import Eoi
from storage.officer_models import Feedback

# The action plan's aims, as default criteria: (key, label, weight).
DEFAULT_CRITERIA = (("fit", "Fit to the challenge", 0.3), ("innovation", "Innovation", 0.2),
                    ("feasibility", "Feasibility", 0.2), ("team", "Team", 0.15),
                    ("social", "Social value", 0.15))
ASSESSORS = 2  # per EOI by default
DISAGREE = 1.0  # a spread of a whole point or more between assessors' totals is shown
LOW, HIGH = 1, 5


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    weight: float


async def criteria_of(session: AsyncSession, challenge_id: int) -> list[Criterion]:
    stored = await assessments.criteria(session, challenge_id)
    if stored:
        return [Criterion(c.key, c.label, c.weight) for c in stored]
    return [Criterion(*c) for c in DEFAULT_CRITERIA]


def score_of(text: str) -> int | None:
    text = str(text).strip()
    return int(text) if text.isascii() and text.isdigit() and LOW <= int(text) <= HIGH else None


def total(criteria: list[Criterion], scores: dict[str, Any]) -> float:
    """One assessor's weighted mean score (1-5)."""
    weight = sum(c.weight for c in criteria)
    return sum(c.weight * int(scores[c.key]) for c in criteria) / weight


async def record(session: AsyncSession, eoi: Eoi, assessor: str, scores: dict[str, str],
                 comments: dict[str, str]) -> str | None:
    """Save `assessor`'s scores (replacing their earlier ones); a problem key, or None."""
    criteria = await criteria_of(session, eoi.challenge_id)
    parsed = {c.key: score_of(scores.get(c.key, "")) for c in criteria}
    if any(v is None for v in parsed.values()):
        return "score_bad"
    kept = {c.key: str(comments[c.key]).strip()[:1000] for c in criteria
            if str(comments.get(c.key, "")).strip()}
    await assessments.save_assessment(session, eoi.id, assessor, parsed, kept)
    await audit(session, assessor, "assess", eoi.reference, total=round(total(criteria, parsed), 3))
    return None


@dataclass
class Ranked:
    eoi: Eoi
    totals: list[float] = field(default_factory=list)  # one per assessor

    @property
    def score(self) -> float | None:
        return sum(self.totals) / len(self.totals) if self.totals else None

    @property
    def spread(self) -> float:
        return max(self.totals) - min(self.totals) if len(self.totals) > 1 else 0.0

    @property
    def disagree(self) -> bool:
        return self.spread >= DISAGREE

    @property
    def missing(self) -> int:
        return max(0, ASSESSORS - len(self.totals))


async def ranking(session: AsyncSession, challenge_id: int, ref: str) -> list[Ranked]:
    """Every EOI of the challenge (withdrawn ones left out), best first; unassessed last."""
    criteria = await criteria_of(session, challenge_id)
    rows = {e.id: Ranked(e) for e in await eois.list_eois(session, challenge_ref=ref)
            if e.stage != "withdrawn"}
    for a in await assessments.assessments_for(session, challenge_id):
        if a.eoi_id in rows and all(c.key in a.scores for c in criteria):
            rows[a.eoi_id].totals.append(total(criteria, a.scores))
    # Rounded for ordering: equal scores reached by different sums tie exactly (then EOI number).
    return sorted(rows.values(), key=lambda r: (r.score is None, -round(r.score or 0, 9), r.eoi.id))


# ---- feedback to an SME not selected ----

async def feedback_draft(session: AsyncSession, eoi: Eoi) -> Feedback:
    """The feedback for `eoi`, built once from every assessor's comments (all kept at first)."""
    existing = await assessments.feedback_of(session, eoi.id)
    if existing is not None:
        return existing
    labels = {c.key: c.label for c in await criteria_of(session, eoi.challenge_id)}
    items: list[dict[str, Any]] = []
    for a in await assessments.assessments_of(session, eoi.id):
        for key in labels:
            if a.comments.get(key):
                items.append({"id": len(items) + 1, "criterion": labels[key],
                              "text": a.comments[key], "kept": True})
    return await assessments.add_feedback(session, eoi.id, items)


def remove(feedback: Feedback, item_id: int) -> bool:
    """Take one comment out of the feedback (before it is sent); False if not there."""
    if feedback.status != "draft":
        return False
    items = [dict(i) for i in feedback.items]
    hit = False
    for item in items:
        if item["id"] == item_id and item["kept"]:
            item["kept"], hit = False, True
    feedback.items = items  # a new list, so the JSON column is written
    return hit


def kept_items(feedback: Feedback) -> list[dict[str, Any]]:
    return [i for i in feedback.items if i.get("kept")]


# ---- setting a challenge's criteria weights ----

MAX_WEIGHT = 100.0


def new_weights(criteria: list[Criterion], pairs: list[tuple[str, str]]) -> dict[str, float] | str:
    """`[("fit", "0.4"), ...]` -> {key: weight} for every criterion (unnamed ones keep theirs),
    or a problem key: "unknown" (not one of the challenge's criteria), "weight" (not a number
    above 0 and at most 100). Weights are relative: 3 and 0.3 weigh alike against the others."""
    weights = {c.key: c.weight for c in criteria}
    for key, text in pairs:
        if key not in weights:
            return "unknown"
        try:
            value = float(text)
        except ValueError:
            return "weight"
        if not 0 < value <= MAX_WEIGHT or value != value:  # NaN compares unequal to itself
            return "weight"
        weights[key] = value
    return weights


async def set_weights(session: AsyncSession, challenge_id: int, ref: str, actor: str,
                      weights: dict[str, float]) -> list[Criterion]:
    """Store the challenge's criteria with these weights (the ranking follows at once)."""
    criteria = await criteria_of(session, challenge_id)
    await assessments.set_criteria(session, challenge_id,
                                   [(c.key, c.label, weights[c.key]) for c in criteria])
    await audit(session, actor, "criteria_set", ref, weights=weights)
    return await criteria_of(session, challenge_id)
