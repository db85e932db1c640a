"""Free text outside a flow: greetings, FAQ answers, matching, or a hand-off to an officer."""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from handlers.engines.faq.languages import ENGLISH
from handlers.kernel.callbacks import CANCEL_ROW, FlowChoice, Resume
from handlers.kernel.context import Ctx
from handlers.kernel.flows import Flow, Step
from handlers.kernel.router import Router
from handlers.kernel.text import LazyText, t
from handlers.kernel.validation import clean
from handlers.sme.alerts import stop_with_undo
from handlers.sme.buttons import HUMAN, FaqAnswer
from handlers.sme.case_reply import ASK_FLOW, open_case
from handlers.sme.challenges import show_matches
from handlers.sme.menu import menu_rows

if TYPE_CHECKING:
    from content.faq import FaqEntry

HANDOFF_ROW = [(LazyText("button.talk_to_person"), HUMAN)]

router = Router("sme.assist")
# Typed answers to "shall I pass it on?": a whole phrase, or its first word.
YES_WORDS = {"yes", "yeah", "yep", "yup", "y", "sure", "please"}
YES_PHRASES = {"go ahead", "send it", "ask them", "ask an officer", "yes, ask an officer"}
NO_WORDS = {"no", "nope", "nah", "n"}
NO_PHRASES = {"no thanks", "no, thanks", "no thank you", "don't", "do not"}


@router.on_text
async def on_text(ctx: Ctx, text: str) -> None:
    """A top-level message: one decision (handlers.engines.routing), acted on here."""
    from handlers.engines.routing import decide

    text = clean(text)
    match = None
    if ctx.core.index is not None:
        matcher = await ctx.core.index.matcher(ctx.session)

        def match(said: str) -> list:
            return matcher.match(said, limit=5)

    decision = decide(text, ctx.core.answerer, match)
    action, reason = decision.action, decision.reason
    if reason == "empty":
        ctx.say(t("assist.no_question"), *menu_rows(ctx))
    elif reason == "english_only":
        ctx.say(t("assist.english_only"), *menu_rows(ctx))
    elif action == "unsubscribe":
        await stop_with_undo(ctx)
    elif action == "officer":
        offer(ctx, text, (), "send", t("assist.officer"))
    elif reason == "smalltalk":
        ctx.say(t("assist.hello"), *menu_rows(ctx))
    elif action == "other_service":
        ctx.say(t("assist.other_service", url=ctx.core.config.council_contact_url))
    elif action == "match":
        await show_matches(ctx, text)
    elif action == "answer":
        if len(decision.answers) > 1:
            ctx.say(t("assist.several", count=len(decision.answers)))
        language = stored_language(ctx) or decision.language
        for n, entry in enumerate(decision.answers, 1):
            await answer(ctx, entry, handoff=n == len(decision.answers), language=language)
    elif action == "suggest":
        offer(ctx, text, decision.alternatives, "suggest", t("assist.did_you_mean"))
    elif reason == "off_topic":
        # Nothing in the knowledge base is even close: probably not a question for DIPS.
        offer(ctx, text, (), "send", t("assist.off_topic"))
    else:
        related = decision.alternatives
        offer(ctx, text, related, "send", t("assist.no_answer")
              + (" " + t("assist.meanwhile") if related else ""))


