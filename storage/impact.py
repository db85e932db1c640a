"""Raw rows for the impact report; the figures themselves are computed in handlers/impact.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import ColumnElement

from storage.models import AuditEntry, Challenge, Eoi, Identity, Organisation, StageChange, UtcDateTime
from storage.partner_models import EoiPartner, PartnerIntro, PartnerListing

_UTC = UtcDateTime()


@dataclass(frozen=True)
class EoiRow:
    eoi_id: int
    organisation_id: int
    city: str
    country: str
    department: str
    stage: str
    created_at: datetime
    first_eoi_at: datetime  # the organisation's first EOI ever, whatever the period


def _period(column: InstrumentedAttribute[datetime], since: datetime | None,
            until: datetime | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column < until)
    return conditions


async def eois_in_period(session: AsyncSession, since: datetime | None,
                         until: datetime | None) -> list[EoiRow]:
    """EOIs submitted in [since, until), with their organisation and challenge department."""
    first = (select(Eoi.organisation_id, func.min(Eoi.created_at).label("first_at"))
             .group_by(Eoi.organisation_id).subquery())
    rows = await session.execute(
        select(Eoi.id, Eoi.organisation_id, Organisation.city, Organisation.country,
               Challenge.department, Eoi.stage, Eoi.created_at, first.c.first_at)
        .join(Organisation, Organisation.id == Eoi.organisation_id)
        .join(Challenge, Challenge.id == Eoi.challenge_id)
        .join(first, first.c.organisation_id == Eoi.organisation_id)
        .where(*_period(Eoi.created_at, since, until))
        .order_by(Eoi.id)
    )
    # func.min loses the column's type on SQLite (a naive string comes back): restore it.
    return [EoiRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], _as_utc(r[7])) for r in rows]


def _as_utc(value: datetime | str) -> datetime:
    at = _UTC.process_result_value(datetime.fromisoformat(value) if isinstance(value, str) else value,
                                   None)
    assert at is not None  # None comes back only for None
    return at


async def stages_reached(session: AsyncSession, eoi_ids: list[int],
                         until: datetime | None) -> dict[int, list[str]]:
    """{eoi id: the stages it entered before `until`, in order}; undone moves are left out."""
    reached: dict[int, list[str]] = {}
    for start in range(0, len(eoi_ids), 1000):  # keep IN lists within driver limits
        chunk = eoi_ids[start:start + 1000]
        rows = await session.execute(
            select(StageChange.eoi_id, StageChange.to_stage)
            .where(StageChange.eoi_id.in_(chunk), StageChange.undone_at.is_(None),
                   *_period(StageChange.at, None, until))
            .order_by(StageChange.eoi_id, StageChange.at, StageChange.id)
        )
        for eoi_id, stage in rows:
            reached.setdefault(eoi_id, []).append(stage)
    return reached


async def actors_in_period(session: AsyncSession, since: datetime | None,
                           until: datetime | None) -> list[tuple[str, str, datetime]]:
    """(actor, action, at) for every audit entry in [since, until)."""
    rows = await session.execute(
        select(AuditEntry.actor, AuditEntry.action, AuditEntry.at)
        .where(*_period(AuditEntry.at, since, until))
    )
    return [(actor, action, at) for actor, action, at in rows]


async def stage_change_actors(session: AsyncSession, since: datetime | None,
                              until: datetime | None) -> dict[str, datetime]:
    """{actor: their first stage change} for stage changes made after submission in
    [since, until) (undone ones left out)."""
    rows = await session.execute(
        select(StageChange.actor, func.min(StageChange.at))
        .where(StageChange.from_stage.is_not(None), StageChange.undone_at.is_(None),
               *_period(StageChange.at, since, until))
        .group_by(StageChange.actor)
    )
    return {actor: _as_utc(first) for actor, first in rows}


async def staff_identities(session: AsyncSession) -> set[str]:
    """'platform:user' of every identity that holds the officer or admin role now."""
    rows = await session.execute(
        select(Identity.platform, Identity.external_id).where(Identity.role.in_(("officer", "admin")))
    )
    return {f"{platform}:{user}" for platform, user in rows}


@dataclass(frozen=True)
class PartnerRows:
    """Partnering in a period: (identity, city) listed or asking; introductions as (requester
    city, listed city, status); EOIs' named partners as (eoi id, own city, partner city)."""

    engaged: list[tuple[int, str]]
    intros: list[tuple[str, str, str]]
    named: list[tuple[int, str, str]]


async def partnering_in_period(session: AsyncSession, since: datetime | None,
                               until: datetime | None) -> PartnerRows:
    listed = await session.execute(select(PartnerListing.identity_id, PartnerListing.city)
                                   .where(*_period(PartnerListing.created_at, since, until)))
    intros = list(await session.execute(
        select(PartnerIntro.requester_id, PartnerIntro.requester_city, PartnerListing.city,
               PartnerIntro.status)
        .join(PartnerListing, PartnerListing.id == PartnerIntro.listing_id)
        .where(*_period(PartnerIntro.created_at, since, until))))
    named = await session.execute(select(EoiPartner.eoi_id, EoiPartner.own_city,
                                         EoiPartner.partner_city)
                                  .where(*_period(EoiPartner.at, since, until)))
    engaged = [(i, c) for i, c in listed] + [(r[0], r[1]) for r in intros]
    return PartnerRows(engaged, [(r[1], r[2], r[3]) for r in intros],
                       [(e, o, p) for e, o, p in named])
