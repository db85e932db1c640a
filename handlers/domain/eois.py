"""Expressions of interest as business acts: submit, edit, withdraw. No chat wording: the
callers (the SME's form, the command line, tests) say what happened in their own words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.notices import version_notice
from handlers.domain.outbound import to_payload
from handlers.domain.stages import END_STAGES
from storage import deliveries, eois, people, versions
from storage.eois import DuplicateEoi
from storage.models import Challenge, Eoi, EoiVersion, Identity

__all__ = ["DuplicateEoi", "Submission", "edit_summary", "other_open_eois", "submit", "withdraw"]


@dataclass(frozen=True)
class Submission:
    """What an SME's form gathered: organisation and contact fields, the proposal, and the
    privacy-notice version they agreed to in this form (None if agreed before)."""

    org: dict[str, Any]
    contact: dict[str, str]
    summary: str
    consent: str | None = None
    apply_to: tuple[int, ...] = ()  # the SME's other open EOIs to give the new details too


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
    details = versions.details_of(form.org, form.contact)
    eoi = await eois.find_eoi(session, org.id, challenge.id) if returning else None
    if eoi is None:
        eoi = await eois.create_eoi(
            session, organisation_id=org.id, challenge_id=challenge.id, contact_id=contact.id,
            identity_id=identity.id, summary=form.summary, actor=actor, details=details)
    elif eoi.stage != "withdrawn":
        raise DuplicateEoi(eoi)
    else:
        eoi.contact_id = contact.id
        await eois.change_stage(session, eoi, "submitted", actor, "re-submitted")
        await versions.add_version(session, eoi, "resubmitted", actor, summary=form.summary,
                                   details=details)
    await deliveries.enqueue_for_officers(session, "new_eoi", {"eoi_id": eoi.id})
    for other in await other_open_eois(session, org.id, eoi.id):
        if other.id in form.apply_to and versions.current_details(other) != details:
            other.contact_id = contact.id
            await _new_version(session, other, "details", actor, details=details)
    return eoi


async def other_open_eois(session: AsyncSession, organisation_id: int | None,
                          except_id: int | None = None) -> list[Eoi]:
    """The organisation's EOIs still open (not withdrawn or turned down), but `except_id`."""
    if organisation_id is None:
        return []
    return [e for e in await eois.list_eois(session, organisation_id=organisation_id)
            if e.id != except_id and e.stage not in END_STAGES]


async def _new_version(session: AsyncSession, eoi: Eoi, kind: str, actor: str, *,
                       summary: str | None = None,
                       details: dict[str, Any] | None = None) -> EoiVersion:
    """A version after submission: kept beside the earlier ones, and the officers are told."""
    before = await versions.versions(session, eoi.id)
    version = await versions.add_version(session, eoi, kind, actor, summary=summary,
                                         details=details)
    reply = version_notice(eoi, version, before)
    await deliveries.enqueue_for_officers(session, "eoi_version",
                                          {**to_payload(reply), "eoi_id": eoi.id})
    return version


def editable(eoi: Eoi) -> bool:
    return eoi.stage not in END_STAGES


def amending(eoi: Eoi) -> bool:
    """From Exploration on, a change is an amendment officers see beside the original."""
    return eoi.stage not in ("submitted", *END_STAGES)


async def edit_summary(session: AsyncSession, eoi: Eoi, summary: str,
                       actor: str) -> EoiVersion | None:
    """A new version of the proposal (an amendment from Exploration on), the earlier ones
    kept and the officers told; None (nothing changed) once the EOI has ended."""
    if not editable(eoi):
        return None
    kind = "amendment" if amending(eoi) else "edit"
    return await _new_version(session, eoi, kind, actor, summary=summary)


async def withdraw(session: AsyncSession, eoi: Eoi, actor: str) -> bool:
    """The SME's own act; False (nothing changed) once the EOI has ended."""
    if not editable(eoi):
        return False
    await eois.change_stage(session, eoi, "withdrawn", actor, "withdrawn by the SME")
    return True
