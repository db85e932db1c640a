"""Officers' view of expressions of interest: the list, one in full (with its stage buttons),
CSV export. Stage moves themselves are handlers/officer/stages.py."""

from __future__ import annotations

from handlers.domain import assessment
from handlers.domain.buttons import OfficerEoi, StageMove
from handlers.domain.departments import may_see_eoi, scope_of
from handlers.domain.export import eoi_csv, ranking_csv
from handlers.domain.notices import EoiVersions
from handlers.domain.stages import next_stages, stage_label
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Attachment
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.kernel.validation import clean
from handlers.officer.stages import eoi_id as eoi_id_of
from storage import challenges, eois, partners
from storage.audit import audit
from storage.versions import shown_details

router = Router("officer.eois")


class ExportCsv(CallbackData, prefix="exp"):
    ref: str = ""


@router.command("eois", dips=True)
async def list_eois(ctx: Ctx, args: str) -> None:
    ref = clean(args).lower() or None
    rows = (await scope_of(ctx.session, ctx.identity)).eois(
        await eois.list_eois(ctx.session, challenge_ref=ref))
    if not rows:
        ctx.say(t("officer_eois.none_for", ref=ref) if ref else t("officer_eois.none"))
        return
    shown = [(e, shown_details(e)) for e in rows[-50:]]  # as submitted, not the latest profile
    lines = [t("officer_eois.line", reference=e.reference, stage=stage_label(e.stage),
               organisation=d["org_name"], city=d["city"], country=d["country"],
               ref=e.challenge.ref)
             for e, d in shown]
    if len(rows) > 50:
        lines.append(t("officer_eois.latest", shown=50, total=len(rows)))
    ctx.say(t("officer_eois.list", lines="\n".join(lines)))


@router.command("eoi", dips=True)
async def show_eoi(ctx: Ctx, args: str) -> None:
    eoi_id = eoi_id_of(args)
    eoi = await eois.get_eoi(ctx.session, eoi_id) if eoi_id else None
    if eoi is None:
        usage = t("officer_eois.usage")
        ctx.say(t("officer_eois.not_found_usage", ref=clean(args)[:20], usage=usage)
                if args.strip() else usage)
        return
    if not await may_see_eoi(ctx.session, ctx.identity, eoi):
        ctx.say(t("departments.not_yours", reference=eoi.reference))
        return
    d = shown_details(eoi)  # the details as submitted (or as the SME last amended them)
    history = await eois.stage_history(ctx.session, eoi.id)
    none = t("my.no_contact")
    lines = [f"{eoi.reference}: {eoi.challenge.title} [{eoi.challenge.ref}]",
             t("officer_eois.stage", stage=stage_label(eoi.stage)),
             t("officer_eois.organisation", name=d["org_name"], size=d["size_band"],
               city=d["city"], country=d["country"]),
             t("officer_eois.website", website=d["website"] or none),
             t("contact", contact=f"{d['contact_name']}, {d['contact_email']}"
               if d["contact_name"] else none),
             t("officer_eois.proposal", summary=eoi.summary), "", t("history")]
    for h in history:
        lines.append(t("officer_eois.history_line", at=h.at,
                       from_stage=h.from_stage or t("officer_eois.new"), to_stage=h.to_stage,
                       actor=h.actor))
        if h.note:
            lines.append("   " + t("stage_move.history_note", note=h.note))
        if h.message:
            lines.append("   " + t("stage_move.history_message", message=h.message))
        if h.undone_at:
            lines.append("   " + t("stage_move.history_undone", at=h.undone_at, actor=h.undone_by))
    moves = [(stage_label(s)[:30], StageMove(eoi.id, f"{s}@{eoi.stage}"))
             for s in next_stages(eoi.stage)]
    ctx.say("\n".join(lines), moves, [(t("versions.button"), EoiVersions(eoi.id))])


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
    rows = (await scope_of(ctx.session, ctx.identity)).eois(
        await eois.list_eois(ctx.session, challenge_ref=ref))
    await audit(ctx.session, ctx.actor, "export", ref or "all", rows=len(rows))
    name = f"dips-eois-{ref or 'all'}-{ctx.today:%Y%m%d}.csv"
    n = len(rows)
    if ref:
        text = (t("officer_eois.exported_one_for", n=n, ref=ref) if n == 1
                else t("officer_eois.exported_many_for", n=n, ref=ref))
    else:
        text = t("officer_eois.exported_one", n=n) if n == 1 else t("officer_eois.exported_many", n=n)
    named = await partners.partner_names(ctx.session, [e.id for e in rows])
    ctx.say(text, attachment=Attachment(name, eoi_csv(rows, named), "text/csv"))
    challenge = await challenges.get_challenge(ctx.session, ref) if ref else None
    ranked = await assessment.ranking(ctx.session, challenge.id, challenge.ref) if challenge else []
    if any(r.score is not None for r in ranked):  # assessed: the ranking goes with it
        ctx.say(t("assess.ranking_export", ref=ref),
                attachment=Attachment(f"dips-ranking-{ref}-{ctx.today:%Y%m%d}.csv",
                                      ranking_csv(ranked), "text/csv"))


@router.button(ExportCsv, action="export")
async def export_button(ctx: Ctx, pressed: ExportCsv) -> None:
    await export(ctx, pressed.ref)
