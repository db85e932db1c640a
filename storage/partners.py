"""Partner listings, introductions between SMEs, and the partners an EOI names (issue 18)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import Challenge, Delivery, Eoi, Identity, utcnow
from storage.partner_models import EoiPartner, PartnerIntro, PartnerListing


async def listing_of(session: AsyncSession, identity_id: int,
                     challenge_id: int) -> PartnerListing | None:
    return await session.scalar(select(PartnerListing).where(
        PartnerListing.identity_id == identity_id, PartnerListing.challenge_id == challenge_id))


async def get_listing(session: AsyncSession, listing_id: int) -> PartnerListing | None:
    return await session.scalar(select(PartnerListing).options(
        selectinload(PartnerListing.challenge)).where(PartnerListing.id == listing_id))


async def save_listing(session: AsyncSession, identity_id: int, challenge_id: int,
                       values: dict[str, Any]) -> PartnerListing:
    """Make (or make again, after a withdrawal) the identity discoverable on the challenge."""
    listing = await listing_of(session, identity_id, challenge_id)
    if listing is None:
        listing = PartnerListing(identity_id=identity_id, challenge_id=challenge_id, **values)
        session.add(listing)
    else:
        for key, value in values.items():
            setattr(listing, key, value)
        listing.active = True
    await session.flush()
    return listing


async def active_listings(session: AsyncSession, challenge_id: int,
                          besides: int) -> list[PartnerListing]:
    """The challenge's discoverable SMEs other than identity `besides`, oldest first."""
    return list(await session.scalars(select(PartnerListing).where(
        PartnerListing.challenge_id == challenge_id, PartnerListing.active.is_(True),
        PartnerListing.identity_id != besides).order_by(PartnerListing.id)))


async def listings_of(session: AsyncSession, identity_id: int) -> list[PartnerListing]:
    return list(await session.scalars(select(PartnerListing).options(
        selectinload(PartnerListing.challenge)).where(PartnerListing.identity_id == identity_id)
        .order_by(PartnerListing.id)))


def _intros() -> Any:
    return select(PartnerIntro).options(
        selectinload(PartnerIntro.listing).selectinload(PartnerListing.challenge))


async def get_intro(session: AsyncSession, intro_id: int) -> PartnerIntro | None:
    return await session.scalar(_intros().where(PartnerIntro.id == intro_id))


async def find_intro(session: AsyncSession, listing_id: int,
                     requester_id: int) -> PartnerIntro | None:
    return await session.scalar(_intros().where(PartnerIntro.listing_id == listing_id,
                                                PartnerIntro.requester_id == requester_id))


async def add_intro(session: AsyncSession, listing: PartnerListing, requester_id: int,
                    requester_city: str) -> PartnerIntro:
    intro = await find_intro(session, listing.id, requester_id)
    if intro is None:
        intro = PartnerIntro(listing_id=listing.id, requester_id=requester_id,
                             requester_city=requester_city, status="pending")
        session.add(intro)
    else:  # asked again after a withdrawal
        intro.status, intro.requester_city, intro.withdrawn_by = "pending", requester_city, None
        intro.decided_at = None
    await session.flush()
    found = await get_intro(session, intro.id)
    assert found is not None
    return found


async def intros_of(session: AsyncSession, identity_id: int,
                    challenge_id: int | None = None) -> list[PartnerIntro]:
    """Introductions the identity asked for or was asked for (on one challenge, or all)."""
    mine = select(PartnerListing.id).where(PartnerListing.identity_id == identity_id)
    query = _intros().where(or_(PartnerIntro.requester_id == identity_id,
                                PartnerIntro.listing_id.in_(mine)))
    if challenge_id is not None:
        query = query.where(PartnerIntro.listing_id.in_(
            select(PartnerListing.id).where(PartnerListing.challenge_id == challenge_id)))
    return list(await session.scalars(query.order_by(PartnerIntro.id)))


async def set_intro_status(session: AsyncSession, intro: PartnerIntro, status: str,
                           by: str | None = None) -> None:
    intro.status = status
    intro.decided_at = utcnow()
    if status == "withdrawn":
        intro.withdrawn_by = by
    await session.flush()


async def drop_pending(session: AsyncSession, intro_id: int, kinds: tuple[str, ...]) -> int:
    """Take back messages about an introduction not yet sent (e.g. contact details after a
    withdrawal of consent); returns how many were taken back."""
    rows = [d for d in await session.scalars(select(Delivery).where(
        Delivery.kind.in_(kinds), Delivery.status == "pending"))
        if d.payload.get("intro_id") == intro_id]
    for row in rows:
        await session.delete(row)
    await session.flush()
    return len(rows)


