"""Officers' forms, neutral: what a Slack modal asks, how its answers are checked, and the
`/dips` subcommand they become. Checking happens before the form closes (Slack shows each
problem under its field); the subcommand checks everything again, as a typed one would be.

Kinds: "draft" (a new challenge, or `context` = the draft's ref to edit), "sendback" (the
comment for a draft sent back), "score" (`context` = the EOI id: a score 1-5 and a comment per
criterion).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from handlers.domain import assessment, drafts, workshops
from handlers.domain.departments import may_see_eoi, scope_of
from handlers.kernel.core import Core
from handlers.kernel.messages import Speaker
from handlers.kernel.roles import allowed
from handlers.kernel.text import t
from storage import challenges, eois, people


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    initial: str = ""
    multiline: bool = False
    optional: bool = False
    max_length: int = 3000
    hint: str = ""


@dataclass(frozen=True)
class OfficerForm:
    kind: str
    context: str
    title: str
    submit: str
    fields: tuple[Field, ...]
    intro: str = ""


ACTIONS = {"draft": "draft", "sendback": "approve", "score": "assess", "workshop": "workshop"}
WORKSHOP_FIELDS = ("date", "time", "place", "capacity")


def draft_form(challenge_fields: dict[str, str] | None = None, ref: str = "") -> OfficerForm:
    values = challenge_fields or {}
    labels = {name: t(f"drafts.field.{name}") for name in drafts.FIELDS}
    fields = tuple(Field(name, labels[name], values.get(name, ""),
                         multiline=name == "summary", optional=name not in drafts.REQUIRED,
                         max_length=drafts.LIMITS.get(name, 600), hint=t(f"drafts.hint.{name}"))
                   for name in drafts.FIELDS)
    return OfficerForm("draft", ref, t("drafts.new_button"), t("drafts.form_save"), fields,
                       t("drafts.form_intro"))


def score_form(eoi_id: int, reference: str, criteria: list[assessment.Criterion]) -> OfficerForm:
    fields: list[Field] = []
    for c in criteria:
        fields.append(Field(f"s_{c.key}", t("assess.score_label", label=c.label, weight=c.weight),
                            max_length=1, hint=t("assess.score_hint")))
        fields.append(Field(f"c_{c.key}", t("assess.comment_label", label=c.label),
                            multiline=True, optional=True, max_length=1000))
    return OfficerForm("score", str(eoi_id), t("assess.form_title"), t("assess.form_save"),
                       tuple(fields), t("assess.form_intro", reference=reference))


async def form_for(core: Core, speaker: Speaker, kind: str, context: str) -> OfficerForm | None:
    """The form to open, or None when a plain press or command should answer instead (no
    permission, nothing there, another department's EOI): the core then explains."""
    action = ACTIONS.get(kind)
    if action is None:
        return None
    async with core.store.session() as session:
        identity = await people.get_identity(session, speaker.platform, speaker.user_id)
        if identity is None or not allowed(identity.role, action) or not allowed(identity.role, "dips"):
            return None
        if kind == "draft":
            if not context:
                return draft_form()
            found = await drafts.find(session, context)
            actor = f"{identity.platform}:{identity.external_id}"
            if found.challenge is None or found.review is None \
                    or found.review.state not in drafts.EDITABLE \
                    or (found.review.author != actor and identity.role != "admin"):
                return None
            c = found.challenge
            return draft_form({"title": c.title, "department": c.department, "summary": c.summary,
                               "tags": ", ".join(c.tags),
                               "closes": c.closes.isoformat() if c.closes else "",
                               "budget": c.budget or "", "contact": c.contact or ""}, c.ref)
        if kind == "workshop":
            challenge = await challenges.get_challenge(session, context)
            if challenge is None or not (await scope_of(session, identity)).covers(
                    challenge.department):
                return None
            return OfficerForm("workshop", challenge.ref, t("workshops.new_button"),
                               t("workshops.form_save"),
                               tuple(Field(k, t(f"workshops.field.{k}"), max_length=300)
                                     for k in WORKSHOP_FIELDS), t("workshops.form_intro"))
        if kind == "sendback":
            found = await drafts.find(session, context)
            if found.challenge is None:
                return None
            return OfficerForm("sendback", found.challenge.ref, t("drafts.sendback_button"),
                               t("drafts.sendback_button"),
                               (Field("comment", t("drafts.sendback_label"), multiline=True,
                                      max_length=1000),),
                               t("drafts.sendback_intro", title=found.challenge.title))
        eoi = await eois.get_eoi(session, int(context)) if context.isdigit() else None
        if eoi is None or not await may_see_eoi(session, identity, eoi):
            return None
        criteria = await assessment.criteria_of(session, eoi.challenge_id)
        return score_form(eoi.id, eoi.reference, criteria)


def problems(form_kind: str, values: dict[str, str], now: datetime) -> dict[str, str]:
    """{field key: the problem in words}; empty when the answers can be submitted."""
    today = now.date()
    if form_kind == "draft":
        return {k: t(v) for k, v in drafts.problems(values, today).items()}
    if form_kind == "workshop":
        found = workshops.problems(values.get("date", ""), values.get("time", ""),
                                   values.get("place", ""), values.get("capacity", ""), now)
        return {k: t(v) for k, v in found.items()}
    if form_kind == "sendback":
        return {} if values.get("comment", "").strip() else {"comment": t("drafts.comment_needed")}
    if form_kind == "score":
        return {k: t("assess.score_bad") for k, v in values.items()
                if k.startswith("s_") and assessment.score_of(v) is None}
    return {}


def to_args(form_kind: str, context: str, values: dict[str, str]) -> str:
    """The `/dips` subcommand the submitted form becomes."""
    if form_kind == "draft":
        return ("draft " + (f"edit {context} " if context else "")
                + json.dumps({k: v for k, v in values.items() if k in drafts.FIELDS}))
    if form_kind == "workshop":
        day, at, place, capacity = (" ".join(values.get(k, "").split()) for k in WORKSHOP_FIELDS)
        return f"workshop {context} {day} {at} {capacity} {place}"
    if form_kind == "sendback":
        return f"sendback {context} {values.get('comment', '')}"
    scores = {k[2:]: v for k, v in values.items() if k.startswith("s_")}
    comments = {k[2:]: v for k, v in values.items() if k.startswith("c_") and v.strip()}
    return f"score {context} " + json.dumps({"scores": scores, "comments": comments})
