"""Personal data rights: everything held about an identity, erasure, and retention purges.

Erasure keeps what the impact figures count (that an organisation of a given size, country and
city took part, its EOIs' challenges, stages and dates) and removes everything that identifies
a person or the business: names, emails, phones, websites, proposals, questions, chat ids.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import deliveries, partners
from storage.models import (
    AuditEntry,
    CaseMessage,
    Clarification,
    Consent,
    Contact,
    ConversationState,
    Delivery,
    Eoi,
    EoiVersion,
    FaqSuggestion,
    Identity,
    Organisation,
    Question,
    StageChange,
    Subscription,
)

ERASED = "[erased]"


def _row(obj: Any) -> dict[str, Any]:
    values = {}
    for column in obj.__table__.columns:
        value = getattr(obj, column.key)
        values[column.key] = value.isoformat() if hasattr(value, "isoformat") else value
    return values


async def export(session: AsyncSession, identity: Identity) -> dict[str, Any]:
    """A subject access export: every row that holds this identity's personal data."""
    data: dict[str, Any] = {"identity": _row(identity)}
    org_id = identity.organisation_id
    if org_id is not None:
        data["organisation"] = _row(await session.get(Organisation, org_id))
        data["contacts"] = [_row(c) for c in await session.scalars(
            select(Contact).where(Contact.organisation_id == org_id))]
        eois = list(await session.scalars(select(Eoi).where(Eoi.organisation_id == org_id)))
        data["expressions_of_interest"] = [_row(e) for e in eois]
        data["stage_history"] = [_row(h) for h in await session.scalars(
            select(StageChange).where(StageChange.eoi_id.in_([e.id for e in eois])))]
        data["eoi_versions"] = [_row(v) for v in await session.scalars(
            select(EoiVersion).where(EoiVersion.eoi_id.in_([e.id for e in eois]))
            .order_by(EoiVersion.eoi_id, EoiVersion.number))]
    data["subscription"] = [_row(s) for s in await session.scalars(
        select(Subscription).where(Subscription.identity_id == identity.id))]
    data["consents"] = [_row(c) for c in await session.scalars(
        select(Consent).where(Consent.identity_id == identity.id))]
    questions = list(await session.scalars(
        select(Question).where(Question.identity_id == identity.id)))
    data["questions"] = [_row(q) for q in questions]
    data["question_threads"] = [_row(m) for m in await session.scalars(
        select(CaseMessage).where(CaseMessage.question_id.in_([q.id for q in questions]))
        .order_by(CaseMessage.id))]
    mine = await partners.export_identity(session, identity.id)
    data["partner_listings"] = [_row(x) for x in mine["listings"]]
    data["partner_introductions"] = [_row(x) for x in mine["intros"]]
    state = await session.get(ConversationState, identity.id)
    data["conversation"] = _row(state) if state else None
    return data


async def erase(session: AsyncSession, identity: Identity, erased_by: str) -> None:
    """Erase one identity and, when no other identity shares it, its organisation's details."""
    actor = f"{identity.platform}:{identity.external_id}"
    org_id = identity.organisation_id
    org_goes = org_id is not None and not await session.scalar(
        select(func.count()).select_from(Identity)
        .where(Identity.organisation_id == org_id, Identity.id != identity.id))
    gone_eois = (set(await session.scalars(select(Eoi.id).where(Eoi.organisation_id == org_id)))
                 if org_goes else set())
    await _withdraw_slack_copies(session, identity.id, gone_eois)
    await _erase_case_copies(session, identity.id)
    await partners.erase_identity(session, identity.id, ERASED)
    await session.execute(delete(Question).where(Question.identity_id == identity.id))
    await session.execute(update(Consent).where(Consent.identity_id == identity.id)
                          .values(identity_id=None, contact_id=None))
    await session.execute(update(Eoi).where(Eoi.identity_id == identity.id)
                          .values(identity_id=None))
    await session.execute(update(StageChange).where(StageChange.actor == actor)
                          .values(actor="sme"))
    await session.execute(update(EoiVersion).where(EoiVersion.actor == actor)
                          .values(actor="sme"))
    await session.execute(update(AuditEntry).where(AuditEntry.actor == actor)
                          .values(actor="sme"))
    await session.execute(delete(Delivery).where(Delivery.identity_id == identity.id))
    await session.delete(identity)  # cascades: subscription, conversation state
    await session.flush()
    if org_id is None:
        return
    others = await session.scalar(
        select(func.count()).select_from(Identity).where(Identity.organisation_id == org_id))
    if others:
        return
    erased_name = f"{ERASED} #{org_id}"
    org_eois = select(Eoi.id).where(Eoi.organisation_id == org_id)
    # The details as submitted, on the EOI and in every version: the name, website, contact and
    # proposal go; size, country and city stay for the impact figures.
    await session.execute(update(Eoi).where(Eoi.organisation_id == org_id)
                          .values(summary=ERASED, contact_id=None, org_name=erased_name,
                                  website=None, contact_name=None, contact_email=None))
    await session.execute(update(EoiVersion).where(EoiVersion.eoi_id.in_(org_eois))
                          .values(summary=ERASED, org_name=erased_name, website=None,
                                  contact_name=None, contact_email=None))
    await session.execute(update(StageChange)
                          .where(StageChange.eoi_id.in_(select(Eoi.id).where(
                              Eoi.organisation_id == org_id)))
                          .values(note=None))
    await session.execute(update(Consent).where(Consent.contact_id.in_(
        select(Contact.id).where(Contact.organisation_id == org_id))).values(contact_id=None))
    await session.execute(delete(Contact).where(Contact.organisation_id == org_id))
    await session.execute(update(Organisation).where(Organisation.id == org_id)
                          .values(name=erased_name, website=None))
    session.add(AuditEntry(actor=erased_by, action="erasure", target=f"organisation:{org_id}",
                           detail={}))
    await session.flush()


