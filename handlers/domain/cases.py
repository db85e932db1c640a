"""Cases: questions the bot hands over to officers, without any chat around them.

SME (any platform) -> case row + a notice in the officers' channel (through the delivery queue)
-> an officer claims and answers (handlers/officer/cases.py) -> the answer is queued for the
SME, with a Reply button (handlers/sme/case_reply.py) -> the SME's reply is queued into the same
thread. Here: opening a case and queueing its notice, messages for its thread, reminders, what
an answered case publishes as a clarification, and the forms for platforms with modals (Slack).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.anonymise import anonymise, asker_of, scrub_answer
from handlers.domain.buttons import (
    FORM_BUTTONS,
    Answer,
    Claim,
    Close,
    PublishPreview,
    ShowChallenge,
    SuggestPreview,
)
from handlers.domain.departments import may_see_case
from handlers.domain.outbound import to_payload
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.core import Core
from handlers.kernel.messages import Reply, Speaker, buttons
from handlers.kernel.roles import allowed
from handlers.kernel.text import t
from handlers.kernel.validation import parse_id
from storage import cases as store_cases
from storage import challenges, deliveries, people
from storage.models import Challenge, Identity, Organisation, Question

if TYPE_CHECKING:
    from handlers.engines.faq.answerer import Answerer
    from handlers.engines.matching.index import ChallengeLike

PERMISSION = "questions"  # every officer action on cases needs what listing them needs
SEPARATOR = "\n---\n"  # between the question and the answer in `/dips clarify|suggest ID ...`
FROM_FORM = "form:"  # before the case id: submitted from a form (or a preview's Confirm)
MAX_TEXT = 3000


# ---- opening a case (from handlers.sme.case_reply) ----

async def mentioned_challenge(session: AsyncSession, text: str) -> Challenge | None:
    """The one published challenge whose reference or title the text names, if exactly one."""
    lowered = f" {text.lower()} "
    rows = await challenges.published_challenges(session)
    found = [c for c in rows if re.search(rf"(?<!\w){re.escape(c.ref.lower())}(?!\w)", lowered)
             or (len(c.title) >= 8 and c.title.lower() in lowered)]
    return found[0] if len(found) == 1 else None


async def open_case(session: AsyncSession, identity_id: int, text: str,
                    related: tuple[Any, ...] = (), challenge_ref: str | None = None,
                    asked_for_person: bool = False, answerer: Answerer | None = None) -> Question:
    """Record the case and queue its notice for the officers' channel (same transaction)."""
    challenge = None
    if challenge_ref:
        challenge = await challenges.get_challenge(session, challenge_ref)
    if challenge is None:
        challenge = await mentioned_challenge(session, text)
    if not related and asked_for_person and answerer is not None:
        # What the FAQ would have offered, so the officer sees what the SME was already shown.
        result = answerer.answer(text)
        related = tuple(result.alternatives) if result is not None else ()
    tried: dict[str, Any] = {"faq": [[e.id, e.title] for e in related[:3]],
                             "asked_for_person": asked_for_person}
    case = await store_cases.create_case(session, identity_id, text,
                                         challenge.id if challenge else None, tried)
    reply = await notice(session, case)
    await _for_officers(session, case, "case", {**to_payload(reply), "case_id": case.id})
    return case


async def _for_officers(session: AsyncSession, case: Question, kind: str,
                        payload: dict[str, Any]) -> None:
    """Queue for the officers' channel (or the case's thread there). The row names the case's
    SME, though it goes to the channel, so erasing the SME (/forget) removes their words too."""
    channel = case.slack_channel if payload.get("thread") else None
    await deliveries.enqueue_to_chat(session, "slack", channel or deliveries.OFFICER_CHANNEL, kind,
                                     payload, identity_id=case.identity_id)


def _who(identity: Identity | None) -> str:
    if identity is None:
        return t("case.erased_asker")
    name = identity.display_name or identity.external_id
    return f"{name} ({identity.platform})"


async def holder_name(session: AsyncSession, actor: str | None) -> str:
    """Who `platform:user` is, by display name where known."""
    if not actor:
        return t("case.nobody")
    platform, _, user = actor.partition(":")
    identity = await people.get_identity(session, platform, user)
    return (identity.display_name if identity and identity.display_name else user) or actor


