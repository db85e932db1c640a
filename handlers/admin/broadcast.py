"""Admin announcements of challenge calls in chat: preview, audience, confirm, progress.

The commands and buttons; what they plan, write and report is in handlers/domain/broadcasts.py
(shared with the `dips broadcast` command line and the delivery workers).
"""

from __future__ import annotations

from handlers.domain.broadcasts import ALL, MATCHING, confirm, plan, status_text
from handlers.kernel.callbacks import CallbackData, Dismiss
from handlers.kernel.context import Ctx
from handlers.kernel.router import Router
from handlers.kernel.validation import clean, parse_id
from storage.models import Challenge

AUDIENCES = {"m": MATCHING, "a": ALL}

router = Router("admin.broadcast")


class ChooseAudience(CallbackData, prefix="bca"):
    """m(atching), a(ll) or n(one: publish only), for a challenge id; asks to confirm."""

    code: str
    challenge_id: int


class ConfirmAudience(CallbackData, prefix="bcy"):
    code: str
    challenge_id: int


# ---- the chat commands and buttons ----

@router.command("publish", dips=True)
async def publish(ctx: Ctx, args: str) -> None:
    """`/publish REF`: open a draft challenge, with an optional announcement."""
    await _preview(ctx, args, publishing=True)


@router.command("broadcast", dips=True)
async def broadcast(ctx: Ctx, args: str) -> None:
    """`/broadcast REF` previews an announcement; `/broadcast status ID` (or `ID`) shows progress."""
    words = clean(args).split()
    if words and words[0].lower() == "status":
        words = words[1:]
        if not (words and parse_id(words[0])):
            ctx.say("Usage: /dips broadcast status ID")
            return
    if words and (broadcast_id := parse_id(words[0])):
        text = await status_text(ctx.session, broadcast_id)
        ctx.say(text or f"There is no broadcast {words[0]}.")
        return
    await _preview(ctx, args, publishing=False)


async def _preview(ctx: Ctx, args: str, publishing: bool) -> None:
    verb = "publish" if publishing else "broadcast"
    ref = clean(args).lower()[:64]
    if not ref:
        ctx.say(f"Usage: /dips {verb} REF (the challenge's reference, as in /dips challenges).")
        return
    found = await plan(ctx.session, ref)
    if found is None:
        ctx.say(f"I can't find a challenge called \u201c{ref}\u201d.")
        return
    challenge = found.challenge
    if challenge.status == "closed":
        ctx.say(f"{challenge.ref} is closed; reopen it before announcing it.")
        return
    if publishing and challenge.status == "open":
        ctx.say(f"{challenge.ref} is already open. /broadcast {challenge.ref} announces it.")
        return
    cid = challenge.id
    ctx.say("This is the announcement exactly as a recipient will see it "
            "(with their own matching interests):")
    ctx.out.replies.append(found.sample())
    n_match, n_all = len(found.matching), len(found.everyone)
    opening = " and open the challenge" if challenge.status == "draft" else ""
    rows: list[list[tuple[str, CallbackData]]] = []
    if n_match:
        rows.append([(f"Matching subscribers ({n_match})", ChooseAudience("m", cid))])
    if n_all:
        rows.append([(f"All subscribers ({n_all})", ChooseAudience("a", cid))])
    if challenge.status == "draft":
        rows.append([("Publish without announcing", ChooseAudience("n", cid))])
    rows.append([("Cancel", Dismiss())])
    ctx.say(f"{challenge.title} [{challenge.ref}], {challenge.status}.\n"
            f"Audience: {n_match} subscribers whose interests match its tags, {n_all} subscribers "
            f"in all (anyone already sent this announcement is left out).\n\n"
            f"Choose who to send it to{opening}. Nothing is sent until you confirm.", *rows)


async def _challenge_for(ctx: Ctx, pressed: ChooseAudience | ConfirmAudience
                         ) -> tuple[str, Challenge] | None:
    code = pressed.code
    challenge = await ctx.session.get(Challenge, pressed.challenge_id)
    if challenge is None or code not in ("m", "a", "n"):
        ctx.say("That button has expired. Start again with /broadcast REF.")
        return None
    return code, challenge


@router.button(ChooseAudience, action="broadcast")
async def choose_audience(ctx: Ctx, arg: ChooseAudience) -> None:
    """`bca:<m|a|n>:<challenge id>`: the last question before anything is written."""
    picked = await _challenge_for(ctx, arg)
    if picked is None:
        return
    code, challenge = picked
    if code == "n":
        ctx.say(f"Open {challenge.ref} without announcing it?",
                [("Confirm: open it", ConfirmAudience("n", challenge.id))], [("Cancel", Dismiss())])
        return
    found = await plan(ctx.session, challenge.ref)
    assert found is not None
    n = len(found.recipients(AUDIENCES[code]))
    opening = f"open {challenge.ref} and " if challenge.status == "draft" else ""
    ctx.say(f"Confirm: {opening}send the announcement to {n} "
            f"{'matching ' if code == 'm' else ''}subscribers?",
            [(f"Confirm: send to {n}", ConfirmAudience(code, challenge.id))], [("Cancel", Dismiss())])


@router.button(ConfirmAudience, action="broadcast")
async def confirm_button(ctx: Ctx, arg: ConfirmAudience) -> None:
    """`bcy:<m|a|n>:<challenge id>`: open and queue, in this message's transaction."""
    picked = await _challenge_for(ctx, arg)
    if picked is None:
        return
    code, challenge = picked
    was = challenge.status
    notify = {"platform": ctx.identity.platform, "chat_id": ctx.identity.chat_id,
              "identity_id": ctx.identity.id} if ctx.identity.chat_id else None
    sent, _ = await confirm(ctx.session, challenge.ref, AUDIENCES.get(code, "none"),
                            ctx.actor, notify)
    opened = "is now open" if was == "draft" else "was already open"
    if sent is not None:
        ctx.say(f"{challenge.ref} {opened}. Broadcast {sent.id} is queued for {sent.total} "
                f"recipients; I'll report here when it has finished. Progress: "
                f"/dips broadcast status {sent.id}")
    elif code == "n":
        ctx.say(f"{challenge.ref} {opened}; no announcement was sent.")
    else:
        ctx.say(f"{challenge.ref} {opened}. Nobody in that audience is left to announce it to.")