def offer(ctx: Ctx, text: str, related: tuple, asked: str, intro: str) -> None:
    """Say `intro` with the related answers, and hold the question while the SME decides
    whether an officer should see it: nothing reaches the officers' channel without a yes.

    `asked` is what the message asked: "send" (shall I pass it on?) takes a typed yes or no;
    "suggest" (did you mean one of these?) only its buttons. Mid-form (an /ask), nothing is
    held: the form is kept and the SME is told how to ask later.
    """
    suggestions = [[(e.title[:60], FaqAnswer(e.id))] for e in related[:3]]
    if ctx.flow is not None and ctx.flow != ASK_FLOW:
        ctx.say(t("assist.ask_later", said=intro.split("?")[0].split(". ")[0]), *suggestions,
                [(t("button.carry_on"), Resume())])
        return
    token = f"{zlib.crc32(text.encode()) % 10_000:04d}"  # ties the buttons to this question
    ctx.finish()
    ctx.goto(ASK_FLOW, "send", question=text[:2000], related=[e.id for e in related[:3]],
             asked=asked, token=token)
    if asked == "suggest":
        ctx.say(intro, *suggestions, [(t("assist.none_of_these"), FlowChoice("send", f"yes.{token}"))])
    else:
        ctx.say(intro, *suggestions, send_row(token))


def send_row(token: str) -> list[tuple[str, FlowChoice]]:
    return [(t("assist.yes_ask"), FlowChoice("send", f"yes.{token}")),
            (t("button.no_thanks"), FlowChoice("send", f"no.{token}"))]


def typed_choice(text: str) -> str:
    """"yes", "no" or "" for what the SME typed in answer to "shall I pass it on?"."""
    said = clean(text).lower().replace("\u2019", "'").strip(" .!")
    first = said.replace(",", " ").split()[0] if said.split() else ""
    if said in YES_PHRASES or first in YES_WORDS:
        return "yes"
    if said in NO_PHRASES or first in NO_WORDS:
        return "no"
    return ""


async def step_send(ctx: Ctx, text: str) -> None:
    """The SME's answer to the offer; anything else typed is a new message."""
    question, token = ctx.data.get("question"), ctx.data.get("token")
    if not isinstance(question, str) or not question:  # state from an older version: start over
        ctx.finish()
        await on_text(ctx, text)
        return
    if ctx.pressed:
        choice, _, pressed_token = text.partition(".")
        if pressed_token != token:  # a Yes or No under an earlier question
            ctx.say(t("kernel.button_stale"))
            await prompt_question(ctx)
            return
    else:
        choice = typed_choice(text) if ctx.data.get("asked") == "send" else ""
    if choice == "yes":
        held = ctx.data.get("related")
        ids = [i for i in held if isinstance(i, str)] if isinstance(held, list) else []
        answerer = ctx.core.answerer
        related = tuple(e for e in (answerer.get(i) for i in ids) if e is not None) \
            if answerer is not None else ()
        shown = ctx.data.get("asked") == "suggest"  # the SME has seen and passed over these
        ctx.finish()
        await hand_over(ctx, question, related, offer_related=not shown)
    elif choice == "no":
        ctx.finish()
        ctx.say(t("assist.not_passed"), *menu_rows(ctx))
    else:
        ctx.finish()
        await on_text(ctx, text)


def stored_language(ctx: Ctx) -> str | None:
    """The language the SME chose, once identities carry one (issue 18, /language)."""
    value = getattr(ctx.identity, "language", None)
    return value if isinstance(value, str) else None


async def answer(ctx: Ctx, entry: FaqEntry, handoff: bool = True,
                 language: str = ENGLISH) -> None:
    """An FAQ entry with its source and review date; `handoff` adds "Talk to a person" (not
    mid-conversation). In another language: the translation, marked reviewed or not, with a
    button for the authoritative English text; the English text where there is no translation."""
    import dataclasses

    from handlers.engines.faq.formatting import format_answer
    from storage import faq_translations

    rows = [HANDOFF_ROW] if handoff else []
    packs = getattr(ctx.core.answerer, "packs", {})
    pack = packs.get(language) if language != ENGLISH else None
    if pack is None:
        ctx.say(format_answer(entry), *rows, title=entry.title)
        return
    translation = pack.answers.get(entry.id)
    if translation is None:
        ctx.say(f"{t('assist.no_translation')}\n\n{format_answer(entry)}", *rows,
                title=entry.title)
        return
    reviewed = await faq_translations.is_reviewed(ctx.session, entry.id, language,
                                                  translation.digest)
    text = format_answer(dataclasses.replace(entry, answer=translation.answer))
    note = t("assist.translation_reviewed" if reviewed else "assist.translation_unreviewed")
    ctx.say(f"{text}\n{note}", [(t("button.show_english"), FaqAnswer(entry.id, ENGLISH))],
            *rows, title=translation.title)


