"""Open challenges for SMEs: the paged list, a challenge's details, and matching results."""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.domain.calendar import CalendarConfig, follow_button, reminders_to_come
from handlers.domain.challenge_text import localised
from handlers.kernel.callbacks import CANCEL_ROW, Resume
from handlers.kernel.context import Ctx
from handlers.kernel.flows import Flow, Step
from handlers.kernel.roles import is_staff
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.kernel.validation import clean, parse_id
from handlers.sme.buttons import (
    OPEN_LIST,
    SUBSCRIBE,
    AskAbout,
    Interest,
    OpenList,
    PartnersOf,
    ShowChallenge,
)
from storage import challenges
from storage.cases import clarifications
from storage.models import Challenge

PAGE = 5

router = Router("sme.challenges")


@router.button(OpenList, action="challenges")
async def list_button(ctx: Ctx, pressed: OpenList) -> None:
    await list_open(ctx, str(pressed.page))


async def list_open(ctx: Ctx, arg: str) -> None:
    """Open challenges, five to a page."""
    page = min(parse_id(arg) or 0, 10_000)
    rows = await challenges.list_challenges(ctx.session, open_on=ctx.today)
    if not rows:
        ctx.say(t("challenges.none_open"), [(t("challenges.tell_me_new"), SUBSCRIBE)])
        return
    pages = (len(rows) + PAGE - 1) // PAGE
    page = min(page, pages - 1)
    shown = rows[page * PAGE:(page + 1) * PAGE]
    lines = [t("challenges.line", title=localised(c)[0], sample=sample_tag(c),
               department=c.department, closes=_closes(c), ref=c.ref)
             for c in shown]
    nav = []
    if page > 0:
        nav.append((t("challenges.previous"), OpenList(page - 1)))
    if page < pages - 1:
        nav.append((t("challenges.next"), OpenList(page + 1)))
    ctx.say(t("challenges.page", page=page + 1, pages=pages, lines="\n".join(lines)),
            *[[(localised(c)[0][:60], ShowChallenge(c.ref))] for c in shown], *([nav] if nav else []))


def sample_tag(challenge: Challenge) -> str:
    """" [sample]" after a sample challenge's title wherever it is listed."""
    return " " + t("challenges.sample_tag") if challenge.sample else ""


def _closes(challenge: Challenge) -> str:
    return t("challenges.closes", date=challenge.closes) if challenge.closes else ""


async def visible_challenge(ctx: Ctx, ref: str) -> Challenge | None:
    """The challenge called `ref` if this person may see it (drafts are for staff only)."""
    ref = clean(ref).lower()[:64]
    challenge = await challenges.get_challenge(ctx.session, ref) if ref else None
    if challenge is None or (challenge.status == "draft" and not is_staff(ctx.role)):
        return None
    return challenge


@router.button(ShowChallenge, action="challenge")
async def details_button(ctx: Ctx, pressed: ShowChallenge) -> None:
    await details(ctx, pressed.ref)


@router.command("challenge")
async def details(ctx: Ctx, ref: str) -> None:
    """`ch:<ref>` and `/start <ref>`: one challenge in full."""
    challenge = await visible_challenge(ctx, ref)
    if challenge is None:
        ctx.say(t("challenges.not_found", ref=clean(ref)[:64]), [(t("button.open_challenges"), OPEN_LIST)])
        return
    is_open = challenge.is_open(ctx.today)
    title_text, summary, in_their_language = localised(challenge)
    lines = [summary, *([] if in_their_language else ["", t("language.officers_read_english")]),
             "", t("challenges.department", department=challenge.department),
             t("challenges.tags", tags=", ".join(challenge.tags))]
    if challenge.closes:
        lines.append(t("challenges.closing_date", date=challenge.closes))
    if challenge.budget:
        lines.append(t("challenges.budget", budget=challenge.budget))
    if challenge.url:
        lines.append(t("challenges.brief", url=challenge.url))
    if challenge.sample:
        lines.append(t("challenges.sample"))
    if not is_open:
        lines += ["", t("challenges.not_open")]
    published = await clarifications(ctx.session, challenge.id)
    if published:  # answers officers gave one bidder, shared with all of them
        lines += ["", t("challenges.clarifications")]
        lines += [t("challenges.clarification", n=i, question=c.question[:500], answer=c.answer[:1000])
                  for i, c in enumerate(published[-10:], max(1, len(published) - 9))]
    rows: list[list[tuple[str, Any]]] = (
        [[(t("button.register_interest"), Interest(challenge.ref)),
          follow_button(challenge.ref)]]
        if is_open and coming(ctx, challenge.closes) else
        [[(t("button.register_interest"), Interest(challenge.ref))]] if is_open else [])
    rows.append([(t("challenges.ask_officer"), AskAbout(challenge.ref[:58])),
                 (t("partners.find_partners"), PartnersOf(challenge.ref[:60]))])
    rows.append([(t("button.open_challenges"), OPEN_LIST)])
    title = t("challenges.title", title=title_text + sample_tag(challenge), ref=challenge.ref)
    ctx.say("\n".join(lines), *rows, title=title)


@router.command("match")
async def show_matches(ctx: Ctx, text: str) -> None:
    """Rank open challenges against what the business does, saying why each matched."""
    text = clean(text)
    if not text:
        ctx.say(t("challenges.match_usage"))
        return
    if ctx.core.index is None:
        await list_open(ctx, "0")
        return
    matcher = await ctx.core.index.matcher(ctx.session)
    found = matcher.match(text, limit=5)
    if not found:
        ctx.say(t("challenges.no_match"),
                [(t("button.open_challenges"), OPEN_LIST), (t("challenges.tell_me_new_ones"), SUBSCRIBE)])
        return
    samples = {c.ref for c in await challenges.list_challenges(ctx.session, open_on=ctx.today)
               if c.sample}
    lines = [t("challenges.match_line", n=i, department=m.department, matched=", ".join(m.matched),
               title=m.title + (" " + t("challenges.sample_tag") if m.ref in samples else ""))
             for i, m in enumerate(found, 1)]
    rows = [[(t("challenges.details_n", n=i), ShowChallenge(m.ref)),
             (t("challenges.register_n", n=i), Interest(m.ref))]
            for i, m in enumerate(found, 1)]
    ctx.say(t("challenges.matches", lines="\n".join(lines)), *rows)


@router.command("challenges")
async def challenges_command(ctx: Ctx, args: str) -> None:
    await list_open(ctx, args)


@router.command("find")
async def start_find(ctx: Ctx, args: str = "") -> None:
    """The "find challenges" entry: the next thing typed is matched, whatever it looks like."""
    if args.strip():
        await show_matches(ctx, args)
        return
    if ctx.flow is not None:
        ctx.say(t("kernel.busy"), [(t("button.carry_on"), Resume())])
        return
    await ctx.begin(FIND)


async def prompt_find(ctx: Ctx) -> None:
    ctx.say(t("challenges.find_prompt"), CANCEL_ROW)


async def step_describe(ctx: Ctx, text: str) -> None:
    ctx.finish()
    await show_matches(ctx, text)


FIND = router.flow(Flow("find", action="find", steps=(Step("describe", prompt_find, step_describe),)))


def coming(ctx: Ctx, closes: date | None) -> list[str]:
    """The deadline reminders a follower would still get (none without a closing date)."""
    if closes is None:
        return []
    cfg = CalendarConfig(timezone=ctx.core.config.timezone,
                         closing_time=ctx.core.config.closing_time)
    return reminders_to_come(closes, ctx.core.clock(), cfg)
