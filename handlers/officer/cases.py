"""Cases: questions the bot hands over to officers, and the conversation that follows.

SME (any platform) -> case row + a notice in the officers' channel (through the delivery queue)
-> an officer claims and answers (in the notice's thread, with the Answer button, or
`/dips answer`) -> the answer is queued for the SME, with a Reply button -> the SME's reply is
queued into the same thread. An answered case about a challenge can be published to every
interested SME as an anonymised clarification, or proposed as an FAQ entry.

Officer actions are /dips subcommands, so the /dips permission covers them on every platform;
Slack's modals and thread messages are translated into the same subcommands by the adapter.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.outbound import notify, to_payload
from handlers.kernel.callbacks import CANCEL_ROW, CallbackData, Dismiss, Resume
from handlers.kernel.context import Ctx
from handlers.kernel.core import Core
from handlers.kernel.flows import Flow, Step
from handlers.kernel.messages import Reply, Speaker, buttons
from handlers.kernel.roles import allowed
from handlers.kernel.router import Router
from handlers.kernel.validation import clean, parse_id
from handlers.sme.buttons import HUMAN, AskAbout, ShowChallenge
from storage import cases as store_cases
from storage import challenges, deliveries, people
from storage.audit import audit
from storage.models import Challenge, Identity, Organisation, Question

PERMISSION = "questions"  # every officer action on cases needs what listing them needs
REPLY_FLOW = "case-reply"
ASK_FLOW = "ask-officer"  # an SME's question on its way to an officer (handlers.sme.assist)
ANSWER_FLOW = "case-answer"
SEPARATOR = "\n---\n"  # between the question and the answer in `/dips clarify|suggest ID ...`
MAX_TEXT = 3000
# Buttons whose press opens a form first where the platform has them (Slack modals).
FORM_BUTTONS = {"csa": "answer", "csp": "clarify", "csf": "suggest"}

router = Router("officer.cases")


class Claim(CallbackData, prefix="csc"):
    case_id: int


class Answer(CallbackData, prefix="csa"):
    case_id: int


class Details(CallbackData, prefix="csd"):
    case_id: int


class Close(CallbackData, prefix="csx"):
    case_id: int


class PublishPreview(CallbackData, prefix="csp"):
    case_id: int


class SuggestPreview(CallbackData, prefix="csf"):
    case_id: int


class PublishConfirm(CallbackData, prefix="cspy"):
    case_id: int


class SuggestConfirm(CallbackData, prefix="csfy"):
    case_id: int


class SmeReply(CallbackData, prefix="csr"):
    """Under an officer's answer: the SME's next message goes to the case's thread."""

    case_id: int


# ---- anonymising ----

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|io|co|uk|eu|"
                  r"info|biz|dev|app|ai|tech)\b(?:/\S*)?", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d ().-]{6,}\d(?![\w])")
_LEGAL = re.compile(r"[\s,]+(?:ltd|limited|llc|llp|plc|inc|gmbh|sas|sa|srl|spa|ab|oy|as|bv|"
                    r"cic|co)\.?$", re.IGNORECASE)


def _phone(match: re.Match[str]) -> str:
    # Dates and sums have fewer digits than any phone number.
    return "[phone]" if sum(c.isdigit() for c in match.group()) >= 9 else match.group()


def _strip(text: str, phrases: list[str], placeholder: str, case_sensitive: bool = False) -> str:
    for phrase in sorted({p.strip() for p in phrases if p and len(p.strip()) >= 2}, key=len,
                         reverse=True):
        flags = 0 if case_sensitive else re.IGNORECASE
        text = re.sub(rf"(?<!\w){re.escape(phrase)}(?!\w)", placeholder, text, flags=flags)
    return text


@dataclass(frozen=True)
class Asker:
    """What could identify the asker in their own words."""

    names: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()  # their own email addresses, phone numbers, website


