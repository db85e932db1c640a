"""Assessing EOIs against criteria: `/dips score ID` (Slack: a form with a score and a comment
per criterion), `/dips ranking REF`, and `/dips feedback ID` (review, then send, the feedback
for an SME not selected). The rules are handlers/domain/assessment.py.
"""

from __future__ import annotations

import json
import re

from handlers.domain import assessment
from handlers.domain.departments import may_see_eoi, scope_of
from handlers.domain.export import ranking_csv
from handlers.domain.officer_buttons import AssessEoi, FeedbackOpen
from handlers.domain.outbound import notify
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Attachment, Reply
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.kernel.validation import clean
from handlers.officer.stages import eoi_id
from storage import challenges, eois
from storage.audit import audit
from storage.models import Challenge, Eoi, Identity
from storage.officer_models import Feedback
from storage.versions import shown_details

router = Router("officer.assessing")


class FeedbackRemove(CallbackData, prefix="fbr"):
    eoi_id: int
    item: int


class FeedbackSend(CallbackData, prefix="fbs"):
    eoi_id: int


_PAIR = re.compile(r"([a-z]+)\s*=\s*(\S+)")


async def _eoi(ctx: Ctx, ref: str, usage: str) -> Eoi | None:
    number = eoi_id(ref)
    found = await eois.get_eoi(ctx.session, number) if number else None
    if found is None:
        ctx.say(usage)
        return None
    if not await may_see_eoi(ctx.session, ctx.identity, found):
        ctx.say(t("departments.not_yours", reference=found.reference))
        return None
    return found


@router.command("score", action="assess", dips=True, top=False)
async def score(ctx: Ctx, args: str) -> None:
    """`/dips score ID` (the criteria), `/dips score ID fit=4 team=3 ...`, or the form's JSON."""
    ref, _, rest = args.strip().partition(" ")
    eoi = await _eoi(ctx, ref, t("assess.usage"))
    if eoi is None:
        return
    criteria = await assessment.criteria_of(ctx.session, eoi.challenge_id)
    rest = rest.strip()
    if not rest:
        ctx.say(t("assess.criteria", reference=eoi.reference, lines="\n".join(
            t("assess.criterion", code=c.key, label=c.label, weight=c.weight) for c in criteria)),
            [(t("assess.button"), AssessEoi(eoi.id))])
        return
    if rest.startswith("{"):
        try:
            given = json.loads(rest)
        except ValueError:
            given = {}
        scores = {str(k): str(v) for k, v in dict(given.get("scores") or {}).items()}
        comments = {str(k): clean(str(v), keep_newlines=True)
                    for k, v in dict(given.get("comments") or {}).items()}
    else:
        scores, comments = dict(_PAIR.findall(rest.lower())), {}
    problem = await assessment.record(ctx.session, eoi, ctx.actor, scores, comments)
    if problem:
        ctx.say(t("assess.score_bad_typed", keys=" ".join(f"{c.key}=N" for c in criteria)))
        return
    ranked = [r for r in await assessment.ranking(ctx.session, eoi.challenge_id, eoi.challenge.ref)
              if r.eoi.id == eoi.id]
    mine = ranked[0] if ranked else None
    ctx.say(t("assess.saved", reference=eoi.reference,
              score=f"{mine.score:.2f}" if mine and mine.score is not None else "-",
              n=len(mine.totals) if mine else 0))


@router.button(AssessEoi, action="assess")
async def assess_button(ctx: Ctx, pressed: AssessEoi) -> None:
    await score(ctx, str(pressed.eoi_id))


async def challenge_of_mine(ctx: Ctx, ref: str, usage: str) -> Challenge | None:
    """The challenge REF names if it is of the officer's departments; else says why (or how,
    with the wording key `usage` when no REF was given) and gives None."""
    ref = ref[:64]
    challenge = await challenges.get_challenge(ctx.session, ref) if ref else None
    if challenge is None:
        ctx.say(t(usage) if not ref else t("officer_challenges.no_such", ref=ref))
        return None
    if not (await scope_of(ctx.session, ctx.identity)).covers(challenge.department):
        ctx.say(t("departments.not_your_challenge", ref=challenge.ref))
        return None
    return challenge


