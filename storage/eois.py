"""Expressions of interest and their stage history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from storage.models import Challenge, Contact, Eoi, Organisation, StageChange, utcnow
from storage.sql import dialect_name
from storage.versions import DETAILS, add_version, details_of


class DuplicateEoi(Exception):
    """The organisation already has an EOI on this challenge."""

    def __init__(self, existing: Eoi) -> None:
        self.existing = existing


_INSERT_EOI = {
    dialect.dialect.name: dialect.insert(Eoi)
    .on_conflict_do_nothing(index_elements=["organisation_id", "challenge_id"])
    .returning(Eoi)
    for dialect in (postgresql, sqlite)
}


def _with_relations(query: Select[Eoi]) -> Select[Eoi]:
    return query.options(
        joinedload(Eoi.challenge), joinedload(Eoi.organisation), joinedload(Eoi.contact)
    )


async def get_eoi(session: AsyncSession, eoi_id: int) -> Eoi | None:
    return await session.scalar(_with_relations(select(Eoi).where(Eoi.id == eoi_id)))


async def find_eoi(session: AsyncSession, organisation_id: int, challenge_id: int) -> Eoi | None:
    return await session.scalar(
        _with_relations(select(Eoi)).where(
            Eoi.organisation_id == organisation_id, Eoi.challenge_id == challenge_id
        )
    )


async def create_eoi(
    session: AsyncSession,
    *,
    organisation_id: int,
    challenge_id: int,
    contact_id: int,
    identity_id: int,
    summary: str,
    actor: str,
    stage: str = "submitted",
    details: dict[str, Any] | None = None,
) -> Eoi:
    """Insert the EOI with its details as submitted (`details`: storage.versions.DETAILS),
    its first version and its first stage; an existing one for the pair raises DuplicateEoi.

    ON CONFLICT DO NOTHING (both dialects) settles a concurrent duplicate in the same round
    trip as the insert, without the savepoint an IntegrityError would need on PostgreSQL.
    """
    if details is None:  # a caller without a form: the profile as it is now
        org = await session.get(Organisation, organisation_id)
        contact = await session.get(Contact, contact_id)
        details = details_of(
            {"name": org.name, "size_band": org.size_band, "country": org.country,
             "city": org.city, "website": org.website} if org else {},
            {"name": contact.name, "email": contact.email} if contact else {})
    values = {"organisation_id": organisation_id, "challenge_id": challenge_id,
              "contact_id": contact_id, "identity_id": identity_id, "summary": summary,
              "stage": stage, "version": 1,
              **{key: details.get(key) for key in DETAILS}}
    eoi = await session.scalar(_INSERT_EOI[dialect_name(session)].values(**values))
    if eoi is None:  # the pair has one already (perhaps a replica's, a moment ago)
        existing = await find_eoi(session, organisation_id, challenge_id)
        if existing is None:  # deleted since (an erasure): replay the message on fresh data
            raise StaleDataError("an EOI insert conflicted with a row that is gone")
        raise DuplicateEoi(existing)
    session.add(StageChange(eoi_id=eoi.id, from_stage=None, to_stage=stage, actor=actor))
    await add_version(session, eoi, "submitted", actor)
    return eoi


async def change_stage(
    session: AsyncSession, eoi: Eoi, to_stage: str, actor: str, note: str | None = None
) -> StageChange:
    change = StageChange(eoi_id=eoi.id, from_stage=eoi.stage, to_stage=to_stage, actor=actor,
                         note=note)
    eoi.stage = to_stage
    eoi.updated_at = utcnow()
    session.add(change)
    await session.flush()
    return change


async def stage_history(session: AsyncSession, eoi_id: int) -> list[StageChange]:
    return list(
        await session.scalars(
            select(StageChange).where(StageChange.eoi_id == eoi_id).order_by(StageChange.id)
        )
    )


async def list_eois(
    session: AsyncSession,
    *,
    organisation_id: int | None = None,
    challenge_ref: str | None = None,
) -> list[Eoi]:
    query = _with_relations(select(Eoi)).order_by(Eoi.id)
    if organisation_id is not None:
        query = query.where(Eoi.organisation_id == organisation_id)
    if challenge_ref is not None:
        query = query.join(Challenge, Eoi.challenge_id == Challenge.id).where(
            Challenge.ref == challenge_ref
        )
    return list(await session.scalars(query))
