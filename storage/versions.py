"""An EOI's submitted details and their versions: what was submitted stays submitted.

The EOI row holds its latest version's details (organisation, contact, proposal); every change
after submission adds an `EoiVersion` row and keeps the earlier ones.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Eoi, EoiVersion, utcnow

DETAILS = ("org_name", "size_band", "country", "city", "website", "contact_name",
           "contact_email")


def details_of(org: dict[str, Any], contact: dict[str, Any]) -> dict[str, Any]:
    """Snapshot values from a profile's organisation and contact fields."""
    return {"org_name": org.get("name"), "size_band": org.get("size_band"),
            "country": org.get("country"), "city": org.get("city"),
            "website": org.get("website"), "contact_name": contact.get("name"),
            "contact_email": contact.get("email")}


def current_details(eoi: Eoi) -> dict[str, Any]:
    return {key: getattr(eoi, key) for key in DETAILS}


def shown_details(eoi: Eoi) -> dict[str, Any]:
    """The details to show for an EOI: as submitted; for a row written without them (by a
    loader that skips create_eoi), its organisation and contact, which must be loaded."""
    if eoi.org_name is not None:
        return current_details(eoi)
    org, contact = eoi.organisation, eoi.contact
    return details_of({"name": org.name, "size_band": org.size_band, "country": org.country,
                       "city": org.city, "website": org.website},
                      {"name": contact.name, "email": contact.email} if contact else {})


async def add_version(session: AsyncSession, eoi: Eoi, kind: str, actor: str, *,
                      summary: str | None = None,
                      details: dict[str, Any] | None = None) -> EoiVersion:
    """Record a new version (number = the EOI's last + 1) and make it the EOI's current one."""
    if details is not None:
        for key in DETAILS:
            setattr(eoi, key, details.get(key))
    if summary is not None:
        eoi.summary = summary
    number = (await session.scalar(
        select(EoiVersion.number).where(EoiVersion.eoi_id == eoi.id)
        .order_by(EoiVersion.number.desc()).limit(1))) or 0
    eoi.version = number + 1
    eoi.updated_at = utcnow()
    version = EoiVersion(eoi_id=eoi.id, number=number + 1, kind=kind, stage=eoi.stage,
                         summary=eoi.summary, actor=actor, **current_details(eoi))
    session.add(version)
    await session.flush()
    return version


async def versions(session: AsyncSession, eoi_id: int) -> list[EoiVersion]:
    return list(await session.scalars(
        select(EoiVersion).where(EoiVersion.eoi_id == eoi_id).order_by(EoiVersion.number)))
