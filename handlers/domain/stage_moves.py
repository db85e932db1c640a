"""Stage moves as officers expect them: previewed, confirmed, and undone within a window.

The rules, with no chat wording (the officer's chat is handlers/officer/stages.py):
- the allowed moves are `handlers.domain.stages.MOVES` (forward one stage, or not selected);
- a move is first previewed (a pending move holding the internal note and the message to the
  SME) and happens only when the officer who asked confirms it, if the EOI has not moved since;
- the officer who made a move may undo it within the undo window while it is still the EOI's
  latest move: the EOI goes back, the move stays in the history marked undone and never counts
  in the figures, and the SME is told nothing more if their notice had not left the queue, or
  one correction if it had.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.outbound import notify
from handlers.domain.stages import OFFICER_STAGES, may_move
from handlers.kernel.messages import Reply
from storage import eois, stage_moves
from storage.audit import audit
from storage.models import Eoi, Identity, PendingStageMove, StageChange, utcnow

PREVIEW_LIFETIME = timedelta(hours=24)  # an unconfirmed preview lapses after this
NOTE_LIMIT = 1000


@dataclass
class Outcome:
    """What happened; `problem` is a reason code (None: done), for the chat to word."""

    problem: str | None = None
    eoi: Eoi | None = None
    pending: PendingStageMove | None = None
    change: StageChange | None = None
    sme_told: bool = False  # a notice (or correction) was queued for the SME
    notice_withdrawn: bool = False  # undo: the notice was still queued and never went out


def problem_with(eoi: Eoi | None, to_stage: str, expected: str | None = None) -> str | None:
    """Why `eoi` can't be moved to `to_stage` (a reason code), or None."""
    if eoi is None:
        return "not_found"
    if to_stage == "withdrawn":
        return "only_sme_withdraws"
    if to_stage not in OFFICER_STAGES:
        return "unknown_stage"
    if expected and eoi.stage != expected:
        return "out_of_date"
    if eoi.stage == to_stage:
        return "already_at"
    if eoi.stage == "withdrawn":
        return "withdrawn"
    if not may_move(eoi.stage, to_stage):
        return "not_allowed"
    return None


async def preview(session: AsyncSession, eoi_id: int | None, to_stage: str, actor: str,
                  note: str | None, message: str | None, expected: str | None = None) -> Outcome:
    eoi = await eois.get_eoi(session, eoi_id) if eoi_id else None
    problem = problem_with(eoi, to_stage, expected)
    if problem or eoi is None:
        return Outcome(problem, eoi)
    await stage_moves.prune_pending(session, utcnow() - PREVIEW_LIFETIME)
    pending = await stage_moves.add_pending(session, eoi, to_stage, actor,
                                            (note or "")[:NOTE_LIMIT] or None,
                                            (message or "")[:NOTE_LIMIT] or None)
    return Outcome(None, eoi, pending)


async def cancel(session: AsyncSession, pending_id: int, actor: str) -> Outcome:
    pending = await stage_moves.get_pending(session, pending_id)
    if pending is None:
        return Outcome("no_preview")
    if pending.actor != actor:
        return Outcome("not_yours")
    await stage_moves.take_pending(session, pending_id)
    return Outcome(None, await eois.get_eoi(session, pending.eoi_id), pending)


async def confirm(session: AsyncSession, pending_id: int, actor: str, now: datetime,
                  notice: Callable[[Eoi, str, str | None], Reply]) -> Outcome:
    """Make a previewed move; `notice(eoi, to_stage, message)` is what the SME is sent."""
    pending = await stage_moves.get_pending(session, pending_id)
    if pending is None:
        return Outcome("no_preview")
    if pending.actor != actor:
        return Outcome("not_yours")
    await stage_moves.take_pending(session, pending_id)
    eoi = await eois.get_eoi(session, pending.eoi_id)
    if now - pending.created_at > PREVIEW_LIFETIME:
        return Outcome("preview_lapsed", eoi, pending)
    problem = problem_with(eoi, pending.to_stage, pending.from_stage)
    if problem or eoi is None:
        return Outcome(problem, eoi, pending)
    change = await stage_moves.apply_move(session, eoi, pending.to_stage, actor, pending.note,
                                          pending.message)
    await audit(session, actor, "stage_change", eoi.reference, from_stage=change.from_stage,
                to_stage=change.to_stage)
    sme = await session.get(Identity, eoi.identity_id) if eoi.identity_id else None
    queued = await notify(session, sme, "stage_change",
                          lambda: notice(eoi, change.to_stage, change.message))
    change.delivery_id = queued.id if queued else None
    await session.flush()
    return Outcome(None, eoi, pending, change, sme_told=queued is not None)


async def undo(session: AsyncSession, actor: str, now: datetime, window: timedelta,
               correction: Callable[[Eoi, str], Reply], change_id: int | None = None) -> Outcome:
    """Undo `actor`'s move `change_id` (or their latest one) made within `window`.
    `correction(eoi, stage)` is the one message sent if the SME's notice had already gone."""
    change = (await stage_moves.get_change(session, change_id) if change_id
              else await stage_moves.last_move_by(session, actor, now - window))
    if change is None or change.from_stage is None:
        return Outcome("nothing_to_undo")
    eoi = await eois.get_eoi(session, change.eoi_id)
    if eoi is None:
        return Outcome("nothing_to_undo")
    if change.actor != actor:
        return Outcome("not_yours", eoi, change=change)
    if change.undone_at is not None:
        return Outcome("already_undone", eoi, change=change)
    if now - change.at > window:
        return Outcome("too_late", eoi, change=change)
    latest = await stage_moves.last_move(session, eoi.id)
    if latest is None or latest.id != change.id or eoi.stage != change.to_stage:
        return Outcome("moved_since", eoi, change=change)
    await stage_moves.mark_undone(session, change, eoi, actor)
    await audit(session, actor, "stage_undo", eoi.reference, from_stage=change.to_stage,
                to_stage=eoi.stage)
    withdrawn = await stage_moves.cancel_delivery(session, change.delivery_id)
    told = False
    if change.delivery_id is not None and not withdrawn:
        sme = await session.get(Identity, eoi.identity_id) if eoi.identity_id else None
        told = await notify(session, sme, "stage_change",
                            lambda: correction(eoi, eoi.stage)) is not None
    return Outcome(None, eoi, change=change, sme_told=told, notice_withdrawn=withdrawn)