def age(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return t("duration.minutes", n=round(hours * 60)) if hours < 1 else (
        t("duration.hours", n=f"{hours:.0f}") if hours < 48
        else t("duration.days", n=f"{hours / 24:.0f}"))


async def notice(session: AsyncSession, case: Question) -> Reply:
    """The officers' channel message heading a case's thread."""
    identity = await session.get(Identity, case.identity_id) if case.identity_id else None
    org = (await session.get(Organisation, identity.organisation_id)
           if identity is not None and identity.organisation_id else None)
    challenge = await session.get(Challenge, case.challenge_id) if case.challenge_id else None
    tried = case.tried or {}
    offered = [f"\u201c{title}\u201d" for _, title in tried.get("faq", [])]
    bot_tried = (t("case.faq_offered", offered=", ".join(offered)) if offered
                 else t("case.faq_nothing"))
    if tried.get("asked_for_person"):
        bot_tried = t("case.asked_for_person", tried=bot_tried)
    text = t("case.notice", who=_who(identity),
             organisation=(f"{org.name} ({org.size_band}, {org.city}, {org.country})"
                           if org else t("case.no_organisation")),
             challenge=(f"{challenge.title} [{challenge.ref}]" if challenge
                        else t("case.no_challenge_named")),
             tried=bot_tried, question=case.text[:MAX_TEXT])
    row: list[tuple[str, CallbackData]] = [(t("case.claim"), Claim(case.id)),
                                           (t("case.answer"), Answer(case.id))]
    if challenge is not None:
        row.append((t("case.publish"), PublishPreview(case.id)))
    row += [(t("case.suggest"), SuggestPreview(case.id)), (t("case.close"), Close(case.id))]
    return Reply(text, buttons(row), None, t("case.title", id=case.id))


async def to_thread(session: AsyncSession, case: Question, reply: Reply, kind: str = "case_thread",
                    also_in_channel: bool = False) -> None:
    """Queue a reply in the case's conversation (a thread where the platform has them): a
    neutral payload naming the case; the Slack worker finds the thread from it."""
    payload: dict[str, Any] = {**to_payload(reply), "case_id": case.id, "thread": True}
    if also_in_channel:
        payload["also_in_channel"] = True
    await _for_officers(session, case, kind, payload)


# ---- publishing an answered case as a clarification ----

async def interested(session: AsyncSession, challenge: Challenge) -> list[Identity]:
    """Every SME with an EOI on the challenge or subscribed to matching interests, once each."""
    from handlers.engines.matching.subscribers import subscribers_matching

    chosen: dict[int, Identity] = {}
    for identity in await store_cases.eoi_holders(session, challenge.id):
        chosen.setdefault(identity.id, identity)
    for identity, _ in await subscribers_matching(session, cast("ChallengeLike", challenge)):
        chosen.setdefault(identity.id, identity)
    return sorted((i for i in chosen.values() if i.role == "sme"), key=lambda i: i.id)


def clarification_reply(challenge: Challenge, question: str, answer_text: str) -> Reply:
    return Reply(
        t("clarification.text", title=challenge.title, question=question, answer=answer_text),
        buttons([(t("clarification.challenge_details"), ShowChallenge(challenge.ref[:60]))]),
        None, t("clarification.title", title=challenge.title))


# ---- reminders (run periodically by the Slack worker) ----

async def queue_reminders(session: AsyncSession, now: datetime, hours: float) -> int:
    """Remind the channel, once per case, of open cases older than `hours` (0 turns it off)."""
    if hours <= 0:
        return 0
    ids = await store_cases.due_for_reminder(session, now, timedelta(hours=hours))
    for case_id in ids:
        case = await store_cases.get_case(session, case_id)
        assert case is not None
        waited, question = age(now - case.asked_at), case.text[:300]
        text = (t("case.reminder_claimed", id=case.id, age=waited, question=question,
                  holder=await holder_name(session, case.claimed_by)) if case.claimed_by else
                t("case.reminder_unclaimed", id=case.id, age=waited, question=question))
        await to_thread(session, case, Reply(
            text, buttons([(t("case.claim"), Claim(case.id)), (t("case.answer"), Answer(case.id))])),
            kind="case_reminder", also_in_channel=True)
    return len(ids)


# ---- forms for platforms with modals (Slack) ----

@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    initial: str = ""
    max_length: int = MAX_TEXT


@dataclass(frozen=True)
class Form:
    sub: str  # the /dips subcommand the submission becomes
    case_id: int
    title: str
    intro: str
    fields: tuple[FormField, ...]
    submit: str = field(default_factory=lambda: t("case.form.send"))

    def args(self, values: list[str]) -> str:
        """The `/dips` arguments for the submitted values (in field order), marked as coming
        from a form, which showed the person the texts: a preview already confirmed."""
        return f"{self.sub} {FROM_FORM}{self.case_id}\n" + SEPARATOR.join(v.strip() for v in values)


async def case_form(core: Core, speaker: Speaker, data: str) -> Form | None:
    """The form a case button opens, or None when a plain press should answer instead
    (not staff, case gone or held by someone else, nothing to publish yet)."""
    prefix, _, arg = data.partition(":")
    sub = FORM_BUTTONS.get(prefix)
    case_id = parse_id(arg)
    if sub is None or case_id is None:
        return None
    async with core.store.session() as session:
        identity = await people.get_identity(session, speaker.platform, speaker.user_id)
        case = await store_cases.get_case(session, case_id)
        if identity is None or not allowed(identity.role, PERMISSION) or case is None:
            return None
        if not await may_see_case(session, identity, case):
            return None  # the plain press explains: another department's question
        actor = f"{identity.platform}:{identity.external_id}"
        if case.status == "closed" or case.claimed_by not in (None, actor):
            return None
        if sub == "answer":
            return Form("answer", case.id, t("case.form.answer_title", id=case.id),
                        t("case.form.answer_intro", question=case.text[:2500]),
                        (FormField("answer", t("case.answer")),))
        last = await store_cases.last_answer(session, case.id)
        if last is None or (sub == "clarify" and case.challenge_id is None):
            return None
        asker = await asker_of(session, case)
        question = anonymise(case.text, asker)
        if sub == "clarify":
            return Form("clarify", case.id, t("case.form.clarify_title"),
                        t("case.form.clarify_intro"),
                        (FormField("question", t("case.form.question_anonymised"), question),
                         FormField("answer", t("case.answer"), scrub_answer(last, asker))),
                        t("case.form.publish"))
        return Form("suggest", case.id, t("case.form.suggest_title"), t("case.form.suggest_intro"),
                    (FormField("question", t("case.form.question"), question),
                     FormField("answer", t("case.answer"), scrub_answer(last, asker))),
                    t("case.form.suggest"))


async def case_for_thread(core: Core, ts: str) -> int | None:
    """The case whose officers' channel message is `ts`, for the Slack adapter's thread events."""
    async with core.store.session() as session:
        case = await store_cases.case_for_thread(session, ts)
        return case.id if case is not None else None
