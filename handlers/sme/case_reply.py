"""The SME's side of a case: asking an officer (about a challenge, or what the bot couldn't
answer), and replying to an officer's answer.

Opening the case and queueing its notice are in handlers/domain/cases.py; the officers' side is
handlers/officer/cases.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers.domain import cases
from handlers.domain.buttons import SmeReply
from handlers.kernel.callbacks import CANCEL_ROW, Resume
from handlers.kernel.context import Ctx
from handlers.kernel.flows import Flow, Invalid, Step
from handlers.kernel.messages import Reply
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.kernel.validation import clean
from handlers.sme.buttons import HUMAN, AskAbout
from storage import cases as store_cases
from storage.models import Question

REPLY_FLOW = "case-reply"
ASK_FLOW = "ask-officer"  # an SME's question on its way to an officer (handlers.sme.assist)

router = Router("sme.case_reply")


FLOOD_WINDOW = timedelta(hours=1)
FLOOD_LIMIT = 5  # questions an SME may pass to officers in FLOOD_WINDOW


async def open_case(ctx: Ctx, text: str, related: tuple[Any, ...] = (),
                    challenge_ref: str | None = None, asked_for_person: bool = False) -> Question:
    """File the SME's question as a case and queue its notice for the officers' channel.

    Officers are people: the same question asked again while it is waiting is not filed twice,
    and at most FLOOD_LIMIT questions an hour reach them from one SME (raises Invalid, which
    the kernel says, before anything is written)."""
    recent = await store_cases.recent_cases(ctx.session, ctx.identity.id,
                                            ctx.core.clock() - FLOOD_WINDOW)
    same = clean(text).casefold()
    if any(c.status != "closed" and clean(c.text).casefold() == same for c in recent):
        raise Invalid(t("case_reply.already_asked"))
    if len(recent) >= FLOOD_LIMIT:
        raise Invalid(t("case_reply.too_many"))
    return await cases.open_case(ctx.session, ctx.identity.id, text, related, challenge_ref,
                                 asked_for_person, ctx.core.answerer)


@router.button(AskAbout, action="ask")
async def ask_about_challenge(ctx: Ctx, pressed: AskAbout) -> None:
    """On a challenge's details: the question is filed against that challenge."""
    if ctx.flow is not None:
        ctx.say(t("kernel.busy"), [(t("button.carry_on"), Resume())])
        return
    ctx.goto(ASK_FLOW, "question", challenge=clean(pressed.ref).lower()[:64])
    ctx.say(t("case_reply.ask_about"), CANCEL_ROW)


@router.button(SmeReply, action="reply")
async def reply_button(ctx: Ctx, pressed: SmeReply) -> None:
    """Under an officer's answer: the SME's next message goes to the case's thread."""
    case = await store_cases.get_case(ctx.session, pressed.case_id)
    if case is None or case.identity_id != ctx.identity.id:
        ctx.say(t("case_reply.gone"), [(t("button.talk_to_person"), HUMAN)])
        return
    if case.status == "closed":
        ctx.say(t("case_reply.closed"), [(t("button.talk_to_person"), HUMAN)])
        return
    if ctx.flow is not None and ctx.flow != REPLY_FLOW:
        ctx.say(t("kernel.busy"), [(t("button.carry_on"), Resume())])
        return
    ctx.goto(REPLY_FLOW, "text", case=case.id)
    await prompt_reply(ctx)


async def step_reply(ctx: Ctx, text: str) -> None:
    text = clean(text, keep_newlines=True)[:2000]
    if not text:
        ctx.say(t("case_reply.empty"), CANCEL_ROW)
        return
    case = await store_cases.get_case(ctx.session, int(ctx.data.get("case", 0)))
    ctx.finish()
    if case is None or case.identity_id != ctx.identity.id or case.status == "closed":
        ctx.say(t("case_reply.not_passed"), [(t("button.talk_to_person"), HUMAN)])
        return
    await store_cases.add_message(ctx.session, case.id, "sme", ctx.actor, text)
    await store_cases.reopen(ctx.session, case.id)
    await cases.to_thread(ctx.session, case, Reply(t("case.sme_reply", case=case.id, text=text)))
    ctx.say(t("case_reply.passed"))


async def prompt_reply(ctx: Ctx) -> None:
    ctx.say(t("case_reply.prompt"), CANCEL_ROW)


router.flow(Flow(REPLY_FLOW, action="reply", steps=(Step("text", prompt_reply, step_reply),)))
