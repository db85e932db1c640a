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
    FROM_FORM,
    MAX_TEXT,
    PERMISSION,
    age,
    clarification_reply,
    holder_name,
    interested,
    notice,
    to_thread,
)
from handlers.domain.departments import may_see_case, scope_of, visible_cases
from handlers.domain.outbound import notify, to_payload, worded_for
from handlers.kernel.callbacks import CANCEL_ROW, CallbackData, Cancel, Dismiss, FlowChoice, Resume
from handlers.kernel.context import Ctx
from handlers.kernel.flows import Flow, Step
from handlers.kernel.messages import Reply, buttons
from handlers.kernel.router import Router
from handlers.kernel.text import t
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
    case_id = parse_id(ref.removeprefix(FROM_FORM).lstrip("#"))
    if case_id is None:
        ctx.say(usage)
        return None
    case = await store_cases.get_case(ctx.session, case_id)
    if case is None:
        ctx.say(t("case.no_case", id=case_id))
        return None
    if not await may_see_case(ctx.session, ctx.identity, case):
        ctx.say(t("departments.not_your_case", id=case_id))
        return None
    return case, rest


async def _refuse_held(ctx: Ctx, case: Question, what: str) -> None:
    case = await store_cases.get_case(ctx.session, case.id) or case
    if case.status == "closed":
        ctx.say(t("case.closed_so", id=case.id, what=what))
    else:
        holder = await holder_name(ctx.session, case.claimed_by)
        ctx.say(t("case.held_so", id=case.id, holder=holder, what=what))


async def claim(ctx: Ctx, args: str) -> None:
    found = await _case_arg(ctx, args, t("case.usage", command="claim"))
    if found is None:
        return
    case = found[0]
    if case.claimed_by == ctx.actor and case.status != "closed":
        ctx.say(t("case.already_yours", id=case.id))
        return
    if not await store_cases.claim(ctx.session, case.id, ctx.actor, ctx.core.clock()):
        await _refuse_held(ctx, case, t("case.cant_claim"))
        return
    name = ctx.identity.display_name or ctx.identity.external_id
    await audit(ctx.session, ctx.actor, "case_claim", f"case-{case.id}")
    await to_thread(ctx.session, case, Reply(t("case.claimed_by", name=name)))
    ctx.say(t("case.yours", id=case.id))


async def answer(ctx: Ctx, args: str) -> None:
    """`/dips answer CASE TEXT`; a Slack thread message arrives as `answer CASE TEXT` too,
    flagged by the adapter with `thread:` before the case so it isn't echoed into the thread."""
    from_thread = args.startswith("thread:")
    args = args.removeprefix("thread:")
    found = await _case_arg(ctx, args, t("case.usage_answer", case="CASE"))
    if found is None:
        return
    case, text = found
    text = clean(text, keep_newlines=True)[:MAX_TEXT]
    if not text:
        ctx.say(t("case.usage_answer", case=case.id))
        return
    await give_answer(ctx, case, text, from_thread)


async def give_answer(ctx: Ctx, case: Question, text: str, from_thread: bool = False) -> None:
    if not await store_cases.take_for_answer(ctx.session, case.id, ctx.actor, ctx.core.clock()):
        await _refuse_held(ctx, case, t("case.answer_not_sent"))
        return
    # A form submitted twice, or a thread message retried: the same answer is sent once.
    # (The conditional update above serialises answers to one case, so this sees the last.)
    if await store_cases.last_answer(ctx.session, case.id) == text:
        ctx.say(t("case.already_sent", id=case.id))
        return
    await store_cases.add_message(ctx.session, case.id, "officer", ctx.actor, text)
    await audit(ctx.session, ctx.actor, "case_answer", f"case-{case.id}")
    sme = await ctx.session.get(Identity, case.identity_id) if case.identity_id else None
    team = ctx.core.config.team_contact
    queued = await notify(ctx.session, sme, "case_answer", lambda: Reply(
        t("your_question.answer", team=team[:1].upper() + team[1:], question=case.text[:300],
          answer=text),
        buttons([(t("your_question.reply"), SmeReply(case.id))]), None,
        t("your_question.answer_title")))
    if not from_thread:  # keep the thread the whole story, whichever way the answer was given
        name = ctx.identity.display_name or ctx.identity.external_id
        await to_thread(ctx.session, case, Reply(t("case.answer_from", name=name, text=text)))
    ctx.say(t("case.sent", id=case.id) if queued else t("case.unreachable", id=case.id))


async def close_case(ctx: Ctx, args: str) -> None:
    found = await _case_arg(ctx, args, t("case.usage", command="close"))
    if found is None:
        return
    case = found[0]
    unanswered = case.answered_at is None
    if not await store_cases.close(ctx.session, case.id):
        ctx.say(t("case.already_closed", id=case.id))
        return
    await audit(ctx.session, ctx.actor, "case_close", f"case-{case.id}")
    name = ctx.identity.display_name or ctx.identity.external_id
    await to_thread(ctx.session, case, Reply(t("case.closed_by", name=name)))
    told = False
    if unanswered:  # never leave an SME waiting for an answer that won't come
        sme = await ctx.session.get(Identity, case.identity_id) if case.identity_id else None
        told = await notify(ctx.session, sme, "case_closed", lambda: Reply(
            t("your_question.closed_unanswered", question=case.text[:200]),
            buttons([(t("button.talk_to_person"), HUMAN)]))) is not None
    ctx.say(t("case.closed_told", id=case.id) if told else t("case.closed", id=case.id))


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
        ctx.say(t("case.not_answered", id=case.id))
        return None
    return question or case.text, answer_text or last, bool(question or answer_text)


