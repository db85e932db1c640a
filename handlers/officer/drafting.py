"""Drafting a challenge in chat and its approval by a second person.

`/dips draft` (Slack: a modal; elsewhere `key: value` lines), `/dips drafts`, `/dips submit
REF`, and for admins `/dips approve REF [DATE]` and `/dips sendback REF COMMENT`. The rules
are handlers/domain/drafts.py; approving for today publishes and offers the broadcast preview.
"""

from __future__ import annotations

from handlers.domain import drafts
from handlers.domain.departments import scope_of
from handlers.domain.draft_notices import tell
from handlers.domain.officer_buttons import DraftEdit, DraftNew, DraftSendBack
from handlers.domain.outbound import to_payload
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Reply, buttons
from handlers.kernel.roles import ADMIN
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.kernel.validation import clean
from storage import deliveries, reviews
from storage.models import Challenge
from storage.officer_models import ChallengeReview

router = Router("officer.drafting")


class DraftSubmit(CallbackData, prefix="drs"):
    ref: str


class DraftApprove(CallbackData, prefix="dra"):
    ref: str


class DraftReview(CallbackData, prefix="drv"):
    """From the approval notice: the draft as it would be published, then approve or send back."""

    ref: str




def _summary(c: Challenge, r: ChallengeReview) -> str:
    lines = [t("drafts.line", title=c.title, ref=c.ref, department=c.department,
               state=t(f"drafts.state.{r.state}"), author=r.author)]
    if r.comment:
        lines.append(t("drafts.comment", comment=r.comment))
    if r.publish_on:
        lines.append(t("drafts.publish_on", date=r.publish_on.date().isoformat()))
    return "\n".join(lines)


def _preview(c: Challenge) -> str:
    fields = {"title": c.title, "department": c.department, "summary": c.summary,
              "tags": ", ".join(c.tags)}
    return "\n".join((
        t("drafts.shown", title=c.title, ref=c.ref, department=c.department, summary=c.summary,
          closes=c.closes.isoformat() if c.closes else t("officer_challenges.no_closing_date"),
          budget=c.budget or "-", contact=c.contact or "-", tags=", ".join(c.tags)),
        t("drafts.matched_by", terms=", ".join(drafts.derived_terms(fields)) or "-")))


@router.command("draft", dips=True, top=False)
async def draft(ctx: Ctx, args: str) -> None:
    """`/dips draft` (the format), `/dips draft FIELDS`, `/dips draft edit REF FIELDS`."""
    text = args.strip()
    ref = None
    if text.lower().startswith("edit "):
        ref, _, text = text[5:].strip().partition(" ")
        ref = clean(ref).lower()[:64]
    if not text:
        ctx.say(t("drafts.usage"), [(t("drafts.new_button"), DraftNew())])
        return
    fields = {k: clean(v, keep_newlines=k == "summary") for k, v in drafts.parse_fields(text).items()}
    found = drafts.problems(fields, ctx.today)
    if found:
        ctx.say(t("drafts.not_saved", problems="\n".join(f"\u2022 {t(v)}" for v in found.values())))
        return
    outcome = await drafts.save(ctx.session, ctx.actor, fields, ref, ctx.role == ADMIN)
    if outcome.problem or outcome.challenge is None:
        ctx.say(t(f"drafts.problem.{outcome.problem}", ref=ref or ""))
        return
    c = outcome.challenge
    ctx.say(t("drafts.saved", ref=c.ref) + "\n\n" + _preview(c),
            [(t("drafts.edit_button"), DraftEdit(c.ref)),
             (t("drafts.submit_button"), DraftSubmit(c.ref))])


@router.button(DraftNew, action="draft")
async def draft_new(ctx: Ctx, _: DraftNew) -> None:
    ctx.say(t("drafts.usage"))


async def _readable(ctx: Ctx, ref: str) -> Challenge | None:
    """A draft this officer may read (their own, or their departments'; admins: any), or None
    with the same answer as for no draft at all."""
    found = await drafts.find(ctx.session, ref)
    c, r = found.challenge, found.review
    if c is None or r is None or not (
            r.author == ctx.actor or (await scope_of(ctx.session, ctx.identity)).covers(c.department)):
        ctx.say(t("drafts.problem.not_a_draft", ref=ref[:64]))
        return None
    return c


@router.button(DraftEdit, action="draft")
async def draft_edit(ctx: Ctx, pressed: DraftEdit) -> None:
    c = await _readable(ctx, pressed.ref)
    if c is not None:
        ctx.say(_preview(c) + "\n\n" + t("drafts.edit_usage", ref=c.ref))


@router.button(DraftReview, action="approve")
async def draft_review(ctx: Ctx, pressed: DraftReview) -> None:
    c = await _readable(ctx, pressed.ref)
    if c is not None:
        ctx.say(_preview(c) + "\n\n" + t("drafts.review_usage", ref=c.ref),
                [(t("drafts.approve_button"), DraftApprove(c.ref)),
                 (t("drafts.sendback_button"), DraftSendBack(c.ref))])