def anonymise(text: str, asker: Asker, *, thorough: bool = True, patterns: bool = True) -> str:
    """The text with the asker's names, organisation, emails, phone numbers and links removed.

    `thorough` also strips single capitalised parts of the names (\u201cSam\u201d of Sam
    Smith, \u201cAcme\u201d of Acme Sensors Ltd); wording an officer edited skips that, so a
    word like \u201cWill\u201d they kept on purpose survives. Without `patterns`, other
    people's emails, phone numbers and links stay (an officer's answer cites the council's).
    """
    orgs = [*asker.organisations, *(_LEGAL.sub("", o) for o in asker.organisations)]
    text = _strip(text, list(asker.contacts), "[contact]")
    if patterns:
        text = _EMAIL.sub("[email]", text)
        text = _URL.sub("[link]", text)
        text = _PHONE.sub(_phone, text)
    text = _strip(text, orgs, "[organisation]")
    text = _strip(text, list(asker.names), "[name]")
    if thorough:
        parts = [w for o in orgs[:1] + [_LEGAL.sub("", o) for o in asker.organisations]
                 for w in o.split()[:1] if len(w) >= 4]
        text = _strip(text, parts, "[organisation]", case_sensitive=True)
        parts = [w for n in asker.names for w in n.split() if len(w) >= 3]
        text = _strip(text, parts, "[name]", case_sensitive=True)
    return text


def scrub_answer(text: str, asker: Asker, thorough: bool = True) -> str:
    """An officer's answer keeps council links and addresses; only the asker's own details go."""
    return anonymise(text, asker, thorough=thorough, patterns=False)


async def asker_of(session: AsyncSession, case: Question) -> Asker:
    identity = await session.get(Identity, case.identity_id) if case.identity_id else None
    if identity is None:
        return Asker()
    names = [identity.display_name or ""]
    orgs: list[str] = []
    contacts: list[str] = []
    if identity.organisation_id:
        org = await session.get(Organisation, identity.organisation_id)
        if org is not None:
            orgs.append(org.name)
            contacts.append(org.website or "")
        for contact in await people.contacts_of(session, identity.organisation_id):
            names.append(contact.name)
            contacts += [contact.email, contact.phone or ""]
    return Asker(tuple(n for n in names if n), tuple(orgs), tuple(c for c in contacts if c))


# ---- opening a case (from handlers.sme.assist) ----

async def mentioned_challenge(session: AsyncSession, text: str) -> Challenge | None:
    """The one published challenge whose reference or title the text names, if exactly one."""
    lowered = f" {text.lower()} "
    rows = await challenges.published_challenges(session)
    found = [c for c in rows if re.search(rf"(?<!\w){re.escape(c.ref.lower())}(?!\w)", lowered)
             or (len(c.title) >= 8 and c.title.lower() in lowered)]
    return found[0] if len(found) == 1 else None


async def open_case(ctx: Ctx, text: str, related: tuple[Any, ...] = (),
                    challenge_ref: str | None = None, asked_for_person: bool = False) -> Question:
    """Record the case and queue its notice for the officers' channel (same transaction)."""
    session = ctx.session
    challenge = None
    if challenge_ref:
        challenge = await challenges.get_challenge(session, challenge_ref)
    if challenge is None:
        challenge = await mentioned_challenge(session, text)
    if not related and asked_for_person and ctx.core.answerer is not None:
        # What the FAQ would have offered, so the officer sees what the SME was already shown.
        result = ctx.core.answerer.answer(text)
        related = tuple(result.alternatives) if result is not None else ()
    tried: dict[str, Any] = {"faq": [[e.id, e.title] for e in related[:3]],
                             "asked_for_person": asked_for_person}
    case = await store_cases.create_case(session, ctx.identity.id, text,
                                         challenge.id if challenge else None, tried)
    reply = await notice(session, case)
    await _for_officers(session, case, "case", {**to_payload(reply), "case_id": case.id})
    return case


async def _for_officers(session: AsyncSession, case: Question, kind: str,
                        payload: dict[str, Any]) -> None:
    """Queue for the officers' channel (or the case's thread there). The row names the case's
    SME, though it goes to the channel, so erasing the SME (/forget) removes their words too."""
    channel = case.slack_channel if payload.get("thread_ts") else deliveries.OFFICER_CHANNEL
    await deliveries.enqueue_to_chat(session, "slack", channel or deliveries.OFFICER_CHANNEL, kind,
                                     payload, identity_id=case.identity_id)


