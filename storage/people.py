"""Identities, organisations, contacts and consent records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Consent,
    Contact,
    ConversationState,
    Identity,
    Organisation,
    utcnow,
)
from storage.sql import dialect_name
from storage.updates import CLAIM, claim_update

# Built once: messages without an update id (console, Slack) and SQLite run it for every message.
_IDENTITY_WITH_STATE = (
    select(Identity, ConversationState)
    .outerjoin(ConversationState, ConversationState.identity_id == Identity.id)
    .where(Identity.platform == bindparam("platform"),
           Identity.external_id == bindparam("external_id"))
    .execution_options(populate_existing=True)
)

# The same read with the update's claim in front of it (PostgreSQL): one row always, whose
# `fresh` is 1 when this transaction took the update and 0 when it had been taken before.
_claimed = CLAIM["postgresql"].returning(literal_column("1")).cte("claimed")
_counted = select(func.count().label("fresh")).select_from(_claimed).subquery("counted")
_CLAIM_WITH_IDENTITY = (
    select(_counted.c.fresh, Identity, ConversationState)
    .select_from(_counted)
    .outerjoin(Identity, and_(Identity.platform == bindparam("platform"),
                              Identity.external_id == bindparam("external_id")))
    .outerjoin(ConversationState, ConversationState.identity_id == Identity.id)
    .execution_options(populate_existing=True)
)


async def get_identity(session: AsyncSession, platform: str, external_id: str) -> Identity | None:
    return await session.scalar(
        select(Identity).where(Identity.platform == platform, Identity.external_id == external_id)
    )


async def ensure_identity(
    session: AsyncSession,
    platform: str,
    external_id: str,
    chat_id: str | None = None,
    display_name: str | None = None,
) -> Identity:
    """Fetch or create the identity; a changed chat id or name is kept up to date."""
    identity, _ = await ensure_identity_with_state(session, platform, external_id, chat_id,
                                                   display_name)
    return identity


async def ensure_identity_with_state(
    session: AsyncSession,
    platform: str,
    external_id: str,
    chat_id: str | None = None,
    display_name: str | None = None,
) -> tuple[Identity, ConversationState | None]:
    """The identity (created if new) and its conversation state, in one round trip."""
    row = (await session.execute(
        _IDENTITY_WITH_STATE, {"platform": platform, "external_id": external_id}
    )).first()
    return await _identity_from_row(session, row, platform, external_id, chat_id, display_name)


async def claim_with_identity(
    session: AsyncSession,
    platform: str,
    update_id: int,
    external_id: str,
    chat_id: str | None = None,
    display_name: str | None = None,
) -> tuple[Identity, ConversationState | None] | None:
    """Claim the update (see updates.claim_update) and load as ensure_identity_with_state
    does; None when any process has claimed it before.

    Every incoming message starts here, so PostgreSQL does both in one round trip (the claim
    as an INSERT inside a WITH); SQLite, which has no INSERT there, takes two. One statement
    reads as of its start: should the claim wait for another transaction holding the same
    update id that then rolls back, the read can miss what a third committed meanwhile. The
    conversation state's version catches that (the core replays the message); an identity
    field changed in that instant may be missed for this one message.
    """
    params = {"platform": platform, "external_id": external_id}
    row: Sequence[Any] | None
    if dialect_name(session) == "postgresql":
        claimed = (await session.execute(
            _CLAIM_WITH_IDENTITY, {**params, "update_id": update_id, "at": utcnow()})).one()
        if not claimed.fresh:
            return None
        row = claimed[1:]
    else:
        if not await claim_update(session, platform, update_id):
            return None
        row = (await session.execute(_IDENTITY_WITH_STATE, params)).first()
    return await _identity_from_row(session, row, platform, external_id, chat_id, display_name)


async def _identity_from_row(
    session: AsyncSession, row: Sequence[Any] | None, platform: str, external_id: str,
    chat_id: str | None, display_name: str | None,
) -> tuple[Identity, ConversationState | None]:
    identity, state = (row[0], row[1]) if row is not None else (None, None)
    if identity is None:
        identity = Identity(platform=platform, external_id=external_id, chat_id=chat_id,
                            display_name=display_name, role="sme", active=True)
        session.add(identity)
        await session.flush()
        return identity, None
    if chat_id and identity.chat_id != chat_id:
        identity.chat_id = chat_id
    if display_name and identity.display_name != display_name:
        identity.display_name = display_name
    if not identity.active:
        identity.active = True  # they wrote to us again, so they no longer block the bot
    return identity, state


async def set_role(session: AsyncSession, platform: str, external_id: str, role: str) -> Identity:
    identity = await ensure_identity(session, platform, external_id)
    identity.role = role
    return identity


async def set_language(session: AsyncSession, identity: Identity, language: str) -> None:
    identity.language = language
    await session.flush()


async def get_profile(
    session: AsyncSession, identity: Identity
) -> tuple[Organisation | None, Contact | None]:
    org = await session.get(Organisation, identity.organisation_id) if identity.organisation_id else None
    contact = await session.get(Contact, identity.contact_id) if identity.contact_id else None
    return org, contact


async def contacts_of(session: AsyncSession, organisation_id: int) -> list[Contact]:
    return list(await session.scalars(
        select(Contact).where(Contact.organisation_id == organisation_id)))


async def save_profile(
    session: AsyncSession, identity: Identity, org_fields: dict, contact_fields: dict
) -> tuple[Organisation, Contact]:
    """Create or update the identity's organisation and contact."""
    org, contact = await get_profile(session, identity)
    if org is None:
        org = Organisation(**org_fields)
        session.add(org)
        await session.flush()
    else:
        for key, value in org_fields.items():
            setattr(org, key, value)
    if contact is None or contact.organisation_id != org.id:
        contact = Contact(organisation_id=org.id, **contact_fields)
        session.add(contact)
        await session.flush()
    else:
        for key, value in contact_fields.items():
            setattr(contact, key, value)
    # Both links set together: one UPDATE of the identity, not one per link.
    identity.organisation_id, identity.contact_id = org.id, contact.id
    await session.flush()
    return org, contact


async def has_consent(session: AsyncSession, identity_id: int, version: str) -> bool:
    return (
        await session.scalar(
            select(Consent.id).where(
                Consent.identity_id == identity_id, Consent.wording_version == version
            ).limit(1)
        )
    ) is not None


async def record_consent(
    session: AsyncSession, identity: Identity, version: str, contact_id: int | None
) -> Consent:
    consent = Consent(identity_id=identity.id, contact_id=contact_id, wording_version=version,
                      platform=identity.platform)
    session.add(consent)
    await session.flush()
    return consent


async def staff_chats(session: AsyncSession, platform: str) -> list[tuple[str, str]]:
    """(chat id, role) of every active officer and admin on `platform` with a known chat."""
    rows = await session.execute(
        select(Identity.chat_id, Identity.role)
        .where(Identity.platform == platform, Identity.role.in_(("officer", "admin")),
               Identity.active.is_(True), Identity.chat_id.is_not(None))
        .order_by(Identity.id))
    return [(str(chat), role) for chat, role in rows if chat]
