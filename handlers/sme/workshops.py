"""An SME's answer to an exploration workshop invitation: attending, not attending or maybe.
Attending or maybe brings the calendar file (.ics) and a reminder the day before."""

from __future__ import annotations

from handlers.domain import workshops as rules
from handlers.domain.officer_buttons import WorkshopAnswer
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Attachment, Reply
from handlers.kernel.router import Router
from handlers.kernel.text import moment, t
from storage import eois, workshops
from storage.models import Challenge

router = Router("sme.workshops")


@router.button(WorkshopAnswer, action="workshop_answer")
async def answer(ctx: Ctx, pressed: WorkshopAnswer) -> None:
    invite = await workshops.get_invite(ctx.session, pressed.invite_id)
    eoi = await eois.get_eoi(ctx.session, invite.eoi_id) if invite else None
    workshop = await workshops.get_workshop(ctx.session, invite.workshop_id) if invite else None
    # Only the SME whose EOI was invited may answer (a forged press is just an old button).
    if invite is None or eoi is None or workshop is None or eoi.identity_id != ctx.identity.id \
            or pressed.answer not in rules.ANSWERS:
        ctx.say(t("kernel.button_expired"))
        return
    challenge = await ctx.session.get(Challenge, workshop.challenge_id)
    title = challenge.title if challenge else ""
    when = moment(workshop.starts_at.astimezone(rules.LOCAL))
    calendar = Attachment(f"dips-workshop-{workshop.id}.ics",
                          rules.ics(workshop, t("sme_workshop.calendar_title", title=title),
                                    t("sme_workshop.calendar_text", reference=eoi.reference)),
                          "text/calendar")
    reminder = Reply(t("sme_workshop.reminder", title=title, when=when, place=workshop.place),
                     attachment=calendar)  # the day before: the calendar entry again, one tap
    problem = await rules.answer(ctx.session, invite, workshop, ctx.identity, pressed.answer,
                                 ctx.core.clock(), reminder)
    if problem:
        ctx.say(t("sme_workshop.full", title=title) if problem == "full"
                else t("sme_workshop.past", title=title))
        return
    if pressed.answer == "no":
        ctx.say(t("sme_workshop.thanks_no", title=title))
        return
    key = "sme_workshop.thanks_yes" if pressed.answer == "yes" else "sme_workshop.thanks_maybe"
    ctx.say(t(key, title=title, when=when, place=workshop.place), attachment=calendar)
