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
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.admin import broadcast
from handlers.admin.audit import show_audit
from handlers.domain import impact as impact_report
from handlers.domain.outbound import notify
from handlers.kernel.core import Core, Ctx
from handlers.kernel.messages import Attachment, Reply, buttons
from handlers.kernel.roles import allowed
from handlers.kernel.validation import clean, parse_id
from handlers.officer import cases
from handlers.sme.eoi_form import END_STAGES, STAGE_LABELS, STAGES
from storage import challenges, eois
from storage.audit import audit
from storage.cases import open_cases
from storage.models import Eoi, Identity

# Button prefixes whose press should first ask the officer for a note (Slack opens a modal);
# the note is then sent as Incoming(command=<value>, args="<button arg with : as space> note").
NOTE_BUTTONS: dict[str, str] = {"stg": "stage"}
OFFICER_STAGES = (*STAGES, "not-selected")  # withdrawing is the SME's own act


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
        ctx.say(f"There is no expression of interest \u201c{clean(args)[:20]}\u201d. Usage: "
                "/dips eoi ID, for example /dips eoi 12 or /dips eoi EOI-000012" if args.strip()
                else "Usage: /dips eoi ID, for example /dips eoi 12 or /dips eoi EOI-000012")
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
    moves = [] if eoi.stage == "withdrawn" else [
        (STAGE_LABELS[s][:30], f"stg:{eoi.id}:{s}@{eoi.stage}")
        for s in _next_stages(eoi.stage)]
    ctx.say("\n".join(lines), moves)


def _next_stages(current: str) -> list[str]:
    """The moves worth a button: the next stages forward, and turning it down."""
    if current == "not-selected":  # reconsidered
        return list(STAGES[1:4])
    forward = list(STAGES[STAGES.index(current) + 1:]) if current in STAGES else []
    return [*forward[:3], "not-selected"]


def _eoi_id(text: str) -> int | None:
    text = clean(text).upper().removeprefix("EOI-").lstrip("0") or "0"
    return parse_id(text) or None


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
                f"{STAGE_LABELS.get(eoi.stage, eoi.stage)} since. Nothing was changed; "
                f"/dips eoi {eoi.id} shows it now.")
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
    await cases.list_open(ctx, args)  # open cases, oldest first, with Claim and Answer buttons


# ---- challenges overview and details ----

def _counts_text(counts: dict[str, int]) -> str:
    if not counts:
        return "no EOIs"
    total = sum(counts.values())
    parts = [f"{STAGE_LABELS[s].split(' (')[0].lower()} {counts[s]}"
             for s in (*STAGES, *END_STAGES) if counts.get(s)]
    return f"{total} EOI{'s' if total != 1 else ''}: " + ", ".join(parts)


def _deadline(challenge) -> str:  # type: ignore[no-untyped-def]
    return f"closes {challenge.closes:%d %b %Y}" if challenge.closes else "no closing date"


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
    ctx.say("\n".join(lines), *[[(c.ref[:40], f"och:{c.ref}"[:64])] for c in rows[:20]],
            title=f"Challenges ({len(rows)})")


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
    lines += [f"{e.reference} [{STAGE_LABELS.get(e.stage, e.stage)}] {e.organisation.name} "
              f"({e.organisation.city}, {e.organisation.country}), {e.created_at:%d %b %Y}"
              for e in rows[:100]]
    if len(rows) > 100:
        lines.append(f"(the first 100 of {len(rows)}; /dips export {challenge.ref} has them all)")
    eoi_rows = [[(e.reference, f"oe:{e.id}")] for e in rows[:20]]
    ctx.say("\n".join(lines), *eoi_rows, [("Export CSV", f"exp:{challenge.ref}"[:64])],
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


async def impact(ctx: Ctx, args: str) -> None:
    period = parse_period(args)
    if isinstance(period, str):
        ctx.say(period + " For example: /dips impact since 2025-01-01")
        return
    since, until = period
    report = await impact_report.build_report(ctx.session, since, until)
    tag = f"{since.isoformat() if since else ''}:{until.isoformat() if until else ''}"
    ctx.say(report.to_text(), [("Download as CSV", f"imp:{tag}")],
            title=f"Impact report, {report.period_text()}")
    ctx.say("Chart: the EOI funnel and SMEs engaged over time.",
            attachment=Attachment(f"dips-impact-{ctx.today:%Y%m%d}.png",
                                  impact_report.chart_png(report), "image/png"))


async def impact_csv_button(ctx: Ctx, arg: str) -> None:
    since_text, _, until_text = arg.partition(":")
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


async def dips_help(ctx: Ctx, args: str) -> None:
    ctx.say(DIPS_HELP)


Handler = Callable[[Ctx, str], Awaitable[None]]
# subcommand -> (handler, the permission it needs beyond "dips")
SUBCOMMANDS: dict[str, tuple[Handler, str]] = {
    "help": (dips_help, "dips"),
    "challenges": (overview, "dips"),
    "challenge": (challenge_detail, "dips"),
    "eois": (list_eois, "eois"),
    "eoi": (show_eoi, "eoi"),
    "stage": (stage, "stage"),
    "export": (export, "export"),
    "impact": (impact, "impact"),
    "questions": (questions, "questions"),
    **{name: (handler, cases.PERMISSION) for name, handler in cases.SUBCOMMANDS.items()},
    # admin-only actions (the roles table decides), so Slack's one slash command reaches them
    "publish": (broadcast.publish, "publish"),
    "broadcast": (broadcast.broadcast, "broadcast"),
    "audit": (show_audit, "audit"),
}


async def dips(ctx: Ctx, args: str) -> None:
    """`/dips SUB args`: the officers' commands behind one entry."""
    sub, _, rest = args.strip().partition(" ")
    entry = SUBCOMMANDS.get(sub.lower())
    if entry is None:
        if sub:
            ctx.say(f"I don't know /dips {sub[:30]}.")
        await dips_help(ctx, "")
        return
    handler, permission = entry
    if not allowed(ctx.role, permission):
        who = "council officers" if allowed("officer", permission) else "admins"
        ctx.say(f"Sorry, /dips {sub.lower()} is only available to {who}.")
        return
    await handler(ctx, rest.strip())


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
                         buttons(*[[(e.reference, f"oe:{e.id}")] for e in recent[-5:]]),
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
            buttons([("Details", f"oe:{e.id}"),
                     ("Exploration", f"stg:{e.id}:exploration@{e.stage}"),
                     ("Not selected", f"stg:{e.id}:not-selected@{e.stage}")])))
    return replies


def register(core: Core) -> None:
    core.command("eois", list_eois)
    core.command("eoi", show_eoi)
    core.command("stage", stage)
    core.command("questions", questions)
    core.command("dips", dips)
    core.command("export", export)
    core.command("impact", impact)
    core.command("dashboard", dashboard)
    core.button("stg", stage_button, "stage")
    core.button("oe", show_eoi, "eoi")
    core.button("och", challenge_detail, "dips")
    core.button("exp", export, "export")
    core.button("imp", impact_csv_button, "impact")
