"""Challenges drafted in chat, and their approval by a second person (issue 17, stages 1-2).

A draft is a `draft` challenge with a review row: the author edits it and submits it; an
admin other than the author approves it (published now, or approved for a date) or sends it
back with a comment. Every step is audited. No chat wording here: problems are wording keys
the caller (the officers' commands, the Slack modal) turns into sentences.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.engines.matching.index import Matcher
from handlers.engines.matching.text import TERMS, words
from storage import challenges, reviews
from storage.audit import audit
from storage.models import Challenge
from storage.officer_models import ChallengeReview

FIELDS = ("title", "department", "summary", "tags", "closes", "budget", "contact")
REQUIRED = ("title", "department", "summary", "tags")
LIMITS = {"title": 200, "department": 200, "summary": 2000, "budget": 300, "contact": 254}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EDITABLE = ("editing", "returned")


def parse_fields(args: str) -> dict[str, str]:
    """`{"title": ...}` (from a Slack modal) or `key: value` lines (typed); unknown keys dropped."""
    text = args.strip()
    found: dict[str, str] = {}
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except ValueError:
            loaded = {}
        if isinstance(loaded, dict):
            found = {k: str(v) for k, v in loaded.items() if k in FIELDS and v is not None}
        return found
    current = None
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in FIELDS:
            current = key.strip().lower()
            found[current] = value.strip()
        elif current is not None:  # a summary over several lines
            found[current] = f"{found[current]}\n{line}".strip()
    return found


def split_tags(text: str) -> list[str]:
    return list(dict.fromkeys(" ".join(t.split()).lower() for t in re.split(r"[,;\n]", text)
                              if t.strip()))


def problems(fields: dict[str, str], today: date) -> dict[str, str]:
    """{field: wording key} for every field that can't be saved; empty when all is well."""
    found: dict[str, str] = {}
    for name in REQUIRED:
        if not fields.get(name, "").strip():
            found[name] = f"drafts.problem.{name}_missing"
    for name, limit in LIMITS.items():
        if len(fields.get(name, "")) > limit:
            found[name] = f"drafts.problem.{name}_long"
    tags = split_tags(fields.get("tags", ""))
    if "tags" not in found and (len(tags) > 30 or any(len(t) > 60 for t in tags)):
        found["tags"] = "drafts.problem.tags_bad"
    if fields.get("closes", "").strip():
        closes = closing_date(fields["closes"])
        if closes is None:
            found["closes"] = "drafts.problem.closes_bad"
        elif closes <= today:
            found["closes"] = "drafts.problem.closes_past"
    if fields.get("contact", "").strip() and not _EMAIL.match(fields["contact"].strip()):
        found["contact"] = "drafts.problem.contact_bad"
    return found


def closing_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def derived_terms(fields: dict[str, str], limit: int = 15) -> list[str]:
    """The words the matcher would find this challenge by, strongest first (as SMEs type them)."""
    spec = Challenge(ref="draft-preview", title=fields.get("title", ""),
                     department=fields.get("department", ""), summary=fields.get("summary", ""),
                     tags=split_tags(fields.get("tags", "")), status="open", closes=None)
    matcher = Matcher([spec], meaning=False)
    if not len(matcher):
        return []
    weights = matcher._doc_terms(0)  # {stem: (weight, kind)}
    shown: dict[str, str] = {}
    text = " ".join((spec.title, " ".join(spec.tags), spec.summary, spec.department))
    for word in words(text):
        stem = TERMS[word]
        if stem and stem in weights and stem not in shown:
            shown[stem] = word
    ranked = sorted(shown, key=lambda s: (-weights[s][0], shown[s]))
    return [shown[s] for s in ranked[:limit]]


