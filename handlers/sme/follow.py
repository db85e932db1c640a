"""Following a challenge: its deadline reminders (with a calendar file) and date changes."""

from __future__ import annotations

from handlers.domain.buttons import (
    FollowChallenge,
    Interest,
    ShowChallenge,
    UnfollowChallenge,
)
from handlers.domain.calendar import REMINDERS
from handlers.domain.challenge_text import localised
from handlers.kernel.context import Ctx
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.kernel.validation import clean
from handlers.sme.buttons import OPEN_LIST
from handlers.sme.challenges import coming, visible_challenge
from storage import eois, follows

router = Router("sme.follow")


@router.command("follow", aside=True)
async def follow(ctx: Ctx, args: str) -> None:
    """`/follow REF`: reminders 7 days and 48 hours before the challenge closes."""
    ref = clean(args).strip()[:64]
    if not ref:
        ctx.say(t("calendar.follow_which"), [(t("button.open_challenges"), OPEN_LIST)])
        return
    challenge = await visible_challenge(ctx, ref)
    if challenge is None or not challenge.is_open(ctx.today):
        ctx.say(t("challenges.not_found", ref=ref), [(t("button.open_challenges"), OPEN_LIST)])
        return
    values = {"title": localised(challenge)[0], "ref": challenge.ref, "date": challenge.closes}
    org = ctx.identity.organisation_id
    if org is not None and await eois.find_eoi(ctx.session, org, challenge.id) is not None:
        ctx.say(t("calendar.has_eoi", **values))  # reminders are for those who haven't yet
        return
    to_come = coming(ctx, challenge.closes)
    if not to_come:  # the 48-hour reminder's moment has come or gone
        ctx.say(t("calendar.too_late", **values),
                [(t("button.register_interest"), Interest(challenge.ref))])
        return
    await follows.follow(ctx.session, ctx.identity.id, challenge.id)
    said = t("calendar.following" if len(to_come) == len(REMINDERS) else "calendar.following_48h",
             **values)
    ctx.say(said, [(t("button.details"), ShowChallenge(challenge.ref)),
                   (t("calendar.unfollow"), UnfollowChallenge(challenge.ref))])


@router.button(FollowChallenge, action="follow")
async def follow_button(ctx: Ctx, pressed: FollowChallenge) -> None:
    await follow(ctx, pressed.ref)


@router.command("unfollow", aside=True)
async def unfollow(ctx: Ctx, args: str) -> None:
    ref = clean(args).strip()[:64]
    challenge = await visible_challenge(ctx, ref) if ref else None
    if challenge is None:
        ctx.say(t("calendar.unfollow_which"))
        return
    removed = await follows.unfollow(ctx.session, ctx.identity.id, challenge.id)
    ctx.say(t("calendar.unfollowed", title=challenge.title) if removed
            else t("calendar.not_following", title=challenge.title))


@router.button(UnfollowChallenge, action="unfollow")
async def unfollow_button(ctx: Ctx, pressed: UnfollowChallenge) -> None:
    await unfollow(ctx, pressed.ref)
