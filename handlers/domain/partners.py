"""Partnering rules with no chat wording: the cities, who counts as interested in a challenge,
and what counts as international (issue 18)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.impact import fold
from storage import eois, people
from storage import partners as store
from storage.models import Challenge, Identity
from storage.partner_models import PartnerListing

# Birmingham and the BETTER partner cities, each with its country; "other" has none known.
CITY_COUNTRY = {"birmingham": "GB", "gavle": "SE", "tartu": "EE", "nyiregyhaza": "HU",
                "genoa": "IT", "other": ""}
CITIES = tuple(CITY_COUNTRY)
_ALIASES = {"genova": "genoa", "gaevle": "gavle", "nyireg": "nyiregyhaza"}


def city_key(name: str | None) -> str:
    """A typed or profile city as one of CITIES ("Gävle" -> gavle, "Leeds" -> other)."""
    folded = fold(name or "").replace("-", "").replace(" ", "")
    folded = _ALIASES.get(folded, folded)
    return folded if folded in CITY_COUNTRY else "other"


def international(city_a: str, city_b: str) -> bool:
    """Two sides in different known countries (an "other" city's country isn't known)."""
    a, b = CITY_COUNTRY.get(city_a, ""), CITY_COUNTRY.get(city_b, "")
    return bool(a and b and a != b)


def cross_city(city_a: str, city_b: str) -> bool:
    return city_a != city_b or city_a == "other"


async def interested(session: AsyncSession, identity: Identity, challenge: Challenge) -> bool:
    """Following a challenge for partnering means an EOI on it (not withdrawn) or a listing."""
    if await store.listing_of(session, identity.id, challenge.id) is not None:
        return True
    if identity.organisation_id is None:
        return False
    eoi = await eois.find_eoi(session, identity.organisation_id, challenge.id)
    return eoi is not None and eoi.stage != "withdrawn"


async def own_city(session: AsyncSession, identity: Identity, challenge_id: int) -> str:
    """The identity's city for this challenge: its listing's, else its profile's."""
    listing = await store.listing_of(session, identity.id, challenge_id)
    if listing is not None:
        return listing.city
    org, _ = await people.get_profile(session, identity)
    return city_key(org.city if org else None)


async def contact_card(session: AsyncSession, identity: Identity,
                       listing: PartnerListing | None) -> tuple[str, str, str, str]:
    """(organisation, contact name, email, city key) to share once both sides agree: the
    listing's details, else the SME's profile."""
    if listing is not None:
        return listing.org_name, listing.contact_name, listing.contact_email, listing.city
    org, contact = await people.get_profile(session, identity)
    return (org.name if org else "?", contact.name if contact else "?",
            contact.email if contact else "?", city_key(org.city if org else None))
