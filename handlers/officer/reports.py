"""Officers' reports: the impact figures (text, chart and CSV) and the dashboard."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain import impact as impact_report
from handlers.domain.buttons import OfficerEoi
from handlers.domain.chart import chart_png
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Attachment, Reply, buttons
from handlers.kernel.router import Router
from handlers.kernel.validation import clean
from handlers.officer.challenges import counts_text, deadline
from storage import challenges, eois
from storage.audit import audit
from storage.cases import open_cases

router = Router("officer.reports")


class ImpactCsv(CallbackData, prefix="imp"):
    since: str = ""
    until: str = ""


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
                                  chart_png(report), "image/png"))


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


# ---- the dashboard ----

@router.command("dashboard")
async def dashboard(ctx: Ctx, args: str) -> None:
    """The officers' at-a-glance view (Slack's App Home; /dashboard elsewhere)."""
    for reply in await dashboard_replies(ctx.session, ctx.today, ctx.core.clock()):
        ctx.out.replies.append(reply)


async def dashboard_replies(session: AsyncSession, today: date, now: datetime) -> list[Reply]:
    open_rows = await challenges.list_challenges(session, open_on=today)
    counts = await challenges.eoi_counts_by_stage(session)
    lines = [f"\u2022 {c.title} [{c.ref}]: {deadline(c)}; {counts_text(counts.get(c.id, {}))}"
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
