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

router = Router("officer.dips")


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
