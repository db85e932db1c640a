"""Free text outside a flow: greetings, FAQ answers, matching, or a hand-off to an officer."""

from __future__ import annotations

from handlers.cases import open_case
from handlers.catalogue import show_matches
from handlers.core import Core, Ctx
from handlers.menu import menu_rows
from handlers.validation import clean

HANDOFF_ROW = [("Talk to a person", "menu:human")]
OFF_TOPIC = 0.2  # below this, with no related entry, a question is outside what DIPS covers
ASK_FLOW = "ask-officer"
SEND_ROW = [("Yes, ask an officer", "f:send:yes"), ("No, thanks", "f:send:no")]
YES = ("yes", "y", "yes please", "please", "ok", "okay", "sure", "send it", "ask them")
NO = ("no", "n", "no thanks", "no, thanks", "don't", "dont")


async def on_text(ctx: Ctx, text: str) -> None:
    text = clean(text)
    letters = [c for c in text if c.isalpha()]
    if not letters:
        ctx.say("I didn't catch a question there. What would you like to do?", *menu_rows(ctx))
        return
    if sum(c.isascii() for c in letters) < len(letters) / 2:
        ctx.say("Sorry, I can only read English at the moment. Please ask in English, or use the "
                "menu below.", *menu_rows(ctx))
        return
    answerer = ctx.core.answerer
    result = answerer.answer(text) if answerer is not None else None
    kind = result.kind if result is not None else "handoff"
    if kind == "smalltalk":
        ctx.say("Hello! I'm DIPS Assistant. I can find council challenges that fit your business, "
                "register your interest, and answer questions about DIPS and selling to the "
                "council.", *menu_rows(ctx))
    elif kind == "other_service":
        ctx.say("I can only help with the DIPS programme and selling innovation to the council. "
                f"For other council services, please see {ctx.core.config.council_contact_url}")
    elif kind == "answer" and not (_describes(text) and result.score < 0.8):
        await answer(ctx, result.entry)
    elif _describes(text):
        await show_matches(ctx, text)
    elif kind == "suggest":
        hold_question(ctx, text, result.alternatives)
        ctx.say("I'm not sure I understood. Did you mean one of these?",
                *[[(e.title[:60], f"faq:{e.id}")] for e in result.alternatives[:3]],
                [("None of these: ask an officer", "f:send:yes")])
    elif result is not None and not result.alternatives and result.score < OFF_TOPIC:
        # Nothing in the knowledge base is even close: probably not a question for DIPS.
        hold_question(ctx, text, ())
        ctx.say("Sorry, I can only help with the DIPS programme and selling innovation to the "
                "council. If your question is about those, shall I pass it to a DIPS officer?",
                SEND_ROW)
    else:
        related = result.alternatives if result is not None else ()
        hold_question(ctx, text, related)
        ctx.say("I don't have a reliable answer to that. Shall I pass your question to a DIPS "
                "officer? They reply here." + (" Meanwhile, these answers may help:" if related
                                              else ""),
                *[[(e.title[:60], f"faq:{e.id}")] for e in related[:3]], SEND_ROW)


def hold_question(ctx: Ctx, text: str, related: tuple) -> None:
    """Keep the question while the SME decides whether an officer should see it: nothing
    reaches the officers' channel without their yes."""
    ctx.goto(ASK_FLOW, "send", question=text[:2000], related=[e.id for e in related[:3]])


async def step_send(ctx: Ctx, text: str) -> None:
    """The SME's answer to "shall I pass it on?"; anything else typed is a new message."""
    said = text if ctx.pressed else clean(text).lower().strip(" .!")
    question = ctx.data.get("question")
    if not isinstance(question, str) or not question:  # state from an older version: start over
        ctx.finish()
        await on_text(ctx, text)
    elif said in YES:
        held = ctx.data.get("related")
        ids = [i for i in held if isinstance(i, str)] if isinstance(held, list) else []
        answerer = ctx.core.answerer
        related = tuple(e for e in (answerer.get(i) for i in ids) if e is not None) \
            if answerer is not None else ()
        ctx.finish()
        await hand_over(ctx, question, related)  # the case notes what the bot offered
    elif said in NO:
        ctx.finish()
        ctx.say("All right, I haven't passed it on. What else can I help with?", *menu_rows(ctx))
    else:
        ctx.finish()
        await on_text(ctx, text)


def _describes(text: str) -> bool:
    try:
        from handlers.matching import describes_business
    except ImportError:  # the matcher is optional in minimal set-ups
        return False
    return describes_business(text)


async def answer(ctx: Ctx, entry) -> None:  # type: ignore[no-untyped-def]
    from handlers.faq import format_answer

    ctx.say(format_answer(entry), HANDOFF_ROW, title=entry.title)


async def faq_button(ctx: Ctx, faq_id: str) -> None:
    entry = ctx.core.answerer.get(faq_id) if ctx.core.answerer is not None else None
    if entry is None:
        ctx.say("That answer is no longer available. Please ask your question again.")
        return
    await answer(ctx, entry)


async def hand_over(ctx: Ctx, text: str, related: tuple = (), *, asked: bool = False,
                    challenge_ref: str | None = None) -> None:
    """File a case for the officers (see handlers.cases) and tell the SME it was passed on."""
    await open_case(ctx, text, related, challenge_ref, asked_for_person=asked)
    said = ("I've recorded your question and passed it to a DIPS officer, who will reply here. "
            "I'll tell you when they answer.")
    if related:
        ctx.say(f"{said} Meanwhile, these answers may help:",
                *[[(e.title[:60], f"faq:{e.id}")] for e in related[:3]])
    else:
        ctx.say(f"{said} Meanwhile, is there anything else?", *menu_rows(ctx))


async def human(ctx: Ctx, args: str) -> None:
    text = clean(args)
    if text:
        await hand_over(ctx, text, asked=True)
        return
    ctx.goto(ASK_FLOW, "question")
    ctx.say("What would you like to ask a DIPS officer? Type your question and I'll pass it on.",
            [("Cancel", "cancel:")])


async def step_question(ctx: Ctx, text: str) -> None:
    text = clean(text, keep_newlines=True)
    if not text:
        ctx.say("Please type your question, or press Cancel.", [("Cancel", "cancel:")])
        return
    challenge_ref = ctx.data.get("challenge")  # asked from a challenge's details
    ctx.finish()
    await hand_over(ctx, text[:2000], asked=True, challenge_ref=challenge_ref)


async def prompt_question(ctx: Ctx) -> None:
    if ctx.step == "send":
        question = str(ctx.data.get("question", ""))[:300]
        ctx.say(f"Shall I pass your question to a DIPS officer?\n\u201c{question}\u201d", SEND_ROW)
    else:
        ctx.say("Type your question for a DIPS officer.", [("Cancel", "cancel:")])


def register(core: Core) -> None:
    core.text_handler = on_text
    core.command("human", human)
    core.command("ask", lambda ctx, args: on_text(ctx, args) if args else human(ctx, ""))
    core.button("faq", faq_button)
    core.flow(ASK_FLOW, {"question": step_question, "send": step_send})
    core.offers[(ASK_FLOW, "send")] = ("f", "faq")  # reading a suggested answer keeps it
    core.prompts[ASK_FLOW] = prompt_question
