"""Expressions of interest as business acts: submit, edit, withdraw. No chat wording: the
callers (the SME's form, the command line, tests) say what happened in their own words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.stages import END_STAGES
from storage import deliveries, eois, people
from storage.eois import DuplicateEoi
from storage.models import Challenge, Eoi, Identity

__all__ = ["DuplicateEoi", "Submission", "edit_summary", "submit", "withdraw"]


@dataclass(frozen=True)
class Submission:
    """What an SME's form gathered: organisation and contact fields, the proposal, and the
    privacy-notice version they agreed to in this form (None if agreed before)."""

    org: dict[str, Any]
    contact: dict[str, str]
    summary: str
    consent: str | None = None


async def submit(session: AsyncSession, identity: Identity, challenge: Challenge,
                 form: Submission, actor: str) -> Eoi:
    """Save the profile, record consent, and register (or re-register a withdrawn) EOI; the
    officers' channel is told through the delivery queue. Raises DuplicateEoi."""
    returning = identity.organisation_id is not None
    org, contact = await people.save_profile(
        session, identity, dict(form.org), {"name": form.contact["name"], "email": form.contact["email"]})
    if form.consent:
        await people.record_consent(session, identity, form.consent, contact.id)
    # Only a returning organisation can hold an EOI here already (a withdrawn one is
    # re-submitted under its old reference); a new one inserts without looking first.
    eoi = await eois.find_eoi(session, org.id, challenge.id) if returning else None
    if eoi is None:
        eoi = await eois.create_eoi(
            session, organisation_id=org.id, challenge_id=challenge.id, contact_id=contact.id,
            identity_id=identity.id, summary=form.summary, actor=actor)
    elif eoi.stage != "withdrawn":
        raise DuplicateEoi(eoi)
    else:
        eoi.summary, eoi.contact_id = form.summary, contact.id
        await eois.change_stage(session, eoi, "submitted", actor, "re-submitted")
    await deliveries.enqueue_for_officers(session, "new_eoi", {"eoi_id": eoi.id})
    return eoi


def editable(eoi: Eoi) -> bool:
    return eoi.stage not in END_STAGES


async def edit_summary(eoi: Eoi, summary: str) -> bool:
    """Replace the proposal; False (nothing changed) once the EOI has ended."""
    if not editable(eoi):
        return False
    eoi.summary = summary
    return True


async def withdraw(session: AsyncSession, eoi: Eoi, actor: str) -> bool:
    """The SME's own act; False (nothing changed) once the EOI has ended."""
    if not editable(eoi):
        return False
    await eois.change_stage(session, eoi, "withdrawn", actor, "withdrawn by the SME")
    return True