async def identity(session: AsyncSession, identity_id: int) -> Identity | None:
    return await session.get(Identity, identity_id)


async def name_partner(session: AsyncSession, eoi: Eoi, intro: PartnerIntro, name: str,
                       partner_city: str, own_city: str, actor: str) -> bool:
    """Record that `eoi` names the other side of `intro` as a partner; False if it already did."""
    if await session.scalar(select(EoiPartner.id).where(EoiPartner.eoi_id == eoi.id,
                                                        EoiPartner.intro_id == intro.id)):
        return False
    session.add(EoiPartner(eoi_id=eoi.id, intro_id=intro.id, partner_name=name,
                           partner_city=partner_city, own_city=own_city, actor=actor))
    await session.flush()
    return True


# ---- officers and impact ----

async def challenge_intros(session: AsyncSession, challenge_id: int) -> list[PartnerIntro]:
    return list(await session.scalars(_intros().where(PartnerIntro.listing_id.in_(
        select(PartnerListing.id).where(PartnerListing.challenge_id == challenge_id)))
        .order_by(PartnerIntro.id)))


async def challenge_listings(session: AsyncSession, challenge_id: int) -> list[PartnerListing]:
    return list(await session.scalars(select(PartnerListing).where(
        PartnerListing.challenge_id == challenge_id).order_by(PartnerListing.id)))


async def named_partners(session: AsyncSession,
                         challenge_id: int | None = None) -> list[tuple[EoiPartner, Eoi]]:
    query = (select(EoiPartner, Eoi).join(Eoi, Eoi.id == EoiPartner.eoi_id)
             .order_by(EoiPartner.id))
    if challenge_id is not None:
        query = query.where(Eoi.challenge_id == challenge_id)
    return [(row[0], row[1]) for row in await session.execute(query)]


async def partner_names(session: AsyncSession, eoi_ids: list[int]) -> dict[int, list[str]]:
    """{EOI id: ["Partner name (city)", ...]} for the export."""
    names: dict[int, list[str]] = {}
    for start in range(0, len(eoi_ids), 1000):
        for row in await session.scalars(select(EoiPartner).where(
                EoiPartner.eoi_id.in_(eoi_ids[start:start + 1000])).order_by(EoiPartner.id)):
            names.setdefault(row.eoi_id, []).append(f"{row.partner_name} ({row.partner_city})")
    return names


async def all_listings(session: AsyncSession) -> list[PartnerListing]:
    return list(await session.scalars(select(PartnerListing)))


async def all_intros(session: AsyncSession) -> list[PartnerIntro]:
    return list(await session.scalars(_intros()))


async def challenge_by_id(session: AsyncSession, challenge_id: int) -> Challenge | None:
    return await session.get(Challenge, challenge_id)


# ---- personal data ----

async def erase_identity(session: AsyncSession, identity_id: int, erased: str) -> None:
    """`/forget`: the identity's listings and every introduction it is a side of go; a partner
    an EOI named from one of them keeps its city (impact) but not its name."""
    mine = select(PartnerListing.id).where(PartnerListing.identity_id == identity_id)
    intro_ids = select(PartnerIntro.id).where(or_(PartnerIntro.requester_id == identity_id,
                                                  PartnerIntro.listing_id.in_(mine)))
    ids = list(await session.scalars(intro_ids))
    for row in await session.scalars(select(EoiPartner).where(EoiPartner.intro_id.in_(ids))):
        row.partner_name, row.intro_id = erased, None  # SQLite may not cascade SET NULL
    for delivery in await session.scalars(select(Delivery).where(
            Delivery.kind.like("partner%"), Delivery.status == "pending")):
        if delivery.payload.get("intro_id") in ids:  # its details are in them
            await session.delete(delivery)
    await session.execute(delete(PartnerIntro).where(PartnerIntro.id.in_(ids)))
    await session.execute(delete(PartnerListing).where(PartnerListing.identity_id == identity_id))
    await session.flush()


async def export_identity(session: AsyncSession, identity_id: int) -> dict[str, list[Any]]:
    listings = await listings_of(session, identity_id)
    intros = await intros_of(session, identity_id)
    return {"listings": listings, "intros": intros}
