"""Officers' stage moves: preview what the SME will be told, confirm or cancel, undo.

`/dips stage ID STAGE [internal note] [tell: message to the SME]`, the stage buttons and
Slack's note modal all lead to the same preview; the rules are handlers/domain/stage_moves.py.
"""

from __future__ import annotations

from datetime import timedelta

from handlers.domain import stage_moves
from handlers.domain.buttons import TELL, StageMove
from handlers.domain.departments import may_see_eoi
from handlers.domain.officer_buttons import FeedbackOpen
from handlers.domain.stages import OFFICER_STAGES, next_stages, stage_label
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Reply, buttons
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.kernel.validation import clean, parse_id
from handlers.sme.buttons import MyEois
from storage import eois
from storage import stage_moves as pending_moves
from storage.models import Eoi, Identity

router = Router("officer.stages")


class StageConfirm(CallbackData, prefix="stc"):
    move_id: int


class StageCancel(CallbackData, prefix="stx"):
    move_id: int


class StageUndo(CallbackData, prefix="stu"):
    change_id: int


def eoi_id(text: str) -> int | None:
    text = clean(text).upper().removeprefix("EOI-").lstrip("0") or "0"
    return parse_id(text) or None


def split_note(text: str) -> tuple[str | None, str | None]:
    """"internal note tell: message to the SME" -> (note, message); either may be empty."""
    lowered = text.lower()
    at = lowered.find(TELL)
    note, message = (text, "") if at < 0 else (text[:at], text[at + len(TELL):])
    note = clean(note).removeprefix("note:").strip()
    return note or None, clean(message) or None


def sme_notice(eoi: Eoi, to_stage: str, message: str | None) -> Reply:
    """The stage notice exactly as the SME will read it."""
    values = {"reference": eoi.reference, "title": eoi.challenge.title, "stage": stage_label(to_stage)}
    text = (t("update.moved_message", message=message, **values) if message
            else t("update.moved", **values))
    return Reply(text, buttons([(t("button.view_it"), MyEois(eoi.id))]))


def sme_correction(eoi: Eoi, stage: str) -> Reply:
    return Reply(t("update.corrected", reference=eoi.reference, title=eoi.challenge.title,
                   stage=stage_label(stage)),
                 buttons([(t("button.view_it"), MyEois(eoi.id))]))


def undo_window(ctx: Ctx) -> timedelta:
    return ctx.core.config.undo_window


def _problem(ctx: Ctx, problem: str, eoi: Eoi | None, ref: str = "", to_stage: str = "") -> None:
    stages = ", ".join(OFFICER_STAGES)
    if problem in ("no_preview", "preview_lapsed"):
        ctx.say(t("stage_move.preview_lapsed"))
    elif eoi is None or problem == "not_found":
        ctx.say(t("officer_eois.not_found", ref=ref[:20]))
    elif problem == "only_sme_withdraws":
        ctx.say(t("officer_eois.only_sme_withdraws", id=eoi.id))
    elif problem == "unknown_stage":
        ctx.say(t("officer_eois.unknown_stage", stage=to_stage[:40], stages=stages))
    elif problem == "out_of_date":
        ctx.say(t("officer_eois.out_of_date", reference=eoi.reference,
                  stage=stage_label(eoi.stage), id=eoi.id))
    elif problem == "already_at":
        ctx.say(t("officer_eois.already_at", reference=eoi.reference, stage=stage_label(eoi.stage)))
    elif problem == "withdrawn":
        ctx.say(t("officer_eois.withdrawn", reference=eoi.reference))
    elif problem == "not_allowed":
        allowed = ", ".join(stage_label(s) for s in next_stages(eoi.stage)) or t("stage_move.none")
        ctx.say(t("stage_move.not_allowed", reference=eoi.reference, stage=stage_label(eoi.stage),
                  to_stage=stage_label(to_stage), allowed=allowed))
    else:
        ctx.say(t("stage_move.preview_lapsed"))


@router.command("stage", dips=True)
async def stage(ctx: Ctx, args: str) -> None:
    parts = clean(args).split(maxsplit=2)
    if len(parts) < 2:
        ctx.say(t("officer_eois.stage_usage", stages=", ".join(OFFICER_STAGES)))
        return
    note, message = split_note(parts[2] if len(parts) > 2 else "")
    await propose(ctx, parts[0], parts[1].lower(), note, message)


