"""Officer commands shared by every platform: challenges, EOIs, stage changes, exports,
the impact report, waiting questions and the dashboard.

`/dips SUB args` is the officers' single entry (Slack's slash command, and the console's
`/dips ...`): the core checks the "dips" permission once, so anyone without the officer or admin
role gets the same polite refusal on every platform.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain import impact as impact_report
from handlers.domain.buttons import OfficerEoi, StageMove
from handlers.domain.outbound import notify
from handlers.domain.stages import END_STAGES, OFFICER_STAGES, STAGES, next_stages, stage_label
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Attachment, Reply, buttons
from handlers.kernel.router import DIPS, Router
from handlers.kernel.validation import clean, parse_id
from handlers.officer import cases
from handlers.sme.buttons import MyEois
from storage import challenges, eois
from storage.audit import audit
from storage.cases import open_cases
from storage.models import Eoi, Identity

router = Router("officer.commands")


class OfficerChallenge(CallbackData, prefix="och"):
    ref: str


class ExportCsv(CallbackData, prefix="exp"):
    ref: str = ""


class ImpactCsv(CallbackData, prefix="imp"):
    since: str = ""
    until: str = ""


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


@router.button(OfficerChallenge, action="dips")
async def challenge_button(ctx: Ctx, pressed: OfficerChallenge) -> None:
    await challenge_detail(ctx, pressed.ref)


@router.button(ExportCsv, action="export")
async def export_button(ctx: Ctx, pressed: ExportCsv) -> None:
    await export(ctx, pressed.ref)


@router.command("questions", dips=True)
async def questions(ctx: Ctx, args: str) -> None:
    await cases.list_open(ctx, args)  # open cases, oldest first, with Claim and Answer buttons


# ---- challenges overview and details ----

def _counts_text(counts: dict[str, int]) -> str:
    if not counts:
        return "no EOIs"
    total = sum(counts.values())
    parts = [f"{stage_label(s).split(' (')[0].lower()} {counts[s]}"
             for s in (*STAGES, *END_STAGES) if counts.get(s)]
    return f"{total} EOI{'s' if total != 1 else ''}: " + ", ".join(parts)


def _deadline(challenge) -> str:  # type: ignore[no-untyped-def]
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
                     f"   {status}, {_deadline(c)}; {_counts_text(counts.get(c.id, {}))}")
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
    lines = [f"Department: {challenge.department}", f"Status: {challenge.status}, {_deadline(challenge)}"
             + (f", opened {challenge.opens:%d %b %Y}" if challenge.opens else ""),
             f"Tags: {', '.join(challenge.tags)}"]
    lines += [f"{label}: {value}" for label, value in (
        ("Budget", challenge.budget), ("Contact", challenge.contact), ("Brief", challenge.url)) if value]
    lines += ["", challenge.summary[:1500], "", _counts_text(counts)]
    lines += [f"{e.reference} [{stage_label(e.stage)}] {e.organisation.name} "
              f"({e.organisation.city}, {e.organisation.country}), {e.created_at:%d %b %Y}"
              for e in rows[:100]]
    if len(rows) > 100:
        lines.append(f"(the first 100 of {len(rows)}; /dips export {challenge.ref} has them all)")
    eoi_rows = [[(e.reference, OfficerEoi(e.id))] for e in rows[:20]]
    ctx.say("\n".join(lines), *eoi_rows, [("Export CSV", ExportCsv(challenge.ref[:60]))],
            title=f"{challenge.title} [{challenge.ref}]")



# ---- export ----

EXPORT_FIELDS = ("reference", "challenge", "department", "organisation", "size_band", "country",
                 "city", "website", "contact_name", "contact_email", "stage", "summary",
                 "created_at", "updated_at")


def eoi_csv(rows: list[Eoi]) -> bytes:
    """EOIs as CSV, formula-safe (SME-typed text can't run in a spreadsheet)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_FIELDS)
    for e in rows:
        org, contact = e.organisation, e.contact
        writer.writerow([impact_report.csv_safe(v) for v in (
            e.reference, e.challenge.ref, e.challenge.department, org.name, org.size_band,
            org.country, org.city, org.website or "", contact.name if contact else "",
            contact.email if contact else "", e.stage, e.summary, e.created_at.isoformat(),
            e.updated_at.isoformat())])
    return out.getvalue().encode("utf-8")


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


# ---- impact ----

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse_period(args: str) -> tuple[date | None, date | None] | str:
    """`[since] DATE [until DATE]`; returns (since, until) or a problem to show."""
    words = clean(args).lower().split()
    since = until = None
    target = "since"
    for word in words:
        if word in ("since", "from", "until", "to", "before"):
            target = "since" if word in ("since", "from") else "until"
            continue
        if not _DATE.fullmatch(word):
            return f"I couldn't read \u201c{word[:20]}\u201d as a date: use YYYY-MM-DD."
        try:
            day = date.fromisoformat(word)
        except ValueError:
            return f"{word} is not a valid date."
        if target == "since":
            since, target = day, "until"
        else:
            until = day
    if since and until and until <= since:
        return "The end of the period must come after its start."
    return since, until


@router.command("impact", dips=True)
async def impact(ctx: Ctx, args: str) -> None:
    period = parse_period(args)
    if isinstance(period, str):
        ctx.say(period + " For example: /dips impact since 2025-01-01")
        return
    since, until = period
    report = await impact_report.build_report(ctx.session, since, until)
    tag = ImpactCsv(since.isoformat() if since else "", until.isoformat() if until else "")
    ctx.say(report.to_text(), [("Download as CSV", tag)],
            title=f"Impact report, {report.period_text()}")
    ctx.say("Chart: the EOI funnel and SMEs engaged over time.",
            attachment=Attachment(f"dips-impact-{ctx.today:%Y%m%d}.png",
                                  impact_report.chart_png(report), "image/png"))


@router.button(ImpactCsv, action="impact")
async def impact_csv_button(ctx: Ctx, pressed: ImpactCsv) -> None:
    since_text, until_text = pressed.since, pressed.until
    arg = f"{since_text}:{until_text}" if since_text or until_text else ""
    try:
        since = date.fromisoformat(since_text) if since_text else None
        until = date.fromisoformat(until_text) if until_text else None
    except ValueError:
        since = until = None
    report = await impact_report.build_report(ctx.session, since, until)
    await audit(ctx.session, ctx.actor, "impact_export", arg or "all")
    ctx.say(f"The impact figures {report.period_text()}, as CSV.",
            attachment=Attachment(f"dips-impact-{ctx.today:%Y%m%d}.csv", report.to_csv(), "text/csv"))


# ---- help, the /dips entry and the dashboard ----

DIPS_HELP = """Officer commands (/dips SUBCOMMAND):
/dips challenges: every challenge with status, deadline and EOI counts by stage
/dips challenge REF: a challenge's details and its EOIs
/dips eois [REF]: expressions of interest
/dips eoi ID: one EOI with its stage history
/dips stage ID STAGE [note]: move an EOI to a stage (the SME is told)
/dips export [REF]: EOIs as a CSV file
/dips impact [since DATE] [until DATE]: the programme's impact figures, chart and CSV
/dips questions: questions waiting for an officer (cases), oldest first
/dips case ID: a case with its history
/dips claim ID: take a case, so no one else answers it
/dips answer ID TEXT: answer a case (the SME is sent it; in Slack, replying in its thread does too)
/dips clarify ID [QUESTION --- ANSWER]: publish an answered case as a challenge clarification
/dips suggest ID [QUESTION --- ANSWER]: suggest an answered case as an FAQ entry
/dips close ID: close a case
/dips publish REF, /dips broadcast REF|ID: (admins) open and announce a challenge, or a broadcast's progress
/dips audit [since DATE]: (admins) who did what, and when
/dips help: this list
Stages: """ + ", ".join(OFFICER_STAGES)


@router.command("help", action="dips", dips=True, top=False)
async def dips_help(ctx: Ctx, args: str) -> None:
    ctx.say(DIPS_HELP)


@router.command("dips")
async def dips(ctx: Ctx, args: str) -> None:
    """`/dips SUB args`: the officers' commands behind one entry (each checked on its own)."""
    sub, _, rest = args.strip().partition(" ")
    await ctx.run(sub.lower() or "help", rest.strip(), DIPS)


@router.command("dashboard")
async def dashboard(ctx: Ctx, args: str) -> None:
    """The officers' at-a-glance view (Slack's App Home; /dashboard elsewhere)."""
    for reply in await dashboard_replies(ctx.session, ctx.today, ctx.core.clock()):
        ctx.out.replies.append(reply)


async def dashboard_replies(session: AsyncSession, today: date, now: datetime) -> list[Reply]:
    open_rows = await challenges.list_challenges(session, open_on=today)
    counts = await challenges.eoi_counts_by_stage(session)
    lines = [f"\u2022 {c.title} [{c.ref}]: {_deadline(c)}; {_counts_text(counts.get(c.id, {}))}"
             for c in open_rows[:15]]
    if len(open_rows) > 15:
        lines.append(f"... and {len(open_rows) - 15} more (/dips challenges)")
    replies = [Reply("\n".join(lines) or "No challenge is open.",
                     title=f"Open challenges: {len(open_rows)}")]
    week_ago = now - timedelta(days=7)
    recent = [e for e in await eois.list_eois(session) if e.created_at >= week_ago]
    lines = [f"{e.reference} {e.organisation.name} ({e.organisation.city}) on {e.challenge.ref}, "
             f"{e.created_at:%a %d %b}" for e in recent[-10:]]
    replies.append(Reply("\n".join(lines) or "None in the last seven days.",
                         buttons(*[[(e.reference, OfficerEoi(e.id))] for e in recent[-5:]]),
                         title=f"New EOIs this week: {len(recent)}"))
    waiting = await open_cases(session)
    lines = [f"#{q.id} {q.asked_at:%d %b}: {q.text[:200]}" for q in waiting[:5]]
    replies.append(Reply("\n".join(lines) or "None.",
                         title=f"Questions waiting for an officer: {len(waiting)}"))
    report = await impact_report.build_report(session)
    replies.append(Reply(
        f"SMEs engaged: {report.smes_engaged}\nCouncil departments engaged: "
        f"{report.departments_engaged}\nOfficers engaged: {report.officers_engaged}\n"
        f"SMEs from BETTER partner cities: {report.partner_city_smes}\n"
        f"SMEs from other countries: {report.other_country_smes}",
        title="Impact since the programme began (/dips impact for more)"))
    return replies


async def new_eoi_notice(session: AsyncSession, eoi_ids: list[int]) -> list[Reply]:
    """The officers' channel notice for new EOIs: one reply each, with buttons to act on it."""
    replies = []
    for eoi_id in eoi_ids:
        e = await eois.get_eoi(session, eoi_id)
        if e is None:  # deleted since it was queued
            continue
        org = e.organisation
        replies.append(Reply(
            f"{e.reference} from {org.name} ({org.size_band}, {org.city}, {org.country}) on "
            f"\u201c{e.challenge.title}\u201d [{e.challenge.ref}]\n{e.summary[:500]}",
            buttons([("Details", OfficerEoi(e.id)),
                     ("Exploration", StageMove(e.id, f"exploration@{e.stage}")),
                     ("Not selected", StageMove(e.id, f"not-selected@{e.stage}"))])))
    return replies

