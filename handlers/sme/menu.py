"""Welcome, help, menu, cancel and flow buttons: the glue every platform shares."""

from __future__ import annotations

from handlers.kernel.core import Core, Ctx
from handlers.sme import eoi_form as eoi

MENU = (
    [("Find challenges for my business", "menu:find"), ("Open challenges", "chl:0")],
    [("My expressions of interest", "my:"), ("Ask a question", "menu:ask")],
    [("New challenge alerts", "menu:subscribe"), ("Talk to a person", "menu:human")],
)
STAFF_MENU = ([("EOIs by challenge", "menu:eois"), ("Waiting questions", "menu:questions")],)

HELP = "\n".join((
    "I'm DIPS Assistant, for Birmingham City Council's Digital Innovation in Public Services "
    "programme. I can:",
    "- find open city challenges that fit your business: tell me what you do, or /match <it>",
    "- list open challenges: /challenges",
    "- register your interest in a challenge: /interest <its reference or title>",
    "- show your expressions of interest and their stages: /my",
    "- tell you about new challenge calls: /subscribe (stop with /unsubscribe)",
    "- answer questions about DIPS and selling to the public sector: just ask",
    "- pass your question to a person: /human",
    "Your data: /privacy, /mydata, /forget. /cancel stops whatever we're doing.",
))

STAFF_HELP = (
    "\n\nOfficers: /dips help lists the officer commands (challenges and EOI counts, EOI "
    "details and stage changes, exports, impact figures, and questions waiting for an officer). "
    "Admins can also /broadcast a challenge call and read the /audit log."
)


async def start(ctx: Ctx, args: str) -> None:
    if args:  # deep link from an announcement: /start <challenge-ref>
        from handlers.sme.challenges import details, visible_challenge

        ref = args.split()[0]
        if await visible_challenge(ctx, ref) is not None:
            await details(ctx, ref)
            return
    ctx.say("Welcome to DIPS Assistant! Birmingham City Council sets city challenges and invites "
            "small and medium-sized businesses to solve them. What would you like to do?",
            *menu_rows(ctx))


def menu_rows(ctx: Ctx) -> tuple:
    return MENU + STAFF_MENU if ctx.role in ("officer", "admin") else MENU


async def help_(ctx: Ctx, args: str) -> None:
    ctx.say(HELP + (STAFF_HELP if ctx.role in ("officer", "admin") else ""), *menu_rows(ctx))


async def menu(ctx: Ctx, args: str) -> None:
    if ctx.flow is not None:
        ctx.say("You're in the middle of something. Carry on, or cancel it?",
                [("Carry on", "resume:"), ("Cancel it", "cancel:")])
        return
    ctx.say("What would you like to do?", *menu_rows(ctx))


async def cancel(ctx: Ctx, args: str) -> None:
    if ctx.flow is None:
        ctx.say("There's nothing to cancel.", *menu_rows(ctx))
        return
    ctx.finish()
    ctx.say("Cancelled. Nothing from that conversation was saved.", *menu_rows(ctx))


async def resume(ctx: Ctx, args: str) -> None:
    if ctx.flow is None:
        await menu(ctx, "")
    else:
        await ctx.core.prompts[ctx.flow](ctx)


async def flow_button(ctx: Ctx, arg: str) -> None:
    """`f:<step>:<value>`: a choice within a flow; stale if the flow has moved on."""
    step, _, value = arg.partition(":")
    if ctx.flow is None or ctx.step != step:
        ctx.say("That button belongs to an earlier message.")
        if ctx.flow is None:
            await menu(ctx, "")
        else:
            await resume(ctx, "")
        return
    ctx.pressed = True
    await ctx.core.flows[ctx.flow][step](ctx, value)


async def menu_button(ctx: Ctx, arg: str) -> None:
    if arg == "find":
        await ctx.core.commands["find"](ctx, "")
    elif arg == "ask":
        ctx.say("Type your question, for example \u201chow do I find council tenders?\u201d or "
                "\u201cwhat happens after I register interest?\u201d")
    elif arg in ("subscribe", "human", "eois", "questions"):
        await ctx.core.commands[{"human": "human"}.get(arg, arg)](ctx, "")
    else:
        await menu(ctx, "")


def register(core: Core) -> None:
    core.prompts.update({eoi.FLOW: eoi.prompt, eoi.EDIT_FLOW: eoi.prompt_edit})
    core.command("start", start)
    core.command("help", help_)
    core.command("menu", menu)
    core.command("cancel", cancel)
    core.button("menu", menu_button)
    core.button("cancel", cancel)
    core.button("resume", resume)
    core.button("f", flow_button)
