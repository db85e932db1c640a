"""Alerts about new challenge calls: an SME's interests, normalised into tags."""

from __future__ import annotations

import re

from handlers.engines.matching.free_text import interests_to_tags
from handlers.kernel.callbacks import CANCEL_ROW, Resume
from handlers.kernel.context import Ctx
from handlers.kernel.flows import Flow, Step
from handlers.kernel.router import Router
from handlers.kernel.validation import clean
from handlers.sme.buttons import StopAlerts
from storage import subscriptions

router = Router("sme.alerts")


@router.command("subscribe")
async def subscribe(ctx: Ctx, args: str) -> None:
    """`/subscribe [interests]`: show, set or change the interests alerts are matched on."""
    if args.strip():
        await save(ctx, args)
        return
    if ctx.flow is not None:
        ctx.say("Please finish or /cancel what you're doing first.", [("Carry on", Resume())])
        return
    current = await subscriptions.get_subscription(ctx.session, ctx.identity.id)
    intro = (f"You get alerts about: {', '.join(current.tags)}.\n\nType new interests to change "
             "them, or press Stop alerts." if current else
             "Tell me what your business is interested in, separated by commas, for example "
             "\u201cair quality, sensors, transport\u201d, and I'll tell you when a matching "
             "challenge opens.")
    ctx.goto(FLOW.name, "interests")
    rows = [[("Stop alerts", StopAlerts())]] if current else []
    ctx.say(intro, *rows, CANCEL_ROW)


async def prompt(ctx: Ctx) -> None:
    ctx.say("Type your interests, separated by commas.", CANCEL_ROW)


async def step_interests(ctx: Ctx, text: str) -> None:
    if clean(text).lower().strip(" .!") in ("cancel", "quit", "exit"):
        ctx.finish()
        ctx.say("Cancelled: your alerts are as they were.")
    else:
        await save(ctx, text)


STOP = re.compile(r"^(stop( (it|alerts?|messages?|sending( me)?( alerts?| messages?)?|"
                  r"notifications?|them|please))*|unsubscribe|no more alerts?)$")


async def save(ctx: Ctx, text: str) -> None:
    if STOP.match(clean(text).lower().strip(" .!")):  # "stop sending me alerts", /subscribe stop
        await unsubscribe(ctx, "")
        return
    tags = interests_to_tags(clean(text)[:1000])
    if not tags:
        ctx.say("I couldn't pick out any interests there. Try a few words separated by commas, "
                "like \u201cfood, urban farming, logistics\u201d.", CANCEL_ROW)
        return
    await subscriptions.set_subscription(ctx.session, ctx.identity.id, tags)
    if ctx.flow == FLOW.name:
        ctx.finish()
    ctx.say(f"Done. I'll tell you when a new challenge about {', '.join(tags)} opens. "
            "Change them with /subscribe; stop with /unsubscribe.")


@router.command("unsubscribe")
async def unsubscribe(ctx: Ctx, args: str) -> None:
    removed = await subscriptions.delete_subscription(ctx.session, ctx.identity.id)
    if ctx.flow == FLOW.name:
        ctx.finish()
    ctx.say("Alerts stopped: you won't get messages about new challenges. /subscribe starts them "
            "again." if removed else "You weren't subscribed to alerts. /subscribe to start.")


@router.button(StopAlerts, action="unsubscribe")
async def unsubscribe_button(ctx: Ctx, _: StopAlerts) -> None:
    await unsubscribe(ctx, "")



FLOW = router.flow(Flow("subscribe", action="subscribe", reads_stop_words=True,
                        steps=(Step("interests", prompt, step_interests),)))
