"""Officers' view of expressions of interest: the list, one in full, stage moves, CSV export."""

from __future__ import annotations

from handlers.domain.buttons import OfficerEoi, StageMove
from handlers.domain.export import eoi_csv
from handlers.domain.outbound import notify
from handlers.domain.stages import OFFICER_STAGES, next_stages, stage_label
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Attachment, Reply, buttons
from handlers.kernel.router import Router
from handlers.kernel.validation import clean, parse_id
from handlers.sme.buttons import MyEois
from storage import challenges, eois
from storage.audit import audit
from storage.models import Identity

router = Router("officer.eois")


class ExportCsv(CallbackData, prefix="exp"):
    ref: str = ""


@router.command("eois", dips=True)
async def list_eois(ctx: Ctx, args: str) -> None:
    ref = clean(args).lower() or None
    rows = await eois.list_eois(ctx.session, challenge_ref=ref)
    if not rows:
        ctx.say("No expressions of interest" + (f" for {ref}." if ref else " yet."))
        return
    lines = [f"{e.reference} [{stage_label(e.stage)}] {e.organisation.name} "
             f"({e.organisation.city}, {e.organisation.country}) on {e.challenge.ref}"
             for e in rows[-50:]]
    more = f"\n(showing the latest 50 of {len(rows)})" if len(rows) > 50 else ""
    ctx.say("Expressions of interest:\n" + "\n".join(lines) + more)


@router.command("eoi", dips=True)
async def show_eoi(ctx: Ctx, args: str) -> None:
    eoi_id = _eoi_id(args)
    eoi = await eois.get_eoi(ctx.session, eoi_id) if eoi_id else None
    if eoi is None:
        ctx.say(f"There is no expression of interest \u201c{clean(args)[:20]}\u201d. Usage: "
                "/dips eoi ID, for example /dips eoi 12 or /dips eoi EOI-000012" if args.strip()
                else "Usage: /dips eoi ID, for example /dips eoi 12 or /dips eoi EOI-000012")
        return
    org, contact = eoi.organisation, eoi.contact
    history = await eois.stage_history(ctx.session, eoi.id)
    lines = [f"{eoi.reference}: {eoi.challenge.title} [{eoi.challenge.ref}]",
             f"Stage: {stage_label(eoi.stage)}",
             f"Organisation: {org.name} ({org.size_band}), {org.city}, {org.country}",
             f"Website: {org.website or 'none'}",
             f"Contact: {contact.name + ', ' + contact.email if contact else 'none'}",
             f"Proposal: {eoi.summary}", "", "History:"]
    lines += [f"{h.at:%Y-%m-%d %H:%M} {h.from_stage or 'new'} \u2192 {h.to_stage} by {h.actor}"
              + (f": {h.note}" if h.note else "") for h in history]
    moves = [] if eoi.stage == "withdrawn" else [
        (stage_label(s)[:30], StageMove(eoi.id, f"{s}@{eoi.stage}"))
        for s in next_stages(eoi.stage)]
    ctx.say("\n".join(lines), moves)


def _eoi_id(text: str) -> int | None:
    text = clean(text).upper().removeprefix("EOI-").lstrip("0") or "0"
    return parse_id(text) or None


@router.command("stage", dips=True)
async def stage(ctx: Ctx, args: str) -> None:
    parts = clean(args).split(maxsplit=2)
    if len(parts) < 2:
        ctx.say("Usage: /dips stage ID STAGE [note]. Stages: " + ", ".join(OFFICER_STAGES))
        return
    await move(ctx, parts[0], parts[1].lower(), parts[2] if len(parts) > 2 else None)


async def move(ctx: Ctx, eoi_ref: str, to_stage: str, note: str | None) -> None:
    """Move an EOI; `to_stage` may end "@from" (a button made when the EOI was at `from`),
    and if it has moved since, the button is out of date and nothing changes."""
    to_stage, _, expected = to_stage.partition("@")
    eoi_id = _eoi_id(eoi_ref)
    eoi = await eois.get_eoi(ctx.session, eoi_id) if eoi_id else None
    if eoi is None:
        ctx.say(f"There is no expression of interest {eoi_ref[:20]}.")
        return
    if to_stage == "withdrawn":
        ctx.say("Only the SME can withdraw an expression of interest. To turn it down, use "
                f"not-selected: /dips stage {eoi.id} not-selected [note].")
        return
    if to_stage not in OFFICER_STAGES:
        ctx.say(f"Unknown stage \u201c{to_stage[:40]}\u201d. Stages: " + ", ".join(OFFICER_STAGES))
        return
    if expected and eoi.stage != expected:
        ctx.say(f"That button is out of date: {eoi.reference} has moved to "
                f"{stage_label(eoi.stage)} since. Nothing was changed; "
                f"/dips eoi {eoi.id} shows it now.")
        return
    if eoi.stage == to_stage:
        ctx.say(f"{eoi.reference} is already at {stage_label(to_stage)}.")
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
        f"{stage_label(to_stage)} stage." + (f"\n\nNote from the officer: {note}" if note else ""),
        buttons([("View it", MyEois(eoi.id))])))
    ctx.say(f"{eoi.reference} moved from {stage_label(change.from_stage or 'submitted')} to "
            f"{stage_label(to_stage)}." + (" The SME will be told." if queued else
                                            " (The SME can't be reached on chat.)"))


@router.button(StageMove, action="stage")
async def stage_button(ctx: Ctx, pressed: StageMove) -> None:
    await move(ctx, str(pressed.eoi_id), pressed.target, None)


@router.button(OfficerEoi, action="eoi")
async def eoi_button(ctx: Ctx, pressed: OfficerEoi) -> None:
    await show_eoi(ctx, str(pressed.eoi_id))


# ---- export ----



@router.command("export", dips=True)
async def export(ctx: Ctx, args: str) -> None:
    ref = clean(args).lower().split(" ")[0][:64] or None
    if ref and await challenges.get_challenge(ctx.session, ref) is None:
        ctx.say(f"There is no challenge {ref}.")
        return
    rows = await eois.list_eois(ctx.session, challenge_ref=ref)
    await audit(ctx.session, ctx.actor, "export", ref or "all", rows=len(rows))
    name = f"dips-eois-{ref or 'all'}-{ctx.today:%Y%m%d}.csv"
    ctx.say(f"{len(rows)} expression{'s' if len(rows) != 1 else ''} of interest"
            + (f" for {ref}" if ref else "") + ", as CSV.",
            attachment=Attachment(name, eoi_csv(rows), "text/csv"))


@router.button(ExportCsv, action="export")
async def export_button(ctx: Ctx, pressed: ExportCsv) -> None:
    await export(ctx, pressed.ref)
