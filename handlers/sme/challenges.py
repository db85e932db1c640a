"""Open challenges for SMEs: the paged list, a challenge's details, and matching results."""

from __future__ import annotations

from handlers.kernel.core import Core, Ctx
from handlers.kernel.validation import clean, parse_id
from storage import challenges
from storage.cases import clarifications
from storage.models import Challenge

PAGE = 5


async def list_open(ctx: Ctx, arg: str) -> None:
    """`chl:<page>`: open challenges, five to a page."""
    page = min(parse_id(arg) or 0, 10_000)
    rows = await challenges.list_challenges(ctx.session, open_on=ctx.today)
    if not rows:
        ctx.say("There are no open challenges at the moment. /subscribe and I'll tell you when "
                "a new one opens.", [("Tell me about new challenges", "menu:subscribe")])
        return
    pages = (len(rows) + PAGE - 1) // PAGE
    page = min(page, pages - 1)
    shown = rows[page * PAGE:(page + 1) * PAGE]
    lines = [f"\u2022 {c.title} ({c.department}){_closes(c)}\n   reference: {c.ref}" for c in shown]
    nav = []
    if page > 0:
        nav.append(("\u2190 Previous", f"chl:{page - 1}"))
    if page < pages - 1:
        nav.append(("Next \u2192", f"chl:{page + 1}"))
    ctx.say(f"Open challenges (page {page + 1} of {pages}):\n\n" + "\n".join(lines),
            *[[(c.title[:60], f"ch:{c.ref}")] for c in shown], *([nav] if nav else []))


def _closes(challenge) -> str:  # type: ignore[no-untyped-def]
    return f", closes {challenge.closes:%d %b %Y}" if challenge.closes else ""


async def visible_challenge(ctx: Ctx, ref: str) -> Challenge | None:
    """The challenge called `ref` if this person may see it (drafts are for staff only)."""
    ref = clean(ref).lower()[:64]
    challenge = await challenges.get_challenge(ctx.session, ref) if ref else None
    if challenge is None or (challenge.status == "draft" and ctx.role not in ("officer", "admin")):
        return None
    return challenge


async def details(ctx: Ctx, ref: str) -> None:
    """`ch:<ref>` and `/start <ref>`: one challenge in full."""
    challenge = await visible_challenge(ctx, ref)
    if challenge is None:
        ctx.say(f"I can't find a challenge called \u201c{clean(ref)[:64]}\u201d.",
                [("Open challenges", "chl:0")])
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
    rows = [[("Register interest", f"int:{challenge.ref}")]] if is_open else []
    rows.append([("Ask an officer about this", f"askc:{challenge.ref}"[:64])])
    rows.append([("Open challenges", "chl:0")])
    ctx.say("\n".join(lines), *rows, title=f"{challenge.title} [{challenge.ref}]")


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
                [("Open challenges", "chl:0"), ("Tell me about new ones", "menu:subscribe")])
        return
    lines = [f"{i}. {m.title} ({m.department})\n   matched on: {', '.join(m.matched)}"
             for i, m in enumerate(found, 1)]
    rows = [[(f"{i}. Details", f"ch:{m.ref}"), (f"{i}. Register interest", f"int:{m.ref}")]
            for i, m in enumerate(found, 1)]
    ctx.say("These open challenges fit what you do:\n\n" + "\n".join(lines), *rows)


async def challenges_command(ctx: Ctx, args: str) -> None:
    await list_open(ctx, args)


async def start_find(ctx: Ctx, args: str = "") -> None:
    """The "find challenges" entry: the next thing typed is matched, whatever it looks like."""
    if args.strip():
        await show_matches(ctx, args)
        return
    if ctx.flow is not None:
        ctx.say("Please finish or /cancel what you're doing first.", [("Carry on", "resume:")])
        return
    ctx.goto(FIND_FLOW, "describe")
    await prompt_find(ctx)


async def prompt_find(ctx: Ctx) -> None:
    ctx.say("Tell me in a sentence what your business does or offers, for example "
            "\u201cwe make low-cost air quality sensors\u201d, and I'll find challenges that fit.",
            [("Cancel", "cancel:")])


async def step_describe(ctx: Ctx, text: str) -> None:
    ctx.finish()
    await show_matches(ctx, text)


FIND_FLOW = "find"


def register(core: Core) -> None:
    core.flow(FIND_FLOW, {"describe": step_describe})
    core.prompts[FIND_FLOW] = prompt_find
    core.command("find", start_find)
    core.command("challenges", challenges_command)
    core.command("challenge", details)
    core.command("match", show_matches)
    core.button("chl", list_open)
    core.button("ch", details)
