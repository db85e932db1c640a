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
from handlers.kernel.text import t
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
        ctx.say(t("officer_eois.none_for", ref=ref) if ref else t("officer_eois.none"))
        return
    lines = [t("officer_eois.line", reference=e.reference, stage=stage_label(e.stage),
               organisation=e.organisation.name, city=e.organisation.city,
               country=e.organisation.country, ref=e.challenge.ref)
             for e in rows[-50:]]
    if len(rows) > 50:
        lines.append(t("officer_eois.latest", shown=50, total=len(rows)))
    ctx.say(t("officer_eois.list", lines="\n".join(lines)))


@router.command("eoi", dips=True)
async def show_eoi(ctx: Ctx, args: str) -> None:
    eoi_id = _eoi_id(args)
    eoi = await eois.get_eoi(ctx.session, eoi_id) if eoi_id else None
    if eoi is None:
        usage = t("officer_eois.usage")
        ctx.say(t("officer_eois.not_found_usage", ref=clean(args)[:20], usage=usage)
                if args.strip() else usage)
        return
    org, contact = eoi.organisation, eoi.contact
    history = await eois.stage_history(ctx.session, eoi.id)
    none = t("my.no_contact")
    lines = [f"{eoi.reference}: {eoi.challenge.title} [{eoi.challenge.ref}]",
             t("officer_eois.stage", stage=stage_label(eoi.stage)),
             t("officer_eois.organisation", name=org.name, size=org.size_band, city=org.city,
               country=org.country),
             t("officer_eois.website", website=org.website or none),
             t("contact", contact=contact.name + ", " + contact.email if contact else none),
             t("officer_eois.proposal", summary=eoi.summary), "", t("history")]
    lines += [t("officer_eois.history_line", at=h.at,
                from_stage=h.from_stage or t("officer_eois.new"), to_stage=h.to_stage,
                actor=h.actor) + (f": {h.note}" if h.note else "") for h in history]
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
        ctx.say(t("officer_eois.stage_usage", stages=", ".join(OFFICER_STAGES)))
        return
    await move(ctx, parts[0], parts[1].lower(), parts[2] if len(parts) > 2 else None)


async def move(ctx: Ctx, eoi_ref: str, to_stage: str, note: str | None) -> None:
    """Move an EOI; `to_stage` may end "@from" (a button made when the EOI was at `from`),
    and if it has moved since, the button is out of date and nothing changes."""
    to_stage, _, expected = to_stage.partition("@")
    eoi_id = _eoi_id(eoi_ref)
    eoi = await eois.get_eoi(ctx.session, eoi_id) if eoi_id else None
    if eoi is None:
        ctx.say(t("officer_eois.not_found", ref=eoi_ref[:20]))
        return
    if to_stage == "withdrawn":
        ctx.say(t("officer_eois.only_sme_withdraws", id=eoi.id))
        return
    if to_stage not in OFFICER_STAGES:
        ctx.say(t("officer_eois.unknown_stage", stage=to_stage[:40],
                  stages=", ".join(OFFICER_STAGES)))
        return
    if expected and eoi.stage != expected:
        ctx.say(t("officer_eois.out_of_date", reference=eoi.reference,
                  stage=stage_label(eoi.stage), id=eoi.id))
        return
    if eoi.stage == to_stage:
        ctx.say(t("officer_eois.already_at", reference=eoi.reference, stage=stage_label(to_stage)))
        return
    if eoi.stage == "withdrawn":
        ctx.say(t("officer_eois.withdrawn", reference=eoi.reference))
        return
    change = await eois.change_stage(ctx.session, eoi, to_stage, ctx.actor, note and note[:1000])
    await audit(ctx.session, ctx.actor, "stage_change", eoi.reference,
                from_stage=change.from_stage, to_stage=to_stage)
    sme = await ctx.session.get(Identity, eoi.identity_id) if eoi.identity_id else None
    update = (t("update.moved_note", reference=eoi.reference, title=eoi.challenge.title,
                stage=stage_label(to_stage), note=note) if note else
              t("update.moved", reference=eoi.reference, title=eoi.challenge.title,
                stage=stage_label(to_stage)))
    queued = await notify(ctx.session, sme, "stage_change", Reply(
        update, buttons([(t("button.view_it"), MyEois(eoi.id))])))
    from_label, to_label = stage_label(change.from_stage or "submitted"), stage_label(to_stage)
    ctx.say(t("officer_eois.moved_told", reference=eoi.reference, from_stage=from_label,
              to_stage=to_label) if queued else
            t("officer_eois.moved_unreachable", reference=eoi.reference, from_stage=from_label,
              to_stage=to_label))


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
        ctx.say(t("officer_challenges.no_such", ref=ref))
        return
    rows = await eois.list_eois(ctx.session, challenge_ref=ref)
    await audit(ctx.session, ctx.actor, "export", ref or "all", rows=len(rows))
    name = f"dips-eois-{ref or 'all'}-{ctx.today:%Y%m%d}.csv"
    n = len(rows)
    if ref:
        text = (t("officer_eois.exported_one_for", n=n, ref=ref) if n == 1
                else t("officer_eois.exported_many_for", n=n, ref=ref))
    else:
        text = t("officer_eois.exported_one", n=n) if n == 1 else t("officer_eois.exported_many", n=n)
    ctx.say(text, attachment=Attachment(name, eoi_csv(rows), "text/csv"))


@router.button(ExportCsv, action="export")
async def export_button(ctx: Ctx, pressed: ExportCsv) -> None:
    await export(ctx, pressed.ref)