def _who(identity: Identity | None) -> str:
    if identity is None:
        return "someone who has since erased their data"
    name = identity.display_name or identity.external_id
    return f"{name} ({identity.platform})"


async def _holder_name(session: AsyncSession, actor: str | None) -> str:
    if not actor:
        return "nobody"
    platform, _, user = actor.partition(":")
    identity = await people.get_identity(session, platform, user)
    return (identity.display_name if identity and identity.display_name else user) or actor


async def notice(session: AsyncSession, case: Question) -> Reply:
    """The officers' channel message heading a case's thread."""
    identity = await session.get(Identity, case.identity_id) if case.identity_id else None
    org = (await session.get(Organisation, identity.organisation_id)
           if identity is not None and identity.organisation_id else None)
    challenge = await session.get(Challenge, case.challenge_id) if case.challenge_id else None
    tried = case.tried or {}
    offered = [f"\u201c{title}\u201d" for _, title in tried.get("faq", [])]
    if offered:
        bot_tried = "the FAQ had no reliable answer; it offered " + ", ".join(offered)
    else:
        bot_tried = "nothing in the FAQ came close"
    if tried.get("asked_for_person"):
        bot_tried = "the SME asked for a person; " + bot_tried
    lines = [f"From: {_who(identity)}",
             "Organisation: " + (f"{org.name} ({org.size_band}, {org.city}, {org.country})"
                                 if org else "not given yet"),
             "Challenge: " + (f"{challenge.title} [{challenge.ref}]" if challenge else "none named"),
             f"The bot: {bot_tried}.",
             "", f"Question: {case.text[:MAX_TEXT]}", "",
             "Reply in this thread to answer: everything posted in the thread is sent to the SME."]
    row: list[tuple[str, CallbackData]] = [("Claim", Claim(case.id)), ("Answer", Answer(case.id))]
    if challenge is not None:
        row.append(("Publish as clarification", PublishPreview(case.id)))
    row += [("Suggest as FAQ", SuggestPreview(case.id)), ("Close", Close(case.id))]
    return Reply("\n".join(lines), buttons(row), None, f"Question for an officer (case #{case.id})")


async def to_thread(session: AsyncSession, case: Question, reply: Reply, kind: str = "case_thread",
                    also_in_channel: bool = False) -> None:
    """Queue a message in the case's Slack thread (the worker finds the thread if not yet known)."""
    payload: dict[str, Any] = {**to_payload(reply), "case_id": case.id, "thread": True}
    if also_in_channel:
        payload["reply_broadcast"] = True
    if case.slack_ts and case.slack_channel:
        payload["thread_ts"] = case.slack_ts
    await _for_officers(session, case, kind, payload)


# ---- officer actions ----

async def _case_arg(ctx: Ctx, args: str, usage: str) -> tuple[Question, str] | None:
    match = re.match(r"\s*(\S*)\s*(.*)\Z", args, re.DOTALL)
    ref, rest = (match.group(1), match.group(2)) if match else ("", "")
    case_id = parse_id(ref.lstrip("#"))
    if case_id is None:
        ctx.say(usage)
        return None
    case = await store_cases.get_case(ctx.session, case_id)
    if case is None:
        ctx.say(f"There is no case #{case_id}. /dips questions lists the open ones.")
        return None
    return case, rest


async def _refuse_held(ctx: Ctx, case: Question, what: str) -> None:
    case = await store_cases.get_case(ctx.session, case.id) or case
    if case.status == "closed":
        ctx.say(f"Case #{case.id} is closed, so {what}.")
    else:
        holder = await _holder_name(ctx.session, case.claimed_by)
        ctx.say(f"Case #{case.id} is claimed by {holder}, so {what}. Please leave it to them, "
                "or ask them in the thread.")