async def clarify(ctx: Ctx, args: str) -> None:
    """`/dips clarify CASE [question\\n---\\nanswer]`: publish to everyone interested, once
    the officer has seen exactly what will go (a preview to confirm, unless it came from a
    form that showed it)."""
    previewed = args.lstrip().startswith(FROM_FORM)
    found = await _case_arg(ctx, args, t("case.usage", command="clarify"))
    if found is None:
        return
    case, rest = found
    if case.challenge_id is None:
        ctx.say(t("case.not_about_challenge", id=case.id))
        return
    if await store_cases.clarification_for_case(ctx.session, case.id) is not None:
        ctx.say(t("case.already_published", id=case.id))
        return
    published = await _public_texts(ctx, case, rest)
    if published is None:
        return
    question, answer_text = published
    if not previewed:
        if ctx.flow is not None:
            ctx.say(t("kernel.busy"), [(t("button.carry_on"), Resume())])
            return
        await ctx.begin(CONFIRM_CLARIFY, case=case.id, question=question, answer=answer_text)
        return
    await publish(ctx, case, question, answer_text)


async def ask_confirm_clarify(ctx: Ctx) -> None:
    ctx.say(t("case.preview_clarify", id=ctx.data.get("case"), question=ctx.data.get("question"),
              answer=ctx.data.get("answer")),
            [(t("case.confirm"), FlowChoice("confirm", "yes")), (t("button.cancel"), Cancel())])


async def read_confirm_clarify(ctx: Ctx, text: str) -> None:
    if not (ctx.pressed and text == "yes"):
        ctx.say(t("case.press_confirm"))
        await ctx.ask()
        return
    data = dict(ctx.data)
    ctx.finish()
    case = await store_cases.get_case(ctx.session, int(data.get("case", 0)))
    if case is None:
        ctx.say(t("case.expired"))
    elif await store_cases.clarification_for_case(ctx.session, case.id) is not None:
        ctx.say(t("case.already_published", id=case.id))
    else:
        await publish(ctx, case, str(data.get("question", "")), str(data.get("answer", "")))


CONFIRM_CLARIFY = router.flow(Flow("clarify-confirm", action=PERMISSION, steps=(
    Step("confirm", ask_confirm_clarify, read_confirm_clarify),)))


async def publish(ctx: Ctx, case: Question, question: str, answer_text: str) -> None:
    """Publish a confirmed clarification: recorded, queued once per interested SME, audited."""
    assert case.challenge_id is not None
    challenge = await ctx.session.get(Challenge, case.challenge_id)
    assert challenge is not None
    recipients = await interested(ctx.session, challenge)
    row = await store_cases.add_clarification(ctx.session, challenge.id, case.id, question,
                                              answer_text, ctx.actor)
    sent = await deliveries.create_broadcast(
        ctx.session, kind="clarification", challenge_id=challenge.id, audience="interested",
        created_by=ctx.actor, recipients=[(i, to_payload(worded_for(
            i, lambda: clarification_reply(challenge, question, answer_text))))
            for i in recipients])
    await audit(ctx.session, ctx.actor, "clarification", challenge.ref, case=case.id,
                clarification=row.id, broadcast=sent.id, recipients=sent.total)
    name = ctx.identity.display_name or ctx.identity.external_id
    await to_thread(ctx.session, case, Reply(t(
        "case.published_thread", name=name, ref=challenge.ref, total=sent.total,
        question=question, answer=answer_text)))
    if sent.total == 1:
        ctx.say(t("case.published_one", title=challenge.title, ref=challenge.ref, total=1,
                  question=question, answer=answer_text))
    else:
        ctx.say(t("case.published_many", title=challenge.title, ref=challenge.ref,
                  total=sent.total, question=question, answer=answer_text))


async def suggest(ctx: Ctx, args: str) -> None:
    """`/dips suggest CASE [question\\n---\\nanswer]`: propose an FAQ entry for review."""
    found = await _case_arg(ctx, args, t("case.usage", command="suggest"))
    if found is None:
        return
    case, rest = found
    if await store_cases.suggestion_for_case(ctx.session, case.id) is not None:
        ctx.say(t("case.already_suggested", id=case.id))
        return
    published = await _public_texts(ctx, case, rest)
    if published is None:
        return
    question, answer_text = published
    row = await store_cases.add_suggestion(ctx.session, case.id, question, answer_text, ctx.actor)
    await audit(ctx.session, ctx.actor, "faq_suggestion", f"case-{case.id}", suggestion=row.id)
    name = ctx.identity.display_name or ctx.identity.external_id
    await to_thread(ctx.session, case, Reply(t("case.suggested_thread", name=name, n=row.id)))
    ctx.say(t("case.suggested", n=row.id, question=question, answer=answer_text))


