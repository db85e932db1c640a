"""An SME's own expressions of interest: the list, one in full, editing the proposal, withdrawing."""

from __future__ import annotations

from handlers.domain import eois as domain_eois
from handlers.domain.stages import END_STAGES, stage_label
from handlers.kernel.callbacks import CANCEL_ROW, CallbackData, Resume
from handlers.kernel.context import Ctx
from handlers.kernel.flows import Flow, Invalid, Step
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.kernel.validation import check_text, clean, parse_id
from handlers.sme.buttons import EOI_LIST, FIND, OPEN_LIST, Interest, MyEois
from handlers.sme.eoi_form import SUMMARY_MAX, SUMMARY_MIN
from storage import eois
from storage.models import Eoi
from storage.versions import shown_details

router = Router("sme.my_eois")


class EditProposal(CallbackData, prefix="ed"):
    eoi_id: int


class Withdraw(CallbackData, prefix="wd"):
    """Asks first; `WithdrawYes` does it."""

    eoi_id: int


class WithdrawYes(CallbackData, prefix="wdy"):
    eoi_id: int


@router.command("my")
async def my_command(ctx: Ctx, args: str) -> None:
    if (eoi_id := parse_id(args)) is not None:
        await show_eoi(ctx, eoi_id)
    else:
        await list_eois(ctx)


@router.button(MyEois, action="my")
async def my_button(ctx: Ctx, pressed: MyEois) -> None:
    if pressed.eoi_id is not None:
        await show_eoi(ctx, pressed.eoi_id)
    else:
        await list_eois(ctx)


async def list_eois(ctx: Ctx) -> None:
    org_id = ctx.identity.organisation_id
    rows = await eois.list_eois(ctx.session, organisation_id=org_id) if org_id else []
    if not rows:
        ctx.say(t("my.none"), [(t("button.find_challenges"), FIND),
                               (t("button.open_challenges"), OPEN_LIST)])
        return
    lines = [t("my.line", reference=e.reference, title=e.challenge.title, stage=stage_label(e.stage))
             for e in rows]
    ctx.say(t("my.list", lines="\n".join(lines)),
            *[[(t("my.details", reference=e.reference), MyEois(e.id))] for e in rows[:20]])


async def own_eoi(ctx: Ctx, eoi_id: int) -> Eoi | None:
    eoi = await eois.get_eoi(ctx.session, eoi_id)
    if eoi is None or eoi.organisation_id != ctx.identity.organisation_id:
        ctx.say(t("my.not_yours"), [(t("button.my_eois_short"), EOI_LIST)])
        return None
    return eoi


async def live_eoi(ctx: Ctx, eoi_id: int, ended: str) -> Eoi | None:
    """One of the SME's own EOIs that hasn't ended; otherwise say why (`ended`: a my.* key)."""
    eoi = await own_eoi(ctx, eoi_id)
    if eoi is not None and eoi.stage in END_STAGES:
        ctx.say(t(ended, reference=eoi.reference, stage=stage_label(eoi.stage).lower()))
        return None
    return eoi


async def show_eoi(ctx: Ctx, eoi_id: int) -> None:
    eoi = await own_eoi(ctx, eoi_id)
    if eoi is None:
        return
    rows = []
    if eoi.stage not in END_STAGES:
        rows.append([(t("my.edit"), EditProposal(eoi.id)), (t("my.withdraw"), Withdraw(eoi.id))])
    elif eoi.stage == "withdrawn" and eoi.challenge.is_open(ctx.today):
        rows.append([(t("my.register_again"), Interest(eoi.challenge.ref))])
    rows.append([(t("my.all"), EOI_LIST)])
    d = shown_details(eoi)
    ctx.say(t("my.one", reference=eoi.reference, title=eoi.challenge.title,
              stage=stage_label(eoi.stage), registered=f"{eoi.created_at:%d %b %Y}",
              contact=f"{d['contact_name']}, {d['contact_email']}" if d["contact_name"]
              else t("my.no_contact"), proposal=eoi.summary)
            + (t("my.version", version=eoi.version) if eoi.version > 1 else ""), *rows)


# ---- editing the proposal ----

async def ask_new_summary(ctx: Ctx) -> None:
    ctx.say(t("my.ask_new", low=SUMMARY_MIN, high=SUMMARY_MAX), CANCEL_ROW)


async def read_new_summary(ctx: Ctx, text: str) -> None:
    value, error = check_text(clean(text, keep_newlines=True), t("eoi.what.summary"),
                              SUMMARY_MIN, SUMMARY_MAX)
    if error:
        raise Invalid(error)
    eoi = await own_eoi(ctx, int(ctx.data.get("eoi_id", 0)))
    ctx.finish()
    if eoi is None:
        return
    version = await domain_eois.edit_summary(ctx.session, eoi, str(value), ctx.actor)
    if version is None:
        ctx.say(t("my.cant_edit", reference=eoi.reference, stage=stage_label(eoi.stage).lower()))
        return
    ctx.say(t("my.amended" if version.kind == "amendment" else "my.updated",
              reference=eoi.reference, number=version.number),
            [(t("button.view_it"), MyEois(eoi.id))])


EDIT = router.flow(Flow("eoi-edit", action="my", title="my.form_title", steps=(
    Step("summary", ask_new_summary, read_new_summary, guard=True),)))


@router.button(EditProposal, action="my")
async def start_edit(ctx: Ctx, pressed: EditProposal) -> None:
    eoi = await live_eoi(ctx, pressed.eoi_id, "my.cant_edit")
    if eoi is None:
        return
    if ctx.flow is not None:
        ctx.say(t("kernel.busy"), [(t("button.carry_on"), Resume())])
        return
    ctx.goto(EDIT.name, "summary", eoi_id=eoi.id)
    ctx.say(t("my.current", reference=eoi.reference, proposal=eoi.summary, low=SUMMARY_MIN,
              high=SUMMARY_MAX)
            + (t("my.amendment_note", reference=eoi.reference, stage=stage_label(eoi.stage))
               if domain_eois.amending(eoi) else ""), CANCEL_ROW)


# ---- withdrawing ----

@router.button(Withdraw, action="my")
async def ask_withdraw(ctx: Ctx, pressed: Withdraw) -> None:
    eoi = await live_eoi(ctx, pressed.eoi_id, "my.already")
    if eoi is None:
        return
    ctx.say(t("my.confirm_withdraw", reference=eoi.reference, title=eoi.challenge.title),
            [(t("my.yes_withdraw"), WithdrawYes(eoi.id)), (t("button.no_keep_it"), MyEois(eoi.id))])


@router.button(WithdrawYes, action="my")
async def do_withdraw(ctx: Ctx, pressed: WithdrawYes) -> None:
    eoi = await own_eoi(ctx, pressed.eoi_id)
    if eoi is None:
        return
    if not await domain_eois.withdraw(ctx.session, eoi, ctx.actor):
        ctx.say(t("my.already", reference=eoi.reference, stage=stage_label(eoi.stage).lower()))
        return
    ctx.say(t("my.withdrawn", reference=eoi.reference), [(t("button.my_eois_short"), EOI_LIST)])