async def claim(ctx: Ctx, args: str) -> None:
    found = await _case_arg(ctx, args, "Usage: /dips claim CASE")
    if found is None:
        return
    case = found[0]
    if case.claimed_by == ctx.actor and case.status != "closed":
        ctx.say(f"You already hold case #{case.id}.")
        return
    if not await store_cases.claim(ctx.session, case.id, ctx.actor, ctx.core.clock()):
        await _refuse_held(ctx, case, "you can't claim it")
        return
    name = ctx.identity.display_name or ctx.identity.external_id
    await audit(ctx.session, ctx.actor, "case_claim", f"case-{case.id}")
    await to_thread(ctx.session, case, Reply(f"Claimed by {name}."))
    ctx.say(f"Case #{case.id} is yours: answer in its thread, with its Answer button, or with "
            f"/dips answer {case.id} YOUR ANSWER.")


async def answer(ctx: Ctx, args: str) -> None:
    """`/dips answer CASE TEXT`; a Slack thread message arrives as `answer CASE TEXT` too,
    flagged by the adapter with `thread:` before the case so it isn't echoed into the thread."""
    from_thread = args.startswith("thread:")
    args = args.removeprefix("thread:")
    found = await _case_arg(ctx, args, "Usage: /dips answer CASE YOUR ANSWER")
    if found is None:
        return
    case, text = found
    text = clean(text, keep_newlines=True)[:MAX_TEXT]
    if not text:
        ctx.say(f"Usage: /dips answer {case.id} YOUR ANSWER")
        return
    await give_answer(ctx, case, text, from_thread)


async def give_answer(ctx: Ctx, case: Question, text: str, from_thread: bool = False) -> None:
    if not await store_cases.take_for_answer(ctx.session, case.id, ctx.actor, ctx.core.clock()):
        await _refuse_held(ctx, case, "your answer was not sent to the SME")
        return
    # A form submitted twice, or a thread message retried: the same answer is sent once.
    # (The conditional update above serialises answers to one case, so this sees the last.)
    if await store_cases.last_answer(ctx.session, case.id) == text:
        ctx.say(f"That answer to case #{case.id} was already sent to the SME; it wasn't sent again.")
        return
    await store_cases.add_message(ctx.session, case.id, "officer", ctx.actor, text)
    await audit(ctx.session, ctx.actor, "case_answer", f"case-{case.id}")
    sme = await ctx.session.get(Identity, case.identity_id) if case.identity_id else None
    team = ctx.core.config.team_contact
    queued = await notify(ctx.session, sme, "case_answer", Reply(
        f"{team[:1].upper() + team[1:]} answered your question:\n\u201c{case.text[:300]}\u201d"
        f"\n\n{text}\n\nPress Reply if you'd like to answer or ask more about it.",
        buttons([("Reply", SmeReply(case.id))]), None, "Answer to your question"))
    if not from_thread:  # keep the thread the whole story, whichever way the answer was given
        name = ctx.identity.display_name or ctx.identity.external_id
        await to_thread(ctx.session, case, Reply(f"Answer from {name}, sent to the SME:\n{text}"))
    ctx.say(f"Sent to the SME (case #{case.id})." if queued else
            f"Recorded on case #{case.id}, but the SME can't be reached on chat any more "
            "(they blocked the bot or have no chat).")


async def close_case(ctx: Ctx, args: str) -> None:
    found = await _case_arg(ctx, args, "Usage: /dips close CASE")
    if found is None:
        return
    case = found[0]
    unanswered = case.answered_at is None
    if not await store_cases.close(ctx.session, case.id):
        ctx.say(f"Case #{case.id} is already closed.")
        return
    await audit(ctx.session, ctx.actor, "case_close", f"case-{case.id}")
    name = ctx.identity.display_name or ctx.identity.external_id
    await to_thread(ctx.session, case, Reply(f"Closed by {name}."))
    told = ""
    if unanswered:  # never leave an SME waiting for an answer that won't come
        sme = await ctx.session.get(Identity, case.identity_id) if case.identity_id else None
        if await notify(ctx.session, sme, "case_closed", Reply(
                f"About your question \u201c{case.text[:200]}\u201d: the DIPS team has closed it "
                "without a written answer. If you still need help, ask again any time.",
                buttons([("Talk to a person", HUMAN)]))):
            told = " The SME was told it was closed without an answer."
    ctx.say(f"Case #{case.id} is closed.{told}")


