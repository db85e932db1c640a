"""Officers' reports: the impact figures (text, chart and CSV) and the dashboard."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain import impact as impact_report
from handlers.domain.buttons import OfficerEoi
from handlers.domain.chart import chart_png
from handlers.domain.departments import EVERYTHING, Scope, scope_of, visible_cases
from handlers.domain.officer_buttons import DraftNew
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Attachment, Reply, buttons
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.kernel.validation import clean
from handlers.officer.challenges import counts_text, deadline, sample_tag
from storage import challenges, eois
from storage.audit import audit
from storage.cases import open_cases
from storage.versions import shown_details

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
            return t("reports.not_a_date", word=word[:20])
        try:
            day = date.fromisoformat(word)
        except ValueError:
            return t("reports.invalid_date", word=word)
        if target == "since":
            since, target = day, "until"
        else:
            until = day
    if since and until and until <= since:
        return t("reports.end_before_start")
    return since, until


@router.command("impact", dips=True)
async def impact(ctx: Ctx, args: str) -> None:
    period = parse_period(args)
    if isinstance(period, str):
        ctx.say(t("reports.period_example", problem=period))
        return
    since, until = period
    report = await impact_report.build_report(ctx.session, since, until)
    tag = ImpactCsv(since.isoformat() if since else "", until.isoformat() if until else "")
    ctx.say(report.to_text(), [(t("reports.download_csv"), tag)],
            title=t("reports.impact_title", period=report.period_text()))
    ctx.say(t("reports.chart"),
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
    ctx.say(t("reports.csv", period=report.period_text()),
            attachment=Attachment(f"dips-impact-{ctx.today:%Y%m%d}.csv", report.to_csv(), "text/csv"))


# ---- the dashboard ----

@router.command("dashboard")
async def dashboard(ctx: Ctx, args: str) -> None:
    """The officers' at-a-glance view (Slack's App Home; /dashboard elsewhere)."""
    scope = await scope_of(ctx.session, ctx.identity)
    for reply in await dashboard_replies(ctx.session, ctx.today, ctx.core.clock(), scope):
        ctx.out.replies.append(reply)
    ctx.say(t("drafts.home"), [(t("drafts.new_button"), DraftNew())])  # App Home: draft one


async def dashboard_replies(session: AsyncSession, today: date, now: datetime,
                            scope: Scope = EVERYTHING) -> list[Reply]:
    open_rows = await challenges.list_challenges(session, open_on=today)
    counts = await challenges.eoi_counts_by_stage(session)
    lines = [f"\u2022 {c.title}{sample_tag(c)} [{c.ref}]: {deadline(c)}; {counts_text(counts.get(c.id, {}))}"
             for c in open_rows[:15]]
    if len(open_rows) > 15:
        lines.append(t("reports.more_open", n=len(open_rows) - 15))
    replies = [Reply("\n".join(lines) or t("reports.none_open"),
                     title=t("reports.open_title", n=len(open_rows)))]
    week_ago = now - timedelta(days=7)
    recent = [e for e in scope.eois(await eois.list_eois(session)) if e.created_at >= week_ago]
    shown = [(e, shown_details(e)) for e in recent[-10:]]
    lines = [t("reports.recent_line", reference=e.reference, organisation=d["org_name"],
               city=d["city"], ref=e.challenge.ref, date=e.created_at) for e, d in shown]
    replies.append(Reply("\n".join(lines) or t("reports.none_recent"),
                         buttons(*[[(e.reference, OfficerEoi(e.id))] for e in recent[-5:]]),
                         title=t("reports.recent_title", n=len(recent))))
    waiting = await visible_cases(session, scope, await open_cases(session))
    lines = [f"#{q.id} {q.asked_at:%d %b}: {q.text[:200]}" for q in waiting[:5]]
    replies.append(Reply("\n".join(lines) or t("reports.none_waiting"),
                         title=t("reports.waiting_title", n=len(waiting))))
    report = await impact_report.build_report(session)
    replies.append(Reply("\n".join((
        t("impact.smes", count=report.smes_engaged),
        t("impact.departments", count=report.departments_engaged),
        t("impact.officers", count=report.officers_engaged),
        t("impact.partner_cities", count=report.partner_city_smes),
        t("impact.other_countries", count=report.other_country_smes))),
        title=t("reports.impact_so_far")))
    return replies
