"""Admin announcements of challenge calls: preview, audience, confirm, progress, final report.

Nothing is written or sent before the admin confirms. On confirmation the challenge is opened,
and the broadcast with one delivery row per recipient is written in the same transaction as
the audit entry; the platform workers (bot/worker.py) then send the rows at the rate limits.
Platform-neutral: the same functions serve Telegram, Slack and the `dips broadcast` command.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.outbound import to_payload
from handlers.engines.matching.subscribers import subscribers_matching
from handlers.kernel.callbacks import CallbackData, Dismiss
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Reply, buttons
from handlers.kernel.router import Router
from handlers.kernel.validation import clean, parse_id
from handlers.sme.buttons import Interest, ShowChallenge, StopAlerts
from storage import challenges, deliveries
from storage.audit import audit
from storage.models import Broadcast, Challenge, Identity
from storage.subscriptions import list_active_subscriptions

KIND = "challenge_call"
MATCHING, ALL = "matching", "all"
AUDIENCES = {"m": MATCHING, "a": ALL}
DEFAULT_RATE = 25.0  # messages a second, for an estimate before any row has been sent
RATE_WINDOW = timedelta(seconds=30)

router = Router("admin.broadcast")


class ChooseAudience(CallbackData, prefix="bca"):
    """m(atching), a(ll) or n(one: publish only), for a challenge id; asks to confirm."""

    code: str
    challenge_id: int


class ConfirmAudience(CallbackData, prefix="bcy"):
    code: str
    challenge_id: int


# ---- what a recipient sees ----

def announcement(challenge: Challenge, matched: list[str]) -> Reply:
    """The message one recipient gets; `matched` are their interests that fit the challenge."""
    why = (f"Why you're getting this: it matches your interests in {', '.join(matched)}."
           if matched else "Why you're getting this: you asked to hear about new challenges.")
    deadline = (f"Deadline for expressions of interest: {challenge.closes:%d %B %Y}"
                if challenge.closes else "No closing date has been set yet.")
    summary = challenge.summary if len(challenge.summary) <= 400 else (
        challenge.summary[:400].rsplit(" ", 1)[0] + "\u2026")
    text = (f"{challenge.department} has opened a new challenge.\n\n{summary}\n\n{why}\n\n"
            f"{deadline}")
    return Reply(text, buttons(
        [("Details", ShowChallenge(challenge.ref)), ("Register interest", Interest(challenge.ref))],
        [("Stop these messages", StopAlerts())],
    ), None, f"New challenge: {challenge.title}")


# ---- planning and confirming (shared with the command line) ----

@dataclass
class Audience:
    """Who a broadcast about a challenge would reach, before anything is written."""

    challenge: Challenge
    matching: list[tuple[Identity, list[str]]]  # subscribers whose interests fit, with the tags
    everyone: list[tuple[Identity, list[str]]]  # every active subscriber (tags empty if none fit)

    def recipients(self, audience: str) -> list[tuple[Identity, list[str]]]:
        return self.matching if audience == MATCHING else self.everyone

    def sample(self) -> Reply:
        """The announcement as its first recipient sees it (the challenge's tags if nobody fits)."""
        tags = self.matching[0][1] if self.matching else list(self.challenge.tags)[:3]
        return announcement(self.challenge, tags)


async def plan(session: AsyncSession, ref: str) -> Audience | None:
    """The audiences for a challenge, minus anyone already sent an announcement about it."""
    challenge = await challenges.get_challenge(session, ref)
    if challenge is None:
        return None
    already = await deliveries.targeted_identities(session, challenge.id, KIND)
    fitting = {i.id: (i, tags) for i, tags in await subscribers_matching(session, challenge)
               if i.id not in already and i.chat_id}
    everyone = [(i, fitting[i.id][1] if i.id in fitting else [])
                for i, _ in await list_active_subscriptions(session)
                if i.id not in already and i.chat_id]
    return Audience(challenge, list(fitting.values()), everyone)


async def confirm(session: AsyncSession, ref: str, audience: str, actor: str,
                  notify: dict[str, Any] | None = None) -> tuple[Broadcast | None, Challenge | None]:
    """Open the challenge and write the broadcast, its deliveries and the audit entry at once.

    Recomputed here rather than trusted from the preview, and locked on PostgreSQL, so a
    double-pressed confirm button (or two admins) cannot announce to anyone twice.
    """
    challenge = await challenges.get_challenge(session, ref, lock=True)
    if challenge is None:
        return None, None
    opened = challenge.status == "draft"
    if opened:
        challenge.status = "open"
        await audit(session, actor, "challenge_open", ref)
    if audience not in (MATCHING, ALL):  # publish only
        return None, challenge
    found = await plan(session, ref)
    assert found is not None
    recipients = found.recipients(audience)
    if not recipients:
        return None, challenge
    broadcast = await deliveries.create_broadcast(
        session, kind=KIND, challenge_id=challenge.id, audience=audience, created_by=actor,
        recipients=[(i, to_payload(announcement(challenge, tags))) for i, tags in recipients],
        notify=notify)
    await audit(session, actor, "broadcast", ref, broadcast=broadcast.id, audience=audience,
                recipients=broadcast.total, opened=opened)
    return broadcast, challenge


async def status_text(session: AsyncSession, broadcast_id: int, rate: float | None = None) -> str | None:
    """Sent, failed and pending counts and an estimate of the time left."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        return None
    counts = await deliveries.progress(session, broadcast_id)
    sent, failed = counts.get("sent", 0), counts.get("failed", 0)
    pending = counts.get("pending", 0) + counts.get("sending", 0)
    challenge = await session.get(Challenge, broadcast.challenge_id) if broadcast.challenge_id else None
    head = f"Broadcast {broadcast.id}" + (f" about {challenge.ref}" if challenge else "")
    lines = [f"{head} ({broadcast.audience}, {broadcast.total} recipients):",
             f"sent {sent}, failed {failed}, pending {pending}"]
    if pending:
        recent = await deliveries.recent_sent(session, broadcast_id, RATE_WINDOW)
        per_second = recent / RATE_WINDOW.total_seconds() if recent else (rate or DEFAULT_RATE)
        lines.append(f"about {_duration(pending / per_second)} left at {per_second:.1f} a second"
                     + ("" if recent else " (not sending yet; estimated at the configured rate)"))
    elif broadcast.finished_at:
        lines.append(f"finished {broadcast.finished_at:%d %b %Y %H:%M} UTC")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


async def on_finished(session: AsyncSession, broadcast_id: int) -> bool:
    """Called by workers after recording outcomes: the first to see it finished queues the report."""
    broadcast = await deliveries.finish_broadcast(session, broadcast_id)
    if broadcast is None:
        return False
    target = broadcast.notify or {}
    if target.get("platform") and target.get("chat_id"):
        counts = await deliveries.progress(session, broadcast_id)
        challenge = (await session.get(Challenge, broadcast.challenge_id)
                     if broadcast.challenge_id else None)
        about = f"\u201c{challenge.title}\u201d ({challenge.ref})" if challenge else "the announcement"
        failed = counts.get("failed", 0)
        text = (f"Broadcast {broadcast.id} has finished: {about} reached {counts.get('sent', 0)} "
                f"of {broadcast.total} recipients."
                + (f" {failed} could not be reached (blocked the bot, or kept failing)."
                   if failed else ""))
        await deliveries.enqueue_to_chat(session, target["platform"], str(target["chat_id"]),
                                         "broadcast_report", to_payload(Reply(text)),
                                         identity_id=target.get("identity_id"))
    return True


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