def _two_parts(rest: str) -> tuple[str, str]:
    """`question --- answer` (a form sends the separator on a line of its own)."""
    parts = re.split(r"\s---\s", rest, maxsplit=1)
    question, answer_text = parts[0], parts[1] if len(parts) > 1 else ""
    return clean(question, keep_newlines=True), clean(answer_text, keep_newlines=True)


async def _public_texts(ctx: Ctx, case: Question, rest: str) -> tuple[str, str] | None:
    """The case's question and answer with the asker's personal details taken out."""
    texts = await _answered_texts(ctx, case, rest)
    if texts is None:
        return None
    asker = await asker_of(ctx.session, case)
    return (anonymise(texts[0], asker, thorough=not texts[2])[:MAX_TEXT],
            scrub_answer(texts[1], asker, thorough=not texts[2])[:MAX_TEXT])


async def _answered_texts(ctx: Ctx, case: Question, rest: str) -> tuple[str, str, bool] | None:
    """(question, answer, edited) for publishing: defaults from the case, or the officer's."""
    question, answer_text = _two_parts(rest)
    last = await store_cases.last_answer(ctx.session, case.id)
    if last is None:
        ctx.say(f"Case #{case.id} hasn't been answered yet: answer the SME first.")
        return None
    return question or case.text, answer_text or last, bool(question or answer_text)


async def clarify(ctx: Ctx, args: str) -> None:
    """`/dips clarify CASE [question\\n---\\nanswer]`: publish to everyone interested."""
    found = await _case_arg(ctx, args, "Usage: /dips clarify CASE")
    if found is None:
        return
    case, rest = found
    if case.challenge_id is None:
        ctx.say(f"Case #{case.id} isn't about a challenge, so it can't be published as a "
                "clarification. Suggest it as an FAQ entry instead.")
        return
    if await store_cases.clarification_for_case(ctx.session, case.id) is not None:
        ctx.say(f"Case #{case.id} has already been published as a clarification.")
        return
    published = await _public_texts(ctx, case, rest)
    if published is None:
        return
    question, answer_text = published
    challenge = await ctx.session.get(Challenge, case.challenge_id)
    assert challenge is not None
    recipients = await interested(ctx, challenge)
    row = await store_cases.add_clarification(ctx.session, challenge.id, case.id, question,
                                              answer_text, ctx.actor)
    message = to_payload(clarification_reply(challenge, question, answer_text))
    sent = await deliveries.create_broadcast(
        ctx.session, kind="clarification", challenge_id=challenge.id, audience="interested",
        created_by=ctx.actor, recipients=[(i, message) for i in recipients])
    await audit(ctx.session, ctx.actor, "clarification", challenge.ref, case=case.id,
                clarification=row.id, broadcast=sent.id, recipients=sent.total)
    name = ctx.identity.display_name or ctx.identity.external_id
    await to_thread(ctx.session, case, Reply(
        f"Published by {name} as a clarification on {challenge.ref}, queued for {sent.total} "
        f"SMEs:\nQ: {question}\nA: {answer_text}"))
    ctx.say(f"Published on {challenge.title} [{challenge.ref}] and queued for {sent.total} "
            f"interested SME{'s' if sent.total != 1 else ''}.\nQ: {question}\nA: {answer_text}")


async def interested(ctx: Ctx, challenge: Challenge) -> list[Identity]:
    """Every SME with an EOI on the challenge or subscribed to matching interests, once each."""
    from handlers.engines.matching.subscribers import subscribers_matching

    chosen: dict[int, Identity] = {}
    for identity in await store_cases.eoi_holders(ctx.session, challenge.id):
        chosen.setdefault(identity.id, identity)
    for identity, _ in await subscribers_matching(ctx.session, challenge):
        chosen.setdefault(identity.id, identity)
    return sorted((i for i in chosen.values() if i.role == "sme"), key=lambda i: i.id)


def clarification_reply(challenge: Challenge, question: str, answer_text: str) -> Reply:
    return Reply(
        f"A question was asked about \u201c{challenge.title}\u201d. So that everyone interested "
        f"has the same information, here is the answer.\n\nQuestion: {question}\n\n"
        f"Answer: {answer_text}", buttons([("Challenge details", ShowChallenge(challenge.ref[:60]))]),
        None, f"Clarification: {challenge.title}")


