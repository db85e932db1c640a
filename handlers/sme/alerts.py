"""Alerts about new challenge calls: an SME's interests, normalised into tags."""

from __future__ import annotations

import re

from handlers.domain.buttons import AlertMode
from handlers.engines.matching.free_text import interests_to_tags
from handlers.kernel.callbacks import CANCEL_ROW, FlowChoice, Resume
from handlers.kernel.context import Ctx
from handlers.kernel.flows import Flow, Step
from handlers.kernel.messages import Row
from handlers.kernel.router import Router
from handlers.kernel.text import day_name, t
from handlers.kernel.validation import clean
from handlers.sme.buttons import StopAlerts
from storage import subscriptions

router = Router("sme.alerts")

# A new subscriber gets one message a week, not one per call: what a busy SME would want (the
# issue's complaint was "every new call is one more message"). One tap from the confirmation
# and from any alert or digest switches (handlers/sme/follow.py).
DEFAULT_MODE = "weekly"


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
    rows: list[Row] = [[(t("alerts.stop"), StopAlerts())]] if current else []
    if current:  # the other way of hearing, one tap away (its label says which this is not)
        rows.append([(t("digest.to_immediate"), AlertMode("immediate"))
                     if current.alert_mode == "weekly"
                     else (t("digest.to_weekly"), AlertMode("weekly"))])
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
    row = await subscriptions.set_subscription(ctx.session, ctx.identity.id, tags,
                                               mode=DEFAULT_MODE)
    if ctx.flow == FLOW.name:
        ctx.finish()
    confirm(ctx, row.alert_mode, tags)


def confirm(ctx: Ctx, mode: str | None, tags: list[str], restored: bool = False) -> None:
    """What the SME will get, and one tap to the other way of getting it."""
    listed = ", ".join(tags)
    if mode == "weekly":
        key = "alerts.restored_weekly" if restored else "alerts.done_weekly"
        ctx.say(t(key, tags=listed, day=day_name(ctx.core.config.digest_day)),
                [(t("digest.to_immediate"), AlertMode("immediate"))])
    else:
        key = "alerts.restored" if restored else "alerts.done"
        ctx.say(t(key, tags=listed), [(t("digest.to_weekly"), AlertMode("weekly"))])


@router.button(AlertMode, action="subscribe")
async def alert_mode(ctx: Ctx, pressed: AlertMode) -> None:
    """One tap from any alert or digest: alerts as calls open, or one digest a week."""
    mode = "weekly" if pressed.mode == "weekly" else "immediate"
    if ctx.flow == FLOW.name:  # pressed under /subscribe's question: that is answered too
        ctx.finish()
    if not await subscriptions.set_alert_mode(ctx.session, ctx.identity.id, mode):
        ctx.say(t("alerts.not_subscribed"))
        return
    other = "immediate" if mode == "weekly" else "weekly"
    chosen = (t("digest.now_weekly", day=day_name(ctx.core.config.digest_day)) if mode == "weekly"
              else t("digest.now_immediate"))
    ctx.say(chosen,
            [(t("digest.to_weekly" if other == "weekly" else "digest.to_immediate"),
              AlertMode(other))])


@router.command("unsubscribe", aside=True)
async def unsubscribe(ctx: Ctx, args: str) -> None:
    if ctx.flow == FLOW.name:  # typed instead of new interests: that question is answered
        ctx.finish()
    removed = await subscriptions.delete_subscription(ctx.session, ctx.identity.id)
    if ctx.flow == FLOW.name:
        ctx.finish()
    ctx.say(t("alerts.stopped") if removed else t("alerts.not_subscribed"))


@router.button(StopAlerts, action="unsubscribe")
async def unsubscribe_button(ctx: Ctx, _: StopAlerts) -> None:
    await unsubscribe(ctx, "")


async def stop_with_undo(ctx: Ctx) -> None:
    """A stop request typed in plain words ("STOP", "opt me out"): alerts stop at once, with a
    one-tap undo that puts the same interests back while the offer stands."""
    current = await subscriptions.get_subscription(ctx.session, ctx.identity.id)
    if current is None:
        ctx.say(t("alerts.not_subscribed"))
        return
    tags, mode = list(current.tags), current.alert_mode  # read before the row goes
    await subscriptions.delete_subscription(ctx.session, ctx.identity.id)
    ctx.finish()
    ctx.goto(UNDO.name, "stopped", tags=tags, mode=mode)
    ctx.say(t("alerts.stopped_undo", tags=", ".join(tags)),
            [(t("alerts.undo"), FlowChoice("stopped", "undo"))])


async def prompt_undo(ctx: Ctx) -> None:
    ctx.say(t("alerts.undo_prompt"), [(t("alerts.undo"), FlowChoice("stopped", "undo"))])


async def step_undo(ctx: Ctx, text: str) -> None:
    """Undo pressed (or typed): the interests come back; anything else is a new message."""
    tags, mode = ctx.data.get("tags"), ctx.data.get("mode")
    if (ctx.pressed and text == "undo") or clean(text).lower().strip(" .!") == "undo":
        ctx.finish()
        if isinstance(tags, list) and tags:
            kept = [str(tag) for tag in tags]
            row = await subscriptions.set_subscription(
                ctx.session, ctx.identity.id, kept,
                mode=mode if mode in ("immediate", "weekly") else None)
            confirm(ctx, row.alert_mode, kept, restored=True)
        else:
            ctx.say(t("alerts.not_subscribed"))
        return
    ctx.finish()
    if ctx.core.registry.text is not None:
        await ctx.core.registry.text(ctx, text)


FLOW = router.flow(Flow("subscribe", action="subscribe", reads_stop_words=True,
                        steps=(Step("interests", prompt, step_interests),)))
# After a typed stop request: the undo button stays usable until the SME does something else.
UNDO = router.flow(Flow("alerts_undo", action="subscribe", steps=(
    Step("stopped", prompt_undo, step_undo, offer=True, keeps=("f",)),)))
