"""Admin announcements of challenge calls in chat: preview, audience, confirm, progress.

The commands and buttons; what they plan, write and report is in handlers/domain/broadcasts.py
(shared with the `dips broadcast` command line and the delivery workers).
"""

from __future__ import annotations

from handlers.domain.broadcasts import ALL, MATCHING, confirm, plan, status_text
from handlers.domain.officer_buttons import BroadcastPreview
from handlers.kernel.callbacks import CallbackData, Dismiss
from handlers.kernel.context import Ctx
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.kernel.validation import clean, parse_id
from storage import reviews
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

async def _awaits_approval(ctx: Ctx, challenge: Challenge) -> bool:
    """A challenge drafted in chat opens only through a second person's approval
    (handlers/officer/drafting.py): never by publishing or announcing the draft directly."""
    if challenge.status != "draft":
        return False
    review = await reviews.review_of(ctx.session, challenge.id)
    if review is None or review.state == "published":
        return False
    ctx.say(t("broadcast.needs_approval", ref=challenge.ref))
    return True


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
            ctx.say(t("broadcast.status_usage"))
            return
    if words and (broadcast_id := parse_id(words[0])):
        text = await status_text(ctx.session, broadcast_id)
        ctx.say(text or t("broadcast.no_such", id=words[0]))
        return
    await _preview(ctx, args, publishing=False)


@router.button(BroadcastPreview, action="broadcast")
async def preview_button(ctx: Ctx, pressed: BroadcastPreview) -> None:
    await _preview(ctx, pressed.ref, publishing=False)


async def _preview(ctx: Ctx, args: str, publishing: bool) -> None:
    verb = "publish" if publishing else "broadcast"
    ref = clean(args).lower()[:64]
    if not ref:
        ctx.say(t("broadcast.usage", command=verb))
        return
    found = await plan(ctx.session, ref)
    if found is None:
        ctx.say(t("challenges.not_found", ref=ref))
        return
    challenge = found.challenge
    if challenge.status == "closed":
        ctx.say(t("broadcast.closed", ref=challenge.ref))
        return
    if publishing and challenge.status == "open":
        ctx.say(t("broadcast.already_open", ref=challenge.ref))
        return
    if await _awaits_approval(ctx, challenge):
        return
    cid = challenge.id
    ctx.say(t("broadcast.sample"))
    ctx.out.replies.append(found.sample())
    n_match, n_all = len(found.matching), len(found.everyone)
    rows: list[list[tuple[str, CallbackData]]] = []
    if n_match:
        rows.append([(t("broadcast.matching", n=n_match), ChooseAudience("m", cid))])
    if n_all:
        rows.append([(t("broadcast.all", n=n_all), ChooseAudience("a", cid))])
    if challenge.status == "draft":
        rows.append([(t("broadcast.publish_only"), ChooseAudience("n", cid))])
    rows.append([(t("button.cancel"), Dismiss())])
    if challenge.status == "draft":
        text = t("broadcast.choose_and_open", title=challenge.title, ref=challenge.ref,
                 status=challenge.status, matching=n_match, all=n_all)
    else:
        text = t("broadcast.choose", title=challenge.title, ref=challenge.ref,
                 status=challenge.status, matching=n_match, all=n_all)
    if found.digest_readers:
        text += "\n" + t("broadcast.digest_readers", n=found.digest_readers)
    ctx.say(text, *rows)


async def _challenge_for(ctx: Ctx, pressed: ChooseAudience | ConfirmAudience
                         ) -> tuple[str, Challenge] | None:
    code = pressed.code
    challenge = await ctx.session.get(Challenge, pressed.challenge_id)
    if challenge is None or code not in ("m", "a", "n"):
        ctx.say(t("broadcast.expired"))
        return None
    if await _awaits_approval(ctx, challenge):
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
        ctx.say(t("broadcast.open_only", ref=challenge.ref),
                [(t("broadcast.confirm_open"), ConfirmAudience("n", challenge.id))],
                [(t("button.cancel"), Dismiss())])
        return
    found = await plan(ctx.session, challenge.ref)
    assert found is not None
    n = len(found.recipients(AUDIENCES[code]))
    ref, matching = challenge.ref, code == "m"
    if challenge.status == "draft":
        question = (t("broadcast.confirm_open_matching", ref=ref, n=n) if matching
                    else t("broadcast.confirm_open_all", ref=ref, n=n))
    else:
        question = (t("broadcast.confirm_matching", n=n) if matching
                    else t("broadcast.confirm_all", n=n))
    ctx.say(question, [(t("broadcast.confirm_send", n=n), ConfirmAudience(code, challenge.id))],
            [(t("button.cancel"), Dismiss())])


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
    opened = t("broadcast.now_open") if was == "draft" else t("broadcast.was_open")
    if sent is not None:
        ctx.say(t("broadcast.queued", ref=challenge.ref, opened=opened, id=sent.id,
                  total=sent.total))
    elif code == "n":
        ctx.say(t("broadcast.not_announced", ref=challenge.ref, opened=opened))
    else:
        ctx.say(t("broadcast.nobody_left", ref=challenge.ref, opened=opened))