async def suggest(ctx: Ctx, args: str) -> None:
    """`/dips suggest CASE [question\\n---\\nanswer]`: propose an FAQ entry for review."""
    found = await _case_arg(ctx, args, "Usage: /dips suggest CASE")
    if found is None:
        return
    case, rest = found
    if await store_cases.suggestion_for_case(ctx.session, case.id) is not None:
        ctx.say(f"Case #{case.id} has already been suggested as an FAQ entry.")
        return
    published = await _public_texts(ctx, case, rest)
    if published is None:
        return
    question, answer_text = published
    row = await store_cases.add_suggestion(ctx.session, case.id, question, answer_text, ctx.actor)
    await audit(ctx.session, ctx.actor, "faq_suggestion", f"case-{case.id}", suggestion=row.id)
    name = ctx.identity.display_name or ctx.identity.external_id
    await to_thread(ctx.session, case, Reply(f"Suggested as an FAQ entry by {name} "
                                             f"(suggestion #{row.id})."))
    ctx.say(f"Suggested as FAQ entry #{row.id}; admins review suggestions with "
            f"`dips faq suggestions`.\nQ: {question}\nA: {answer_text}")


async def show_case(ctx: Ctx, args: str) -> None:
    found = await _case_arg(ctx, args, "Usage: /dips case CASE")
    if found is None:
        return
    case = found[0]
    holder = await _holder_name(ctx.session, case.claimed_by) if case.claimed_by else "nobody"
    lines = [f"Status: {case.status}; held by {holder}"]
    for m in await store_cases.messages(ctx.session, case.id):
        who = "SME" if m.author == "sme" else await _holder_name(ctx.session, m.actor)
        lines.append(f"{m.at:%Y-%m-%d %H:%M} {who}: {m.text[:1000]}")
    reply = await notice(ctx.session, case)
    ctx.say(reply.text + "\n\nHistory:\n" + "\n".join(lines),
            *[[(b.label, b.data) for b in row] for row in reply.buttons], title=reply.title)


async def list_open(ctx: Ctx, args: str) -> None:
    """Open cases, oldest first (`/dips questions`)."""
    rows = await store_cases.open_cases(ctx.session)
    if not rows:
        ctx.say("No questions are waiting for an officer.")
        return
    now = ctx.core.clock()
    lines = []
    for case in rows[:30]:
        challenge = await ctx.session.get(Challenge, case.challenge_id) if case.challenge_id else None
        held = (f", held by {await _holder_name(ctx.session, case.claimed_by)}"
                if case.claimed_by else "")
        lines.append(f"#{case.id} {case.asked_at:%Y-%m-%d %H:%M} ({_age(now - case.asked_at)})"
                     + (f" on {challenge.ref}" if challenge else "") + f"{held}: {case.text[:300]}")
    more = f"\n(the oldest 30 of {len(rows)})" if len(rows) > 30 else ""
    ctx.say("Questions waiting for an officer (oldest first):\n" + "\n".join(lines) + more,
            *[[(f"#{c.id} Claim", Claim(c.id)), (f"#{c.id} Answer", Answer(c.id)),
               (f"#{c.id} Details", Details(c.id))] for c in rows[:10]])


