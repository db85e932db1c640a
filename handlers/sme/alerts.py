"""Alerts about new challenge calls: an SME's interests, normalised into tags."""

from __future__ import annotations

import re

from handlers.engines.matching.free_text import interests_to_tags
from handlers.kernel.callbacks import CANCEL_ROW, Resume
from handlers.kernel.context import Ctx
from handlers.kernel.flows import Flow, Step
from handlers.kernel.router import Router
from handlers.kernel.text import t
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
        ctx.say(t("kernel.busy"), [(t("button.carry_on"), Resume())])
        return
    current = await subscriptions.get_subscription(ctx.session, ctx.identity.id)
    intro = t("alerts.current", tags=", ".join(current.tags)) if current else t("alerts.ask")
    ctx.goto(FLOW.name, "interests")
    rows = [[(t("alerts.stop"), StopAlerts())]] if current else []
    ctx.say(intro, *rows, CANCEL_ROW)


async def prompt(ctx: Ctx) -> None:
    ctx.say(t("alerts.prompt"), CANCEL_ROW)


async def step_interests(ctx: Ctx, text: str) -> None:
    if clean(text).lower().strip(" .!") in ("cancel", "quit", "exit"):
        ctx.finish()
        ctx.say(t("alerts.cancelled"))
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
        ctx.say(t("alerts.no_interests"), CANCEL_ROW)
        return
    await subscriptions.set_subscription(ctx.session, ctx.identity.id, tags)
    if ctx.flow == FLOW.name:
        ctx.finish()
    ctx.say(t("alerts.done", tags=", ".join(tags)))


@router.command("unsubscribe")
async def unsubscribe(ctx: Ctx, args: str) -> None:
    removed = await subscriptions.delete_subscription(ctx.session, ctx.identity.id)
    if ctx.flow == FLOW.name:
        ctx.finish()
    ctx.say(t("alerts.stopped") if removed else t("alerts.not_subscribed"))


@router.button(StopAlerts, action="unsubscribe")
async def unsubscribe_button(ctx: Ctx, _: StopAlerts) -> None:
    await unsubscribe(ctx, "")



FLOW = router.flow(Flow("subscribe", action="subscribe", reads_stop_words=True,
                        steps=(Step("interests", prompt, step_interests),)))
