"""Exploration workshops for officers: `/dips workshop REF DATE TIME CAPACITY PLACE` (Slack: a
form), `/dips workshops [REF]`, inviting the EOIs at Exploration, the attendance list and
recording who came. The SMEs' side is handlers/sme/workshops.py; the rules
handlers/domain/workshops.py.
"""

from __future__ import annotations

from collections.abc import Callable

from handlers.domain import workshops as rules
from handlers.domain.departments import scope_of
from handlers.domain.officer_buttons import WorkshopAnswer, WorkshopNew
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Reply, buttons
from handlers.kernel.router import Router
from handlers.kernel.text import moment, t
from handlers.kernel.validation import clean, parse_id
from storage import challenges, eois, workshops
from storage.audit import audit
from storage.models import Challenge, Eoi
from storage.officer_models import Workshop, WorkshopInvite
from storage.versions import shown_details

router = Router("officer.workshops")


class WorkshopInviteAll(CallbackData, prefix="wsi"):
    workshop_id: int


class WorkshopAttendance(CallbackData, prefix="wsl"):
    workshop_id: int


class WorkshopCame(CallbackData, prefix="wsc"):
    invite_id: int


def local(workshop: Workshop) -> str:
    """When it starts, in UK time, worded in the reader's language."""
    return moment(workshop.starts_at.astimezone(rules.LOCAL))


def invitation(workshop: Workshop, challenge: Challenge) -> Callable[[WorkshopInvite, Eoi], Reply]:
    def build(invite: WorkshopInvite, eoi: Eoi) -> Reply:
        return Reply(t("sme_workshop.invitation", title=challenge.title, reference=eoi.reference,
                       when=local(workshop), place=workshop.place),
                     buttons([(t("sme_workshop.yes"), WorkshopAnswer(invite.id, "yes")),
                              (t("sme_workshop.maybe"), WorkshopAnswer(invite.id, "maybe")),
                              (t("sme_workshop.no"), WorkshopAnswer(invite.id, "no"))]))
    return build


async def _challenge(ctx: Ctx, ref: str) -> Challenge | None:
    challenge = await challenges.get_challenge(ctx.session, ref) if ref else None
    if challenge is None:
        ctx.say(t("workshops.usage") if not ref else t("officer_challenges.no_such", ref=ref))
        return None
    if not (await scope_of(ctx.session, ctx.identity)).covers(challenge.department):
        ctx.say(t("departments.not_your_challenge", ref=challenge.ref))
        return None
    return challenge


async def _workshop(ctx: Ctx, workshop_id: int | None) -> tuple[Workshop, Challenge] | None:
    row = await workshops.get_workshop(ctx.session, workshop_id) if workshop_id else None
    challenge = await ctx.session.get(Challenge, row.challenge_id) if row else None
    if row is None or challenge is None:
        ctx.say(t("workshops.no_such"))
        return None
    if not (await scope_of(ctx.session, ctx.identity)).covers(challenge.department):
        ctx.say(t("departments.not_your_challenge", ref=challenge.ref))
        return None
    return row, challenge


@router.command("workshop", dips=True, top=False)
async def create(ctx: Ctx, args: str) -> None:
    """`/dips workshop REF DATE TIME CAPACITY PLACE OR LINK`."""
    parts = clean(args).split(maxsplit=4)
    challenge = await _challenge(ctx, parts[0].lower()[:64] if parts else "")
    if challenge is None:
        return
    if len(parts) < 5:
        ctx.say(t("workshops.usage"), [(t("workshops.new_button"), WorkshopNew(challenge.ref[:60]))])
        return
    _, day, at, capacity, place = parts
    found = rules.problems(day, at, place, capacity, ctx.core.clock())
    if found:
        ctx.say(t("workshops.not_created", problems="\n".join(f"\u2022 {t(v)}" for v in found.values())))
        return
    starts = rules.when(day, at)
    assert starts is not None
    row = await rules.create(ctx.session, challenge, ctx.actor, starts, place,
                             rules.capacity_of(capacity) or 1)
    ctx.say(t("workshops.created", id=row.id, title=challenge.title, when=local(row),
              place=row.place, capacity=row.capacity),
            [(t("workshops.invite_button"), WorkshopInviteAll(row.id)),
             (t("workshops.attendance_button"), WorkshopAttendance(row.id))])


