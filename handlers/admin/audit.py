"""The audit log for admins: who did what, and when."""

from __future__ import annotations

from datetime import UTC, date, datetime

from handlers.kernel.context import Ctx
from handlers.kernel.router import Router
from handlers.kernel.validation import clean
from storage.audit import audit_entries

SHOWN = 50

router = Router("admin.audit")


@router.command("audit", dips=True)
async def show_audit(ctx: Ctx, args: str) -> None:
    """`/audit [since YYYY-MM-DD]`: the latest officer and admin actions."""
    text = clean(args).lower().removeprefix("since").strip()
    since = None
    if text:
        try:
            since = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        except ValueError:
            ctx.say("Usage: /dips audit [since YYYY-MM-DD], for example /dips audit since 2026-11-01")
            return
    rows = await audit_entries(ctx.session, since)
    if not rows:
        ctx.say("No audited actions" + (f" since {since:%d %b %Y}." if since else " yet."))
        return
    lines = [f"{a.at:%Y-%m-%d %H:%M} {a.actor} {a.action} {a.target or ''}".rstrip()
             for a in rows[-SHOWN:]]
    more = f" (latest {SHOWN} of {len(rows)})" if len(rows) > SHOWN else ""
    ctx.say(f"Audit log{more}:\n" + "\n".join(lines))

