"""Open challenges for SMEs: the paged list, a challenge's details, and matching results."""

from __future__ import annotations

from typing import Any

from handlers.kernel.callbacks import CANCEL_ROW, Resume
from handlers.kernel.context import Ctx
from handlers.kernel.flows import Flow, Step
from handlers.kernel.router import Router
from handlers.kernel.validation import clean, parse_id
from handlers.sme.buttons import OPEN_LIST, SUBSCRIBE, AskAbout, Interest, OpenList, ShowChallenge
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
        ctx.say("There are no open challenges at the moment. /subscribe and I'll tell you when "
                "a new one opens.", [("Tell me about new challenges", SUBSCRIBE)])
        return
    pages = (len(rows) + PAGE - 1) // PAGE
    page = min(page, pages - 1)
    shown = rows[page * PAGE:(page + 1) * PAGE]
    lines = [f"\u2022 {c.title} ({c.department}){_closes(c)}\n   reference: {c.ref}" for c in shown]
    nav = []
    if page > 0:
        nav.append(("\u2190 Previous", OpenList(page - 1)))
    if page < pages - 1:
        nav.append(("Next \u2192", OpenList(page + 1)))
    ctx.say(f"Open challenges (page {page + 1} of {pages}):\n\n" + "\n".join(lines),
            *[[(c.title[:60], ShowChallenge(c.ref))] for c in shown], *([nav] if nav else []))


def _closes(challenge) -> str:  # type: ignore[no-untyped-def]
    return f", closes {challenge.closes:%d %b %Y}" if challenge.closes else ""


async def visible_challenge(ctx: Ctx, ref: str) -> Challenge | None:
    """The challenge called `ref` if this person may see it (drafts are for staff only)."""
    ref = clean(ref).lower()[:64]
    challenge = await challenges.get_challenge(ctx.session, ref) if ref else None
    if challenge is None or (challenge.status == "draft" and ctx.role not in ("officer", "admin")):
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
        ctx.say(f"I can't find a challenge called \u201c{clean(ref)[:64]}\u201d.",
                [("Open challenges", OPEN_LIST)])
        return
    is_open = challenge.is_open(ctx.today)
    lines = [challenge.summary, "", f"Department: {challenge.department}",
             f"Tags: {', '.join(challenge.tags)}"]
    if challenge.closes:
        lines.append(f"Closing date: {challenge.closes:%d %B %Y}")
    if challenge.budget:
        lines.append(f"Budget: {challenge.budget}")
    if challenge.url:
        lines.append(f"Full brief: {challenge.url}")
    if challenge.sample:
        lines.append("(Sample challenge based on the DIPS action plan.)")
    if not is_open:
        lines.append("\nThis challenge is not open for expressions of interest.")
    published = await clarifications(ctx.session, challenge.id)
    if published:  # answers officers gave one bidder, shared with all of them
        lines.append("\nClarifications:")
        lines += [f"{i}. Q: {c.question[:500]}\n   A: {c.answer[:1000]}"
                  for i, c in enumerate(published[-10:], max(1, len(published) - 9))]
    rows: list[list[tuple[str, Any]]] = [[("Register interest", Interest(challenge.ref))]] if is_open else []
    rows.append([("Ask an officer about this", AskAbout(challenge.ref[:58]))])
    rows.append([("Open challenges", OPEN_LIST)])
    ctx.say("\n".join(lines), *rows, title=f"{challenge.title} [{challenge.ref}]")


@router.command("match")
async def show_matches(ctx: Ctx, text: str) -> None:
    """Rank open challenges against what the business does, saying why each matched."""
    text = clean(text)
    if not text:
        ctx.say("Tell me what your business does, for example /match we make air quality sensors")
        return
    if ctx.core.index is None:
        await list_open(ctx, "0")
        return
    matcher = await ctx.core.index.matcher(ctx.session)
    found = matcher.match(text, limit=5)
    if not found:
        ctx.say("I couldn't find an open challenge that fits that well. Here are all the open "
                "challenges, or /subscribe to hear about new ones.",
                [("Open challenges", OPEN_LIST), ("Tell me about new ones", SUBSCRIBE)])
        return
    lines = [f"{i}. {m.title} ({m.department})\n   matched on: {', '.join(m.matched)}"
             for i, m in enumerate(found, 1)]
    rows = [[(f"{i}. Details", ShowChallenge(m.ref)), (f"{i}. Register interest", Interest(m.ref))]
            for i, m in enumerate(found, 1)]
    ctx.say("These open challenges fit what you do:\n\n" + "\n".join(lines), *rows)


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
        ctx.say("Please finish or /cancel what you're doing first.", [("Carry on", Resume())])
        return
    await ctx.begin(FIND)


async def prompt_find(ctx: Ctx) -> None:
    ctx.say("Tell me in a sentence what your business does or offers, for example "
            "\u201cwe make low-cost air quality sensors\u201d, and I'll find challenges that fit.",
            CANCEL_ROW)


async def step_describe(ctx: Ctx, text: str) -> None:
    ctx.finish()
    await show_matches(ctx, text)


FIND = router.flow(Flow("find", action="find", steps=(Step("describe", prompt_find, step_describe),)))