async def propose(ctx: Ctx, eoi_ref: str, target: str, note: str | None,
                  message: str | None) -> None:
    """Preview a move; `target` may end "@from" (a button made when the EOI was at `from`)."""
    to_stage, _, expected = target.partition("@")
    if not await _in_scope(ctx, eoi_id(eoi_ref)):
        return
    outcome = await stage_moves.preview(ctx.session, eoi_id(eoi_ref), to_stage, ctx.actor, note,
                                        message, expected or None)
    eoi, pending = outcome.eoi, outcome.pending
    if outcome.problem or eoi is None or pending is None:
        _problem(ctx, outcome.problem or "not_found", eoi, eoi_ref, to_stage)
        return
    sme = await ctx.session.get(Identity, eoi.identity_id) if eoi.identity_id else None
    lines = [t("stage_move.confirm_question", reference=eoi.reference, title=eoi.challenge.title,
               from_stage=stage_label(eoi.stage), to_stage=stage_label(to_stage)),
             t("stage_move.internal_note", note=pending.note) if pending.note
             else t("stage_move.no_internal_note"), ""]
    if sme is None or not sme.active or not sme.chat_id:
        lines.append(t("stage_move.sme_unreachable"))
    else:
        lines += [t("stage_move.sme_will_read"), "", sme_notice(eoi, to_stage, pending.message).text]
        if not pending.message:
            lines += ["", t("stage_move.how_to_add_message", id=eoi.id, stage=to_stage)]
    ctx.say("\n".join(lines), [(t("stage_move.confirm"), StageConfirm(pending.id)),
                               (t("button.cancel"), StageCancel(pending.id))])


@router.button(StageMove, action="stage")
async def stage_button(ctx: Ctx, pressed: StageMove) -> None:
    await propose(ctx, str(pressed.eoi_id), pressed.target, None, None)


async def _in_scope(ctx: Ctx, eoi_ref: int | None) -> bool:
    """An officer moves only the EOIs of their departments' challenges (forged presses too)."""
    eoi = await eois.get_eoi(ctx.session, eoi_ref) if eoi_ref else None
    if eoi is None or await may_see_eoi(ctx.session, ctx.identity, eoi):
        return True  # nothing to hide: the move's own checks answer
    ctx.say(t("departments.not_yours", reference=eoi.reference))
    return False


@router.button(StageConfirm, action="stage")
async def confirm_button(ctx: Ctx, pressed: StageConfirm) -> None:
    pending = await pending_moves.get_pending(ctx.session, pressed.move_id)
    if pending is not None and not await _in_scope(ctx, pending.eoi_id):
        return
    outcome = await stage_moves.confirm(ctx.session, pressed.move_id, ctx.actor, ctx.core.clock(),
                                        sme_notice)
    eoi, change = outcome.eoi, outcome.change
    if outcome.problem == "not_yours":
        ctx.say(t("stage_move.not_yours"))
        return
    if outcome.problem or eoi is None or change is None:
        _problem(ctx, outcome.problem or "no_preview", eoi, "",
                 outcome.pending.to_stage if outcome.pending else "")
        return
    minutes = max(1, int(undo_window(ctx).total_seconds() // 60))
    values = {"reference": eoi.reference, "from_stage": stage_label(change.from_stage or "submitted"),
              "to_stage": stage_label(change.to_stage)}
    text = (t("officer_eois.moved_told", **values) if outcome.sme_told
            else t("officer_eois.moved_unreachable", **values))
    rows: list[list[tuple[str, CallbackData]]] = [[(t("stage_move.undo"), StageUndo(change.id))]]
    if change.to_stage == "not-selected":  # the moment to tell the SME why (issue 17)
        text += "\n" + t("stage_move.feedback_offer")
        rows.append([(t("stage_move.feedback_button"), FeedbackOpen(eoi.id))])
    ctx.say(text + "\n" + t("stage_move.undo_hint", minutes=minutes), *rows)


@router.button(StageCancel, action="stage")
async def cancel_button(ctx: Ctx, pressed: StageCancel) -> None:
    outcome = await stage_moves.cancel(ctx.session, pressed.move_id, ctx.actor)
    if outcome.problem == "not_yours":
        ctx.say(t("stage_move.not_yours"))
    elif outcome.problem or outcome.eoi is None:
        ctx.say(t("stage_move.preview_lapsed"))
    else:
        ctx.say(t("stage_move.cancelled", reference=outcome.eoi.reference,
                  stage=stage_label(outcome.eoi.stage)))


@router.command("undo", dips=True)
async def undo(ctx: Ctx, args: str) -> None:
    await _undo(ctx, None)


@router.button(StageUndo, action="undo")
async def undo_button(ctx: Ctx, pressed: StageUndo) -> None:
    await _undo(ctx, pressed.change_id)


async def _undo(ctx: Ctx, change_id: int | None) -> None:
    window = undo_window(ctx)
    minutes = max(1, int(window.total_seconds() // 60))
    outcome = await stage_moves.undo(ctx.session, ctx.actor, ctx.core.clock(), window,
                                     sme_correction, change_id)
    eoi, change = outcome.eoi, outcome.change
    if outcome.problem or eoi is None or change is None:
        key = {"not_yours": "stage_move.undo_not_yours", "already_undone": "stage_move.undo_already",
               "too_late": "stage_move.undo_too_late", "moved_since": "stage_move.undo_moved_since",
               }.get(outcome.problem or "", "stage_move.undo_nothing")
        ctx.say(t(key, minutes=minutes, reference=eoi.reference if eoi else ""))
        return
    values = {"reference": eoi.reference, "stage": stage_label(eoi.stage),
              "undone_stage": stage_label(change.to_stage)}
    if outcome.notice_withdrawn:
        ctx.say(t("stage_move.undone_unsent", **values))
    elif outcome.sme_told:
        ctx.say(t("stage_move.undone_corrected", **values))
    else:
        ctx.say(t("stage_move.undone", **values))
