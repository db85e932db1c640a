"""Officers' view of the challenges: every challenge with its EOI counts, and one in full."""

from __future__ import annotations

from handlers.domain.buttons import OfficerEoi
from handlers.domain.departments import scope_of
from handlers.domain.stages import END_STAGES, STAGES, stage_label
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.kernel.validation import clean
from handlers.officer.eois import ExportCsv
from storage import challenges, eois
from storage.models import Challenge
from storage.versions import shown_details

router = Router("officer.challenges")


class OfficerChallenge(CallbackData, prefix="och"):
    ref: str


def counts_text(counts: dict[str, int]) -> str:
    if not counts:
        return t("officer_challenges.no_eois")
    total = sum(counts.values())
    parts = ", ".join(f"{stage_label(s).split(' (')[0].lower()} {counts[s]}"
                      for s in (*STAGES, *END_STAGES) if counts.get(s))
    if total == 1:
        return t("officer_challenges.count_one", total=total, stages=parts)
    return t("officer_challenges.count_many", total=total, stages=parts)


def sample_tag(challenge: Challenge) -> str:
    return " " + t("challenges.sample_tag") if challenge.sample else ""


def deadline(challenge: Challenge) -> str:
    return (t("officer_challenges.closes", date=challenge.closes) if challenge.closes
            else t("officer_challenges.no_closing_date"))


@router.command("challenges", dips=True, top=False)
async def overview(ctx: Ctx, args: str) -> None:
    """Every challenge with its status, deadline and EOI counts by stage."""
    rows = await challenges.list_challenges(ctx.session)
    if not rows:
        ctx.say(t("officer_challenges.none"))
        return
    counts = await challenges.eoi_counts_by_stage(ctx.session)
    lines = []
    for c in rows:
        status = (c.status if c.status != "open" or c.is_open(ctx.today)
                  else t("officer_challenges.past_deadline"))
        lines.append(f"\u2022 {c.title}{sample_tag(c)} [{c.ref}], {c.department}\n"
                     f"   {status}, {deadline(c)}; {counts_text(counts.get(c.id, {}))}")
    ctx.say("\n".join(lines), *[[(c.ref[:40], OfficerChallenge(c.ref[:60]))] for c in rows[:20]],
            title=t("officer_challenges.title", n=len(rows)))


@router.command("challenge", dips=True, top=False)
async def challenge_detail(ctx: Ctx, args: str) -> None:
    """One challenge in full, with its EOIs."""
    ref = clean(args).lower().split(" ")[0][:64]
    challenge = await challenges.get_challenge(ctx.session, ref) if ref else None
    if challenge is None:
        ctx.say(t("officer_challenges.usage") if not ref
                else t("officer_challenges.no_such", ref=ref))
        return
    rows = (await scope_of(ctx.session, ctx.identity)).eois(
        await eois.list_eois(ctx.session, challenge_ref=challenge.ref))
    counts: dict[str, int] = {}
    for e in rows:
        counts[e.stage] = counts.get(e.stage, 0) + 1
    lines = ([t("challenges.sample")] if challenge.sample else []) + [
             t("challenges.department", department=challenge.department),
             t("officer_challenges.status", status=challenge.status, deadline=deadline(challenge))
             + (t("officer_challenges.opened", date=challenge.opens) if challenge.opens else ""),
             t("challenges.tags", tags=", ".join(challenge.tags))]
    if challenge.budget:
        lines.append(t("challenges.budget", budget=challenge.budget))
    if challenge.contact:
        lines.append(t("contact", contact=challenge.contact))
    if challenge.url:
        lines.append(t("officer_challenges.brief", url=challenge.url))
    lines += ["", challenge.summary[:1500], "", counts_text(counts)]
    shown = [(e, shown_details(e)) for e in rows[:100]]
    lines += [f"{e.reference} [{stage_label(e.stage)}] {d['org_name']} "
              f"({d['city']}, {d['country']}), {e.created_at:%d %b %Y}" for e, d in shown]
    if len(rows) > 100:
        lines.append(t("officer_challenges.first_100", total=len(rows), ref=challenge.ref))
    eoi_rows = [[(e.reference, OfficerEoi(e.id))] for e in rows[:20]]
    ctx.say("\n".join(lines), *eoi_rows,
            [(t("officer_challenges.export_csv"), ExportCsv(challenge.ref[:60]))],
            title=t("challenges.title", title=challenge.title + sample_tag(challenge),
                    ref=challenge.ref))


@router.button(OfficerChallenge, action="dips")
async def challenge_button(ctx: Ctx, pressed: OfficerChallenge) -> None:
    await challenge_detail(ctx, pressed.ref)