def _slug(title: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", title.lower()))[:56].strip("-") or "challenge"


@dataclass(frozen=True)
class Outcome:
    problem: str | None  # a wording key under drafts.
    challenge: Challenge | None = None
    review: ChallengeReview | None = None


async def save(session: AsyncSession, actor: str, fields: dict[str, str], ref: str | None,
               is_admin: bool) -> Outcome:
    """Create a draft, or edit one still being drafted or sent back (by its author or an admin).
    The caller has checked `problems(fields)`."""
    values = {"title": fields["title"].strip(), "department": " ".join(fields["department"].split()),
              "summary": fields["summary"].strip(), "tags": split_tags(fields["tags"]),
              "closes": closing_date(fields.get("closes", "")),
              "budget": fields.get("budget", "").strip() or None,
              "contact": fields.get("contact", "").strip() or None}
    if ref:
        found = await _editable(session, ref, actor, is_admin)
        if found.problem or found.challenge is None or found.review is None:
            return found
        for name, value in values.items():
            setattr(found.challenge, name, value)
        if found.review.state == "returned":
            found.review.state = "editing"
        await session.flush()
        await audit(session, actor, "draft_edit", found.challenge.ref)
        return found
    slug = base = _slug(values["title"])  # type: ignore[arg-type]
    n = 1
    while await reviews.ref_taken(session, slug):
        n += 1
        slug = f"{base}-{n}"
    challenge = Challenge(ref=slug, status="draft", sample=False, **values)
    session.add(challenge)
    await session.flush()
    review = ChallengeReview(challenge_id=challenge.id, author=actor, state="editing")
    session.add(review)
    await session.flush()
    await audit(session, actor, "draft_create", challenge.ref)
    return Outcome(None, challenge, review)


async def find(session: AsyncSession, ref: str) -> Outcome:
    challenge = await challenges.get_challenge(session, ref.strip().lower()[:64])
    review = await reviews.review_of(session, challenge.id) if challenge else None
    if challenge is None or review is None:
        return Outcome("not_a_draft")
    return Outcome(None, challenge, review)


async def _editable(session: AsyncSession, ref: str, actor: str, is_admin: bool) -> Outcome:
    found = await find(session, ref)
    if found.review is None:
        return found
    if found.review.state not in EDITABLE:
        return Outcome("not_editable", found.challenge, found.review)
    if found.review.author != actor and not is_admin:
        return Outcome("not_author", found.challenge, found.review)
    return found


async def submit(session: AsyncSession, ref: str, actor: str, is_admin: bool,
                 now: datetime) -> Outcome:
    found = await _editable(session, ref, actor, is_admin)
    if found.problem or found.review is None or found.challenge is None:
        return found
    found.review.state, found.review.submitted_at = "submitted", now
    found.review.comment = None
    await audit(session, actor, "draft_submit", found.challenge.ref)
    return found


async def decide(session: AsyncSession, ref: str, actor: str, now: datetime, *,
                 approve: bool, publish_on: date | None = None,
                 comment: str | None = None) -> Outcome:
    """An admin other than the author approves (now, or for `publish_on`) or sends back."""
    found = await find(session, ref)
    challenge, review = found.challenge, found.review
    if found.problem or challenge is None or review is None:
        return found
    if review.author == actor:
        return Outcome("own_draft", challenge, review)
    if review.state != "submitted":
        return Outcome("not_submitted", challenge, review)
    review.decided_by, review.decided_at = actor, now
    if not approve:
        review.state, review.comment = "returned", comment
        await audit(session, actor, "draft_send_back", challenge.ref, comment=comment)
        return Outcome(None, challenge, review)
    if publish_on is not None and publish_on > now.date():
        review.state = "approved"
        review.publish_on = datetime.combine(publish_on, datetime.min.time(), now.tzinfo)
        await audit(session, actor, "draft_approve", challenge.ref, publish_on=publish_on.isoformat())
        return Outcome(None, challenge, review)
    await publish(session, challenge, review, actor, now)
    await audit(session, actor, "draft_approve", challenge.ref, publish_on=now.date().isoformat())
    return Outcome(None, challenge, review)


async def publish(session: AsyncSession, challenge: Challenge, review: ChallengeReview,
                  actor: str, now: datetime) -> None:
    challenge.status, challenge.opens = "open", now.date()
    review.state, review.published_at = "published", now
    await session.flush()
    await audit(session, actor, "draft_publish", challenge.ref)


async def publish_due(session: AsyncSession, now: datetime,
                      only: int | None = None) -> list[Challenge]:
    """Challenges approved for a date that has come (or just challenge id `only`): published
    (by "scheduler")."""
    done = []
    for challenge, review in await reviews.drafts(session):
        if review.state == "approved" and review.publish_on is not None \
                and review.publish_on <= now and only in (None, challenge.id):
            await publish(session, challenge, review, "scheduler", now)
            done.append(challenge)
    return done
