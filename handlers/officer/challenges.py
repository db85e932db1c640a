"""Officers' view of the challenges: every challenge with its EOI counts, and one in full."""

from __future__ import annotations

from handlers.domain.buttons import OfficerEoi
from handlers.domain.stages import END_STAGES, STAGES, stage_label
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx
from handlers.kernel.router import Router
from handlers.kernel.validation import clean
from handlers.officer.eois import ExportCsv
from storage import challenges, eois
from storage.models import Challenge

router = Router("officer.challenges")


class OfficerChallenge(CallbackData, prefix="och"):
    ref: str


def counts_text(counts: dict[str, int]) -> str:
    if not counts:
        return "no EOIs"
    total = sum(counts.values())
    parts = [f"{stage_label(s).split(' (')[0].lower()} {counts[s]}"
             for s in (*STAGES, *END_STAGES) if counts.get(s)]
    return f"{total} EOI{'s' if total != 1 else ''}: " + ", ".join(parts)


def deadline(challenge: Challenge) -> str:
    return f"closes {challenge.closes:%d %b %Y}" if challenge.closes else "no closing date"


@router.command("challenges", dips=True, top=False)
async def overview(ctx: Ctx, args: str) -> None:
    """Every challenge with its status, deadline and EOI counts by stage."""
    rows = await challenges.list_challenges(ctx.session)
    if not rows:
        ctx.say("There are no challenges in the catalogue yet.")
        return
    counts = await challenges.eoi_counts_by_stage(ctx.session)
    lines = []
    for c in rows:
        status = c.status if c.status != "open" or c.is_open(ctx.today) else "open (past deadline)"
        lines.append(f"\u2022 {c.title} [{c.ref}], {c.department}\n"
                     f"   {status}, {deadline(c)}; {counts_text(counts.get(c.id, {}))}")
    ctx.say("\n".join(lines), *[[(c.ref[:40], OfficerChallenge(c.ref[:60]))] for c in rows[:20]],
            title=f"Challenges ({len(rows)})")


@router.command("challenge", dips=True, top=False)
async def challenge_detail(ctx: Ctx, args: str) -> None:
    """One challenge in full, with its EOIs."""
    ref = clean(args).lower().split(" ")[0][:64]
    challenge = await challenges.get_challenge(ctx.session, ref) if ref else None
    if challenge is None:
        ctx.say("Usage: /dips challenge REF (see /dips challenges for the references)"
                if not ref else f"There is no challenge {ref}.")
        return
    rows = await eois.list_eois(ctx.session, challenge_ref=challenge.ref)
    counts: dict[str, int] = {}
    for e in rows:
        counts[e.stage] = counts.get(e.stage, 0) + 1
    lines = [f"Department: {challenge.department}", f"Status: {challenge.status}, {deadline(challenge)}"
             + (f", opened {challenge.opens:%d %b %Y}" if challenge.opens else ""),
             f"Tags: {', '.join(challenge.tags)}"]
    lines += [f"{label}: {value}" for label, value in (
        ("Budget", challenge.budget), ("Contact", challenge.contact), ("Brief", challenge.url)) if value]
    lines += ["", challenge.summary[:1500], "", counts_text(counts)]
    lines += [f"{e.reference} [{stage_label(e.stage)}] {e.organisation.name} "
              f"({e.organisation.city}, {e.organisation.country}), {e.created_at:%d %b %Y}"
              for e in rows[:100]]
    if len(rows) > 100:
        lines.append(f"(the first 100 of {len(rows)}; /dips export {challenge.ref} has them all)")
    eoi_rows = [[(e.reference, OfficerEoi(e.id))] for e in rows[:20]]
    ctx.say("\n".join(lines), *eoi_rows, [("Export CSV", ExportCsv(challenge.ref[:60]))],
            title=f"{challenge.title} [{challenge.ref}]")


@router.button(OfficerChallenge, action="dips")
async def challenge_button(ctx: Ctx, pressed: OfficerChallenge) -> None:
    await challenge_detail(ctx, pressed.ref)