def _age(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{round(hours * 60)} min" if hours < 1 else (
        f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days")


# ---- officer buttons (registered with the PERMISSION the core checks) ----

async def answer_button(ctx: Ctx, arg: str) -> None:
    """Without a form (console, Telegram), the officer's next message is the answer."""
    found = await _case_arg(ctx, arg, "That button has expired.")
    if found is None:
        return
    case = found[0]
    if case.status == "closed" or case.claimed_by not in (None, ctx.actor):
        await _refuse_held(ctx, case, "you can't answer it")
        return
    if ctx.flow is not None:
        ctx.say("Please finish or /cancel what you're doing first.", [("Carry on", Resume())])
        return
    ctx.goto(ANSWER_FLOW, "text", case=case.id)
    ctx.say(f"Type your answer to case #{case.id}: \u201c{case.text[:300]}\u201d", CANCEL_ROW)


async def step_answer(ctx: Ctx, text: str) -> None:
    text = clean(text, keep_newlines=True)[:MAX_TEXT]
    if not text:
        ctx.say("Please type your answer, or press Cancel.", CANCEL_ROW)
        return
    case = await store_cases.get_case(ctx.session, int(ctx.data.get("case", 0)))
    ctx.finish()
    if case is None:
        ctx.say("That case no longer exists.")
        return
    await give_answer(ctx, case, text)


async def prompt_answer(ctx: Ctx) -> None:
    ctx.say(f"Type your answer to case #{ctx.data.get('case')}.", CANCEL_ROW)


async def preview_button(ctx: Ctx, arg: str) -> None:
    """`csp:ID` / `csf:ID` without a form: show what would be published, then confirm."""
    kind, _, case_ref = arg.partition(":")
    found = await _case_arg(ctx, case_ref, "That button has expired.")
    if found is None:
        return
    case = found[0]
    texts = await _answered_texts(ctx, case, "")
    if texts is None:
        return
    asker = await asker_of(ctx.session, case)
    what = "a clarification to everyone interested" if kind == "p" else "an FAQ suggestion"
    ctx.say(f"Case #{case.id} as {what}:\nQ: {anonymise(texts[0], asker)}\n"
            f"A: {scrub_answer(texts[1], asker)}\n\nTo reword it, use /dips "
            f"{'clarify' if kind == 'p' else 'suggest'} {case.id} QUESTION --- ANSWER on Slack.",
            [("Confirm", PublishConfirm(case.id) if kind == "p" else SuggestConfirm(case.id)),
             ("Cancel", Dismiss())])


# ---- the SME's side ----

@router.button(SmeReply, action="reply")
async def reply_button(ctx: Ctx, pressed: SmeReply) -> None:
    """Under an officer's answer: the SME's next message goes to the case's thread."""
    case = await store_cases.get_case(ctx.session, pressed.case_id)
    if case is None or case.identity_id != ctx.identity.id:
        ctx.say("That conversation is no longer available. You can ask a new question any time.",
                [("Talk to a person", HUMAN)])
        return
    if case.status == "closed":
        ctx.say("That question has been closed. If you still need help, ask again.",
                [("Talk to a person", HUMAN)])
        return
    if ctx.flow is not None and ctx.flow != REPLY_FLOW:
        ctx.say("Please finish or /cancel what you're doing first.", [("Carry on", Resume())])
        return
    ctx.goto(REPLY_FLOW, "text", case=case.id)
    ctx.say("Type your reply for the DIPS officer.", CANCEL_ROW)


async def step_reply(ctx: Ctx, text: str) -> None:
    text = clean(text, keep_newlines=True)[:2000]
    if not text:
        ctx.say("Please type your reply, or press Cancel.", CANCEL_ROW)
        return
    case = await store_cases.get_case(ctx.session, int(ctx.data.get("case", 0)))
    ctx.finish()
    if case is None or case.identity_id != ctx.identity.id or case.status == "closed":
        ctx.say("That question has been closed, so I couldn't pass your reply on. You can ask "
                "again any time.", [("Talk to a person", HUMAN)])
        return
    await store_cases.add_message(ctx.session, case.id, "sme", ctx.actor, text)
    await store_cases.reopen(ctx.session, case.id)
    await to_thread(ctx.session, case, Reply(f"Reply from the SME (case #{case.id}):\n{text}"))
    ctx.say("Thanks, I've passed your reply to the officer. They'll answer here.")


async def prompt_reply(ctx: Ctx) -> None:
    ctx.say("Type your reply for the DIPS officer.", CANCEL_ROW)


@router.button(AskAbout, action="ask")
async def ask_about_challenge(ctx: Ctx, pressed: AskAbout) -> None:
    """On a challenge's details: the question is filed against that challenge."""
    if ctx.flow is not None:
        ctx.say("Please finish or /cancel what you're doing first.", [("Carry on", Resume())])
        return
    ctx.goto(ASK_FLOW, "question", challenge=clean(pressed.ref).lower()[:64])
    ctx.say("What would you like to ask a DIPS officer about this challenge? Type your question "
            "and I'll pass it on.", CANCEL_ROW)


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
    submit: str = "Send"

    def args(self, values: list[str]) -> str:
        """The `/dips` arguments for the submitted values (in field order)."""
        return f"{self.sub} {self.case_id}\n" + SEPARATOR.join(v.strip() for v in values)


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
        actor = f"{identity.platform}:{identity.external_id}"
        if case.status == "closed" or case.claimed_by not in (None, actor):
            return None
        if sub == "answer":
            return Form("answer", case.id, f"Answer case #{case.id}",
                        f"The SME asked: \u201c{case.text[:2500]}\u201d\nYour answer is sent to "
                        "them on chat and copied into the case's thread.",
                        (FormField("answer", "Answer"),))
        last = await store_cases.last_answer(session, case.id)
        if last is None or (sub == "clarify" and case.challenge_id is None):
            return None
        asker = await asker_of(session, case)
        question = anonymise(case.text, asker)
        if sub == "clarify":
            return Form("clarify", case.id, "Publish a clarification",
                        "The question and answer go to every SME with an EOI on the challenge "
                        "or subscribed to it, and are shown with the challenge's details. "
                        "Names, organisations, emails, phone numbers and links have been "
                        "removed from the question; check the wording.",
                        (FormField("question", "Question (anonymised)", question),
                         FormField("answer", "Answer", scrub_answer(last, asker))), "Publish")
        return Form("suggest", case.id, "Suggest an FAQ entry",
                    "Admins review suggestions before anything is added to the FAQ.",
                    (FormField("question", "Question", question),
                     FormField("answer", "Answer", scrub_answer(last, asker))), "Suggest")


async def case_for_thread(core: Core, ts: str) -> int | None:
    """The case whose officers' channel message is `ts`, for the Slack adapter's thread events."""
    async with core.store.session() as session:
        case = await store_cases.case_for_thread(session, ts)
        return case.id if case is not None else None


# ---- reminders (run periodically by the Slack worker) ----

async def queue_reminders(session: AsyncSession, now: datetime, hours: float) -> int:
    """Remind the channel, once per case, of open cases older than `hours` (0 turns it off)."""
    if hours <= 0:
        return 0
    ids = await store_cases.due_for_reminder(session, now, timedelta(hours=hours))
    for case_id in ids:
        case = await store_cases.get_case(session, case_id)
        assert case is not None
        held = (f" {await _holder_name(session, case.claimed_by)} claimed it but hasn't answered."
                if case.claimed_by else " Nobody has claimed it.")
        await to_thread(session, case, Reply(
            f"Reminder: case #{case.id} has waited {_age(now - case.asked_at)} for an answer."
            f"{held}\n\u201c{case.text[:300]}\u201d",
            buttons([("Claim", Claim(case.id)), ("Answer", Answer(case.id))])),
            kind="case_reminder", also_in_channel=True)
    return len(ids)


# ---- registration ----

for _name, _handler in (("case", show_case), ("claim", claim), ("answer", answer),
                        ("close", close_case), ("clarify", clarify), ("suggest", suggest)):
    router.command(_name, PERMISSION, dips=True, top=False)(_handler)


def _by_id(handler: Callable[[Ctx, str], Awaitable[None]], prefix: str = ""
           ) -> Callable[[Ctx, Any], Awaitable[None]]:
    async def pressed(ctx: Ctx, data: Any) -> None:
        await handler(ctx, f"{prefix}{data.case_id}")
    return pressed


for _kind, _handler, _prefix in ((Claim, claim, ""), (Answer, answer_button, ""),
                                 (Details, show_case, ""), (Close, close_case, ""),
                                 (PublishPreview, preview_button, "p:"),
                                 (SuggestPreview, preview_button, "f:"),
                                 (PublishConfirm, clarify, ""), (SuggestConfirm, suggest, "")):
    router.button(_kind, PERMISSION)(_by_id(_handler, _prefix))
router.flow(Flow(REPLY_FLOW, action="reply", steps=(Step("text", prompt_reply, step_reply),)))
router.flow(Flow(ANSWER_FLOW, action=PERMISSION, steps=(Step("text", prompt_answer, step_answer),)))
