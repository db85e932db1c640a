"""The audit log for admins: who did what, and when."""

from __future__ import annotations

from datetime import UTC, date, datetime

from handlers.kernel.context import Ctx
from handlers.kernel.router import Router
from handlers.kernel.text import t
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
            ctx.say(t("audit.usage"))
            return
    rows = await audit_entries(ctx.session, since)
    if not rows:
        ctx.say(t("audit.none_since", since=since) if since else t("audit.none"))
        return
    lines = [f"{a.at:%Y-%m-%d %H:%M} {a.actor} {a.action} {a.target or ''}".rstrip()
             for a in rows[-SHOWN:]]
    if len(rows) > SHOWN:
        ctx.say(t("audit.log_latest", shown=SHOWN, total=len(rows), lines="\n".join(lines)))
    else:
        ctx.say(t("audit.log", lines="\n".join(lines)))