async def _withdraw_slack_copies(session: AsyncSession, identity_id: int,
                                 eoi_ids: set[int]) -> None:
    """The officers' channel messages about this SME (their cases' notices and thread replies;
    their EOIs' notices when the organisation goes too): a posted one gets a redaction queued
    (the queue survives a restart), an unsent or in-flight one is marked `erased` (a worker that
    posted it meanwhile redacts it itself); every such row loses its text and its recipient."""
    rows = await session.scalars(select(Delivery).where(
        Delivery.platform == "slack",
        (Delivery.identity_id == identity_id) | Delivery.kind.in_(("new_eoi", "eoi_version"))))
    redacted: set[tuple[str, tuple[str, ...]]] = set()
    for row in rows:
        if row.identity_id != identity_id and row.payload.get("eoi_id") not in eoi_ids:
            continue
        posted = row.posted or {}
        key = (str(posted.get("channel")), tuple(posted.get("ts") or ()))
        if row.status == "sent" and key[1] and key not in redacted:
            redacted.add(key)
            await deliveries.enqueue_redaction(session, posted)
        elif row.status in ("pending", "sending", "failed"):
            row.status = "erased"
        row.payload = {"eoi_id": row.payload["eoi_id"]} if row.kind == "new_eoi" else {}
        row.identity_id = None
        row.last_error = None
    await session.flush()


async def _erase_case_copies(session: AsyncSession, identity_id: int) -> None:
    """Copies of the SME's questions outside their cases: an officer's FAQ suggestion and a
    published clarification keep the answer (the officer's words) but not the question, and
    the clarification's announcements drop it too."""
    cases = select(Question.id).where(Question.identity_id == identity_id)
    await session.execute(update(FaqSuggestion).where(FaqSuggestion.case_id.in_(cases))
                          .values(question=ERASED))
    published = list(await session.scalars(
        select(Clarification).where(Clarification.case_id.in_(cases))))
    for row in published:
        for sent in await session.scalars(select(Delivery).where(Delivery.kind == "clarification")):
            text = str(sent.payload.get("text", ""))
            if row.question and row.question in text:
                sent.payload = {**sent.payload, "text": text.replace(row.question, ERASED)}
        row.question = ERASED
    await session.flush()


async def stale_identities(session: AsyncSession, before: datetime) -> list[Identity]:
    """SME identities with no EOI, subscription or conversation touched since `before`."""
    recent_eoi = select(Eoi.organisation_id).where(Eoi.updated_at >= before)
    recent_sub = select(Subscription.identity_id).where(Subscription.updated_at >= before)
    query = select(Identity).where(
        Identity.role == "sme",
        Identity.created_at < before,
        (Identity.organisation_id.is_(None)) | Identity.organisation_id.not_in(recent_eoi),
        Identity.id.not_in(recent_sub),
    )
    return list(await session.scalars(query))
