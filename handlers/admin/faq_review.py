"""Admins review officers' FAQ suggestions: `/dips suggestions [accept|reject ID]`."""

from __future__ import annotations

from handlers.domain import faq_review
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Attachment
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.kernel.validation import clean, parse_id
from storage import cases

router = Router("admin.faq_review")


@router.command("suggestions", action="faq_review", dips=True, top=False)
async def suggestions(ctx: Ctx, args: str) -> None:
    verb, _, rest = clean(args).lower().partition(" ")
    if verb in ("accept", "reject"):
        await decide(ctx, verb == "accept", rest)
        return
    if verb:
        ctx.say(t("faq_review.usage"))
        return
    rows = await cases.suggestions(ctx.session, "pending")
    if not rows:
        ctx.say(t("faq_review.none"))
        return
    ctx.say(t("faq_review.list", lines="\n\n".join(
        t("faq_review.line", id=r.id, by=r.suggested_by, question=r.question[:300],
          answer=r.answer[:500]) for r in rows[:20])))


async def decide(ctx: Ctx, accept: bool, rest: str) -> None:
    suggestion_id = parse_id(rest.removeprefix("#"))
    if suggestion_id is None:
        ctx.say(t("faq_review.usage"))
        return
    try:
        row, draft = await faq_review.decide(ctx.session, suggestion_id, accept, ctx.actor,
                                             ctx.today)
    except faq_review.NotPending:
        ctx.say(t("faq_review.not_pending", id=suggestion_id))
        return
    if draft is None:
        ctx.say(t("faq_review.rejected", id=row.id))
        return
    ctx.say(t("faq_review.accepted", id=row.id),
            attachment=Attachment(faq_review.draft_name(row), draft.encode(), "text/yaml"))