@router.button(FaqAnswer, action="ask")
async def faq_button(ctx: Ctx, pressed: FaqAnswer) -> None:
    faq_id = pressed.faq_id
    entry = ctx.core.answerer.get(faq_id) if ctx.core.answerer is not None else None
    if entry is None:
        ctx.say(t("assist.answer_gone"))
        return
    language = pressed.lang or stored_language(ctx) or ENGLISH
    if (ctx.flow, ctx.step) == (ASK_FLOW, "send"):  # an offer is open: keep it in sight
        await answer(ctx, entry, handoff=False, language=language)
        ctx.say(t("assist.still_pass"),
                send_row(str(ctx.data.get("token", ""))))
        return
    await answer(ctx, entry, handoff=pressed.lang != ENGLISH, language=language)


async def hand_over(ctx: Ctx, text: str, related: tuple = (), *, asked: bool = False,
                    challenge_ref: str | None = None, offer_related: bool = True) -> None:
    """File a case for the officers (see handlers.domain.cases) and tell the SME it was passed on."""
    await open_case(ctx, text, related, challenge_ref, asked_for_person=asked)
    said = t("assist.passed_on")
    if related and offer_related:
        ctx.say(f"{said} {t('assist.meanwhile')}",
                *[[(e.title[:60], FaqAnswer(e.id))] for e in related[:3]])
    else:
        ctx.say(f"{said} {t('assist.anything_else')}", *menu_rows(ctx))


@router.command("human")
async def human(ctx: Ctx, args: str) -> None:
    if ctx.flow is not None and ctx.flow != ASK_FLOW:
        ctx.say(t("assist.busy"), [(t("button.carry_on"), Resume())])
        return
    text = clean(args)
    if text:
        ctx.finish()
        await hand_over(ctx, text, asked=True)
        return
    ctx.goto(ASK_FLOW, "question")
    ctx.say(t("assist.ask_person"), CANCEL_ROW)


async def step_question(ctx: Ctx, text: str) -> None:
    text = clean(text, keep_newlines=True)
    if not text:
        ctx.say(t("assist.empty_question"), CANCEL_ROW)
        return
    challenge_ref = ctx.data.get("challenge")  # asked from a challenge's details
    ctx.finish()
    await hand_over(ctx, text[:2000], asked=True, challenge_ref=challenge_ref)


async def prompt_question(ctx: Ctx) -> None:
    if ctx.step == "send":
        question = str(ctx.data.get("question", ""))[:300]
        ctx.say(t("assist.shall_pass", question=question),
                send_row(str(ctx.data.get("token", ""))))
    else:
        ctx.say(t("assist.type_question"), CANCEL_ROW)



@router.command("ask")
async def ask(ctx: Ctx, args: str) -> None:
    await (on_text(ctx, args) if args else human(ctx, ""))


@router.on_aside
async def aside(ctx: Ctx, question: str) -> None:
    """A short question typed into a form field: answered from the FAQ where it can be."""
    result = ctx.core.answerer.answer(question) if ctx.core.answerer is not None else None
    if result is not None and result.kind == "answer":
        await answer(ctx, result.entry, handoff=False,
                     language=stored_language(ctx) or result.language)
    else:
        ctx.say(t("assist.aside"))


# An open offer survives its own buttons, a suggested answer, and /cancel (which ends it).
ASK = router.flow(Flow(ASK_FLOW, action="ask", steps=(
    Step("question", prompt_question, step_question),
    Step("send", prompt_question, step_send, offer=True, keeps=("f", "faq", "cancel")),
)))
