"""Officer actions on cases: claim, answer, close, publish as a clarification, suggest as an
FAQ entry, show one, list the open ones; the officers' case buttons and the case-answer flow.

Officer actions are /dips subcommands, so the /dips permission covers them on every platform;
Slack's modals and thread messages are translated into the same subcommands by the adapter.
The cases themselves (opening, notices, reminders, forms) are in handlers/domain/cases.py.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from handlers.domain.anonymise import anonymise, asker_of, scrub_answer
from handlers.domain.buttons import (
    Answer,
    Claim,
    Close,
    PublishPreview,
    SmeReply,
    SuggestPreview,
)
from handlers.domain.cases import (
    MAX_TEXT,
    PERMISSION,
    age,
    clarification_reply,
    holder_name,
    interested,
    notice,
    to_thread,
)
from handlers.domain.outbound import notify, to_payload
from handlers.kernel.callbacks import CANCEL_ROW, CallbackData, Dismiss, Resume
from handlers.kernel.context import Ctx
from handlers.kernel.flows import Flow, Step
from handlers.kernel.messages import Reply, buttons
from handlers.kernel.router import Router
from handlers.kernel.validation import clean, parse_id
from handlers.sme.buttons import HUMAN
from storage import cases as store_cases
from storage import deliveries
from storage.audit import audit
from storage.models import Challenge, Identity, Question

ANSWER_FLOW = "case-answer"

router = Router("officer.cases")


class Details(CallbackData, prefix="csd"):
    case_id: int


class PublishConfirm(CallbackData, prefix="cspy"):
    case_id: int


class SuggestConfirm(CallbackData, prefix="csfy"):
    case_id: int


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
        holder = await holder_name(ctx.session, case.claimed_by)
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
    recipients = await interested(ctx.session, challenge)
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
    holder = await holder_name(ctx.session, case.claimed_by) if case.claimed_by else "nobody"
    lines = [f"Status: {case.status}; held by {holder}"]
    for m in await store_cases.messages(ctx.session, case.id):
        who = "SME" if m.author == "sme" else await holder_name(ctx.session, m.actor)
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
        held = (f", held by {await holder_name(ctx.session, case.claimed_by)}"
                if case.claimed_by else "")
        lines.append(f"#{case.id} {case.asked_at:%Y-%m-%d %H:%M} ({age(now - case.asked_at)})"
                     + (f" on {challenge.ref}" if challenge else "") + f"{held}: {case.text[:300]}")
    more = f"\n(the oldest 30 of {len(rows)})" if len(rows) > 30 else ""
    ctx.say("Questions waiting for an officer (oldest first):\n" + "\n".join(lines) + more,
            *[[(f"#{c.id} Claim", Claim(c.id)), (f"#{c.id} Answer", Answer(c.id)),
               (f"#{c.id} Details", Details(c.id))] for c in rows[:10]])


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


# ---- registration ----

router.command("questions", dips=True)(list_open)  # open cases, oldest first, with their buttons

for _name, _handler in (("case", show_case), ("claim", claim), ("answer", answer),
                        ("close", close_case), ("clarify", clarify), ("suggest", suggest)):
    router.command(_name, PERMISSION, dips=True, top=False)(_handler)


def _by_id(handler: Callable[[Ctx, str], Awaitable[None]], prefix: str = ""
           ) -> Callable[[Ctx, Any], Awaitable[None]]:
    async def pressed(ctx: Ctx, data: Any) -> None:
        await handler(ctx, f"{prefix}{data.case_id}")
    return pressed


for _kind, _pressed, _prefix in ((Claim, claim, ""), (Answer, answer_button, ""),
                                 (Details, show_case, ""), (Close, close_case, ""),
                                 (PublishPreview, preview_button, "p:"),
                                 (SuggestPreview, preview_button, "f:"),
                                 (PublishConfirm, clarify, ""), (SuggestConfirm, suggest, "")):
    router.button(_kind, PERMISSION)(_by_id(_pressed, _prefix))
router.flow(Flow(ANSWER_FLOW, action=PERMISSION, steps=(Step("text", prompt_answer, step_answer),)))