@router.command("ranking", dips=True, top=False)
async def ranking(ctx: Ctx, args: str) -> None:
    challenge = await challenge_of_mine(ctx, clean(args).lower().split(" ")[0], "assess.ranking_usage")
    if challenge is None:
        return
    rows = await assessment.ranking(ctx.session, challenge.id, challenge.ref)
    lines = []
    for n, r in enumerate(rows[:50], 1):
        name = shown_details(r.eoi)["org_name"] or "-"
        if r.score is None:
            lines.append(t("assess.rank_unscored", reference=r.eoi.reference, organisation=name))
            continue
        line = t("assess.rank_line", n=n, reference=r.eoi.reference, organisation=name,
                 score=f"{r.score:.2f}", assessors=len(r.totals))
        if r.disagree:
            line += t("assess.rank_spread", spread=f"{r.spread:.2f}")
        if r.missing:
            line += t("assess.rank_missing", n=r.missing)
        lines.append(line)
    ctx.say("\n".join(lines) or t("officer_challenges.no_eois"),
            title=t("assess.ranking_title", title=challenge.title, ref=challenge.ref),
            attachment=Attachment(f"dips-ranking-{challenge.ref}-{ctx.today:%Y%m%d}.csv",
                                  ranking_csv(rows), "text/csv"))


# ---- feedback to an SME not selected ----

def _feedback_text(eoi: Eoi, feedback: Feedback) -> str:
    items = assessment.kept_items(feedback)
    body = "\n".join(t("sme_feedback.item", criterion=i["criterion"], text=i["text"]) for i in items)
    return t("sme_feedback.to_sme", reference=eoi.reference, title=eoi.challenge.title,
             items=body or t("sme_feedback.no_comments"))


async def _unsent_feedback(ctx: Ctx, arg: str) -> tuple[Eoi, Feedback] | None:
    """The EOI (not selected, of the officer's departments) and its feedback not yet sent."""
    eoi = await _eoi(ctx, arg, t("feedback.usage"))
    if eoi is None:
        return None
    if eoi.stage != "not-selected":
        ctx.say(t("feedback.not_declined", reference=eoi.reference))
        return None
    row = await assessment.feedback_draft(ctx.session, eoi)
    if row.status == "sent":
        ctx.say(t("feedback.already_sent", reference=eoi.reference))
        return None
    return eoi, row


@router.command("feedback", dips=True, top=False)
async def feedback(ctx: Ctx, args: str) -> None:
    found = await _unsent_feedback(ctx, args.strip().split(" ")[0])
    if found is None:
        return
    eoi, row = found
    lines = [t("feedback.review_line", id=i["id"], criterion=i["criterion"], text=i["text"])
             for i in row.items if i.get("kept")]
    removes = [[(t("feedback.remove", id=i["id"]), FeedbackRemove(eoi.id, int(i["id"])))]
               for i in row.items if i.get("kept")][:20]
    ctx.say(t("feedback.review", reference=eoi.reference, lines="\n".join(lines) or "-")
            + "\n\n" + t("feedback.sme_will_read") + "\n\n" + _feedback_text(eoi, row),
            *removes, [(t("feedback.send"), FeedbackSend(eoi.id))])


@router.button(FeedbackOpen, action="feedback")
async def feedback_open(ctx: Ctx, pressed: FeedbackOpen) -> None:
    await feedback(ctx, str(pressed.eoi_id))


@router.button(FeedbackRemove, action="feedback")
async def feedback_remove(ctx: Ctx, pressed: FeedbackRemove) -> None:
    eoi = await _eoi(ctx, str(pressed.eoi_id), t("feedback.usage"))
    if eoi is None:
        return
    row = await assessment.feedback_draft(ctx.session, eoi)
    if assessment.remove(row, pressed.item):
        await audit(ctx.session, ctx.actor, "feedback_remove", eoi.reference, item=pressed.item)
    await feedback(ctx, str(eoi.id))


@router.button(FeedbackSend, action="feedback")
async def feedback_send(ctx: Ctx, pressed: FeedbackSend) -> None:
    found = await _unsent_feedback(ctx, str(pressed.eoi_id))
    if found is None:
        return
    eoi, row = found
    sme = await ctx.session.get(Identity, eoi.identity_id) if eoi.identity_id else None
    queued = await notify(ctx.session, sme, "feedback", lambda: Reply(_feedback_text(eoi, row)))
    row.status, row.reviewed_by, row.sent_at = "sent", ctx.actor, ctx.core.clock()
    await audit(ctx.session, ctx.actor, "feedback_send", eoi.reference,
                comments=len(assessment.kept_items(row)))
    ctx.say(t("feedback.sent", reference=eoi.reference) if queued
            else t("feedback.unreachable", reference=eoi.reference))
