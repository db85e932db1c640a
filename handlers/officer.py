"""Officer commands shared by every platform: EOIs, stage changes, waiting questions."""

from __future__ import annotations

from handlers.core import Core, Ctx
from handlers.eoi import END_STAGES, STAGE_LABELS, STAGES
from handlers.messages import Reply, buttons
from handlers.outbound import notify
from handlers.validation import clean
from storage import eois
from storage.audit import audit, open_questions
from storage.models import Identity


async def list_eois(ctx: Ctx, args: str) -> None:
    ref = clean(args).lower() or None
    rows = await eois.list_eois(ctx.session, challenge_ref=ref)
    if not rows:
        ctx.say("No expressions of interest" + (f" for {ref}." if ref else " yet."))
        return
    lines = [f"{e.reference} [{STAGE_LABELS.get(e.stage, e.stage)}] {e.organisation.name} "
             f"({e.organisation.city}, {e.organisation.country}) on {e.challenge.ref}"
             for e in rows[-50:]]
    more = f"\n(showing the latest 50 of {len(rows)})" if len(rows) > 50 else ""
    ctx.say("Expressions of interest:\n" + "\n".join(lines) + more)


async def show_eoi(ctx: Ctx, args: str) -> None:
    eoi_id = _eoi_id(args)
    eoi = await eois.get_eoi(ctx.session, eoi_id) if eoi_id else None
    if eoi is None:
        ctx.say("Usage: /eoi ID, for example /eoi 12 or /eoi EOI-000012")
        return
    org, contact = eoi.organisation, eoi.contact
    history = await eois.stage_history(ctx.session, eoi.id)
    lines = [f"{eoi.reference}: {eoi.challenge.title} [{eoi.challenge.ref}]",
             f"Stage: {STAGE_LABELS.get(eoi.stage, eoi.stage)}",
             f"Organisation: {org.name} ({org.size_band}), {org.city}, {org.country}",
             f"Website: {org.website or 'none'}",
             f"Contact: {contact.name + ', ' + contact.email if contact else 'none'}",
             f"Proposal: {eoi.summary}", "", "History:"]
    lines += [f"{h.at:%Y-%m-%d %H:%M} {h.from_stage or 'new'} \u2192 {h.to_stage} by {h.actor}"
              + (f": {h.note}" if h.note else "") for h in history]
    next_stages = [s for s in (*STAGES, *END_STAGES[:1]) if s != eoi.stage][:4]
    ctx.say("\n".join(lines), [(STAGE_LABELS[s][:30], f"stg:{eoi.id}:{s}") for s in next_stages])


def _eoi_id(text: str) -> int | None:
    text = clean(text).upper().removeprefix("EOI-").lstrip("0") or "0"
    return int(text) if text.isdigit() and 0 < int(text) < 2**31 else None


async def stage(ctx: Ctx, args: str) -> None:
    parts = clean(args).split(maxsplit=2)
    if len(parts) < 2:
        ctx.say("Usage: /stage ID STAGE [note]. Stages: " + ", ".join((*STAGES, *END_STAGES)))
        return
    await move(ctx, parts[0], parts[1].lower(), parts[2] if len(parts) > 2 else None)


async def move(ctx: Ctx, eoi_ref: str, to_stage: str, note: str | None) -> None:
    eoi_id = _eoi_id(eoi_ref)
    eoi = await eois.get_eoi(ctx.session, eoi_id) if eoi_id else None
    if eoi is None:
        ctx.say(f"There is no expression of interest {eoi_ref[:20]}.")
        return
    if to_stage not in (*STAGES, *END_STAGES):
        ctx.say(f"Unknown stage \u201c{to_stage[:40]}\u201d. Stages: "
                + ", ".join((*STAGES, *END_STAGES)))
        return
    if eoi.stage == to_stage:
        ctx.say(f"{eoi.reference} is already at {STAGE_LABELS[to_stage]}.")
        return
    if eoi.stage == "withdrawn":
        ctx.say(f"{eoi.reference} was withdrawn by the SME and can't be moved.")
        return
    change = await eois.change_stage(ctx.session, eoi, to_stage, ctx.actor, note and note[:1000])
    await audit(ctx.session, ctx.actor, "stage_change", eoi.reference,
                from_stage=change.from_stage, to_stage=to_stage)
    sme = await ctx.session.get(Identity, eoi.identity_id) if eoi.identity_id else None
    queued = await notify(ctx.session, sme, "stage_change", Reply(
        f"Update on {eoi.reference} (\u201c{eoi.challenge.title}\u201d): it has moved to the "
        f"{STAGE_LABELS[to_stage]} stage." + (f"\n\nNote from the officer: {note}" if note else ""),
        buttons([("View it", f"my:{eoi.id}")])))
    ctx.say(f"{eoi.reference} moved from {STAGE_LABELS[change.from_stage or 'submitted']} to "
            f"{STAGE_LABELS[to_stage]}." + (" The SME will be told." if queued else
                                            " (The SME can't be reached on chat.)"))


async def stage_button(ctx: Ctx, arg: str) -> None:
    eoi_ref, _, to_stage = arg.partition(":")
    await move(ctx, eoi_ref, to_stage, None)


async def questions(ctx: Ctx, args: str) -> None:
    rows = await open_questions(ctx.session)
    if not rows:
        ctx.say("No questions are waiting for an officer.")
        return
    ctx.say("Questions waiting for an officer (oldest first):\n"
            + "\n".join(f"#{q.id} {q.asked_at:%Y-%m-%d %H:%M}: {q.text[:300]}" for q in rows[:30]))


def register(core: Core) -> None:
    core.command("eois", list_eois)
    core.command("eoi", show_eoi)
    core.command("stage", stage)
    core.command("questions", questions)
    core.button("stg", stage_button)