async def show_case(ctx: Ctx, args: str) -> None:
    found = await _case_arg(ctx, args, t("case.usage", command="case"))
    if found is None:
        return
    case = found[0]
    holder = await holder_name(ctx.session, case.claimed_by)  # "nobody" if unclaimed
    lines = [t("case.status", status=case.status, holder=holder)]
    for m in await store_cases.messages(ctx.session, case.id):
        who = t("case.sme") if m.author == "sme" else await holder_name(ctx.session, m.actor)
        lines.append(f"{m.at:%Y-%m-%d %H:%M} {who}: {m.text[:1000]}")
    reply = await notice(ctx.session, case)
    ctx.say(reply.text + "\n\n" + t("history") + "\n" + "\n".join(lines),
            *[[(b.label, b.data) for b in row] for row in reply.buttons], title=reply.title)


async def list_open(ctx: Ctx, args: str) -> None:
    """Open cases, oldest first (`/dips questions`)."""
    rows = await visible_cases(ctx.session, await scope_of(ctx.session, ctx.identity),
                               await store_cases.open_cases(ctx.session))
    if not rows:
        ctx.say(t("case.none_waiting"))
        return
    now = ctx.core.clock()
    lines = []
    for case in rows[:30]:
        challenge = await ctx.session.get(Challenge, case.challenge_id) if case.challenge_id else None
        held = (t("case.held_by", holder=await holder_name(ctx.session, case.claimed_by))
                if case.claimed_by else "")
        lines.append(f"#{case.id} {case.asked_at:%Y-%m-%d %H:%M} ({age(now - case.asked_at)})"
                     + (t("case.on_challenge", ref=challenge.ref) if challenge else "")
                     + f"{held}: {case.text[:300]}")
    if len(rows) > 30:
        lines.append(t("case.oldest", shown=30, total=len(rows)))
    claim_label, answer_label, details_label = t("case.claim"), t("case.answer"), t("button.details")
    ctx.say(t("case.waiting", lines="\n".join(lines)),
            *[[(t("case.numbered", id=c.id, label=claim_label), Claim(c.id)),
               (t("case.numbered", id=c.id, label=answer_label), Answer(c.id)),
               (t("case.numbered", id=c.id, label=details_label), Details(c.id))]
              for c in rows[:10]])


# ---- officer buttons (registered with the PERMISSION the core checks) ----

async def answer_button(ctx: Ctx, arg: str) -> None:
    """Without a form (console, Telegram), the officer's next message is the answer."""
    found = await _case_arg(ctx, arg, t("case.expired"))
    if found is None:
        return
    case = found[0]
    if case.status == "closed" or case.claimed_by not in (None, ctx.actor):
        await _refuse_held(ctx, case, t("case.cant_answer"))
        return
    if ctx.flow is not None:
        ctx.say(t("kernel.busy"), [(t("button.carry_on"), Resume())])
        return
    ctx.goto(ANSWER_FLOW, "text", case=case.id)
    ctx.say(t("case.type_answer_to", id=case.id, question=case.text[:300]), CANCEL_ROW)


async def step_answer(ctx: Ctx, text: str) -> None:
    text = clean(text, keep_newlines=True)[:MAX_TEXT]
    if not text:
        ctx.say(t("case.empty_answer"), CANCEL_ROW)
        return
    case = await store_cases.get_case(ctx.session, int(ctx.data.get("case", 0)))
    ctx.finish()
    if case is None:
        ctx.say(t("case.gone"))
        return
    await give_answer(ctx, case, text)


async def prompt_answer(ctx: Ctx) -> None:
    ctx.say(t("case.type_answer", id=ctx.data.get("case")), CANCEL_ROW)


async def preview_button(ctx: Ctx, arg: str) -> None:
    """`csp:ID` / `csf:ID` without a form: show what would be published, then confirm."""
    kind, _, case_ref = arg.partition(":")
    found = await _case_arg(ctx, case_ref, t("case.expired"))
    if found is None:
        return
    case = found[0]
    texts = await _answered_texts(ctx, case, "")
    if texts is None:
        return
    asker = await asker_of(ctx.session, case)
    question, answer_text = anonymise(texts[0], asker), scrub_answer(texts[1], asker)
    ctx.say(t("case.preview_clarify", id=case.id, question=question, answer=answer_text)
            if kind == "p" else
            t("case.preview_suggest", id=case.id, question=question, answer=answer_text),
            [(t("case.confirm"), PublishConfirm(case.id) if kind == "p" else SuggestConfirm(case.id)),
             (t("button.cancel"), Dismiss())])


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
                                 (PublishConfirm, clarify, FROM_FORM),  # after its preview
                                 (SuggestConfirm, suggest, "")):
    router.button(_kind, PERMISSION)(_by_id(_pressed, _prefix))
router.flow(Flow(ANSWER_FLOW, action=PERMISSION, steps=(Step("text", prompt_answer, step_answer),)))