@router.button(WorkshopNew, action="workshop")
async def new_button(ctx: Ctx, pressed: WorkshopNew) -> None:
    await create(ctx, pressed.ref)


@router.button(WorkshopInviteAll, action="workshop")
async def invite_all(ctx: Ctx, pressed: WorkshopInviteAll) -> None:
    found = await _workshop(ctx, pressed.workshop_id)
    if found is None:
        return
    row, challenge = found
    invited, unreachable = await rules.invite_exploration(
        ctx.session, row, challenge, ctx.actor, invitation(row, challenge))
    ctx.say(t("workshops.invited", n=invited, unreachable=unreachable, ref=challenge.ref),
            [(t("workshops.attendance_button"), WorkshopAttendance(row.id))])


@router.command("attendance", action="workshop", dips=True, top=False)
async def attendance(ctx: Ctx, args: str) -> None:
    found = await _workshop(ctx, parse_id(clean(args).lstrip("#")))
    if found is None:
        return
    row, challenge = found
    invites = await workshops.invites(ctx.session, row.id)
    lines, came_rows = [], []
    for invite in invites:
        eoi = await eois.get_eoi(ctx.session, invite.eoi_id)
        if eoi is None:
            continue
        answer = t(f"workshops.answer.{invite.answer or 'none'}")
        lines.append(t("workshops.attendance_line", reference=eoi.reference,
                       organisation=shown_details(eoi)["org_name"] or "-", answer=answer)
                     + (t("workshops.came") if invite.attended else ""))
        label = t("workshops.not_came_button" if invite.attended else "workshops.came_button",
                  reference=eoi.reference)
        came_rows.append([(label, WorkshopCame(invite.id))])
    ctx.say("\n".join(lines) or t("workshops.nobody_invited"), *came_rows[:25],
            title=t("workshops.attendance_title", id=row.id, title=challenge.title, when=local(row),
                    yes=sum(1 for i in invites if i.answer == "yes"), capacity=row.capacity))


@router.button(WorkshopAttendance, action="workshop")
async def attendance_button(ctx: Ctx, pressed: WorkshopAttendance) -> None:
    await attendance(ctx, str(pressed.workshop_id))


@router.button(WorkshopCame, action="workshop")
async def came(ctx: Ctx, pressed: WorkshopCame) -> None:
    invite = await workshops.get_invite(ctx.session, pressed.invite_id)
    found = await _workshop(ctx, invite.workshop_id if invite else None)
    if invite is None or found is None:
        return
    invite.attended = not invite.attended
    await audit(ctx.session, ctx.actor, "workshop_attended", f"workshop-{invite.workshop_id}",
                eoi=invite.eoi_id, came=invite.attended)
    await attendance(ctx, str(invite.workshop_id))


@router.command("workshops", action="workshop", dips=True, top=False)
async def list_workshops(ctx: Ctx, args: str) -> None:
    challenge = await _challenge(ctx, clean(args).lower()[:64])
    if challenge is None:
        return
    rows = await workshops.for_challenge(ctx.session, challenge.id)
    lines = [t("workshops.line", id=w.id, when=local(w), place=w.place, capacity=w.capacity)
             for w in rows]
    ctx.say("\n".join(lines) or t("workshops.none", ref=challenge.ref),
            *[[(t("workshops.attendance_for", id=w.id), WorkshopAttendance(w.id))] for w in rows[:20]],
            [(t("workshops.new_button"), WorkshopNew(challenge.ref[:60]))])