@router.command("drafts", action="draft", dips=True, top=False)
async def list_drafts(ctx: Ctx, args: str) -> None:
    rows = await drafts_for(ctx)
    if not rows:
        ctx.say(t("drafts.none"), [(t("drafts.new_button"), DraftNew())])
        return
    admin = ctx.role == ADMIN
    keyboard = []
    for c, r in rows[:15]:
        row = []
        if r.state in drafts.EDITABLE and (r.author == ctx.actor or admin):
            row += [(t("drafts.edit_button"), DraftEdit(c.ref)),
                    (t("drafts.submit_button"), DraftSubmit(c.ref))]
        if admin and r.state == "submitted" and r.author != ctx.actor:
            row += [(t("drafts.approve_button"), DraftApprove(c.ref)),
                    (t("drafts.sendback_button"), DraftSendBack(c.ref))]
        if row:
            keyboard.append(row)
    ctx.say("\n\n".join(_summary(c, r) for c, r in rows[:15]), *keyboard,
            title=t("drafts.title", n=len(rows)))




async def drafts_for(ctx: Ctx) -> list[tuple[Challenge, ChallengeReview]]:
    """An officer's own drafts and their departments' (admins: all)."""
    scope = await scope_of(ctx.session, ctx.identity)
    return [(c, r) for c, r in await reviews.drafts(ctx.session)
            if r.author == ctx.actor or scope.covers(c.department)]


@router.command("submit", action="draft", dips=True, top=False)
async def submit(ctx: Ctx, args: str) -> None:
    ref = clean(args).lower()[:64]
    outcome = await drafts.submit(ctx.session, ref, ctx.actor, ctx.role == ADMIN, ctx.core.clock())
    if outcome.problem or outcome.challenge is None:
        ctx.say(t(f"drafts.problem.{outcome.problem or 'not_a_draft'}", ref=ref))
        return
    c = outcome.challenge
    await deliveries.enqueue_for_officers(ctx.session, "notice", to_payload(Reply(
        t("drafts.for_approval", title=c.title, ref=c.ref, department=c.department),
        buttons([(t("drafts.review_button"), DraftReview(c.ref)),
                 (t("drafts.sendback_button"), DraftSendBack(c.ref))]))))
    ctx.say(t("drafts.submitted", ref=c.ref))


@router.button(DraftSubmit, action="draft")
async def submit_button(ctx: Ctx, pressed: DraftSubmit) -> None:
    await submit(ctx, pressed.ref)


@router.command("approve", dips=True, top=False)
async def approve(ctx: Ctx, args: str) -> None:
    words = clean(args).lower().split()
    if not words:
        ctx.say(t("drafts.approve_usage"))
        return
    publish_on = drafts.closing_date(words[1]) if len(words) > 1 else None
    if len(words) > 1 and publish_on is None:
        ctx.say(t("drafts.approve_usage"))
        return
    outcome = await drafts.decide(ctx.session, words[0][:64], ctx.actor, ctx.core.clock(),
                                  approve=True, publish_on=publish_on)
    if outcome.problem or outcome.challenge is None or outcome.review is None:
        ctx.say(t(f"drafts.problem.{outcome.problem or 'not_a_draft'}", ref=words[0][:64]))
        return
    c, r = outcome.challenge, outcome.review
    if r.state == "approved" and r.publish_on:
        day = r.publish_on.date().isoformat()
        await _tell_author(ctx, r, t("drafts.told_approved_for", title=c.title, ref=c.ref, date=day))
        ctx.say(t("drafts.approved_for", ref=c.ref, date=day))
        return
    await _tell_author(ctx, r, t("drafts.told_published", title=c.title, ref=c.ref))
    ctx.say(t("drafts.published", ref=c.ref))
    await ctx.run("broadcast", c.ref, "dips")  # the announcement's preview: audience, confirm


@router.button(DraftApprove, action="approve")
async def approve_button(ctx: Ctx, pressed: DraftApprove) -> None:
    await approve(ctx, pressed.ref)


@router.command("sendback", action="approve", dips=True, top=False)
async def send_back(ctx: Ctx, args: str) -> None:
    ref, _, comment = clean(args).partition(" ")
    ref, comment = ref.lower()[:64], comment.strip()[:1000]
    if not ref or not comment:
        ctx.say(t("drafts.sendback_usage"))
        return
    outcome = await drafts.decide(ctx.session, ref, ctx.actor, ctx.core.clock(), approve=False,
                                  comment=comment)
    if outcome.problem or outcome.challenge is None or outcome.review is None:
        ctx.say(t(f"drafts.problem.{outcome.problem or 'not_a_draft'}", ref=ref))
        return
    c = outcome.challenge
    await _tell_author(ctx, outcome.review, t("drafts.told_sent_back", title=c.title, ref=c.ref,
                                                comment=comment),
                       [(t("drafts.edit_button"), DraftEdit(c.ref))])
    ctx.say(t("drafts.sent_back", ref=c.ref))


@router.button(DraftSendBack, action="approve")
async def send_back_button(ctx: Ctx, pressed: DraftSendBack) -> None:
    ctx.say(t("drafts.sendback_usage_for", ref=pressed.ref[:64]))


async def _tell_author(ctx: Ctx, review: ChallengeReview, text: str,
                       rows: list[tuple[str, CallbackData]] | None = None) -> None:
    await tell(ctx.session, review.author, text, rows)
