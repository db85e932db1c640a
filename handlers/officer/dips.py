"""The officers' single entry, `/dips SUB args`, and its help.

`/dips` is the entry on every platform (Slack's slash command, and the console's `/dips ...`):
the core checks the "dips" permission once, so anyone without the officer or admin role gets
the same polite refusal everywhere; each subcommand is then checked on its own. The
subcommands live with their features: handlers/officer/eois.py, challenges.py, reports.py,
cases.py and handlers/admin.
"""

from __future__ import annotations

from handlers.domain.stages import OFFICER_STAGES
from handlers.kernel.context import Ctx
from handlers.kernel.router import DIPS, Router
from handlers.kernel.text import t

router = Router("officer.dips")


@router.command("help", action="dips", dips=True, top=False)
async def dips_help(ctx: Ctx, args: str) -> None:
    ctx.say(t("dips.help", stages=", ".join(OFFICER_STAGES)) + "\n" + t("officers_tools.help"))


@router.command("dips")
async def dips(ctx: Ctx, args: str) -> None:
    """`/dips SUB args`: the officers' commands behind one entry (each checked on its own)."""
    sub, _, rest = args.strip().partition(" ")
    await ctx.run(sub.lower() or "help", rest.strip(), DIPS)
