"""Tables for partners across cities (issue 18): SMEs discoverable as partners on a challenge,
introductions between them, and the partners an EOI names.

Kept beside storage/models.py (same Base), like storage/officer_models.py; imported by
storage/store.py so every process has them in Base.metadata.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models import Base, Challenge, utcnow


class PartnerListing(Base):
    """An SME discoverable as a possible partner on one challenge (issue 18): what it offers,
    what partner it looks for, its city, and the details shared only once both sides agree."""

    __tablename__ = "partner_listings"
    __table_args__ = (UniqueConstraint("challenge_id", "identity_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"),
                                              index=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"),
                                             index=True)
    city: Mapped[str] = mapped_column(String(20))  # birmingham | gavle | ... | other
    offer: Mapped[str] = mapped_column(Text)
    seeking: Mapped[str] = mapped_column(Text)
    org_name: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False once withdrawn
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    challenge: Mapped[Challenge] = relationship(lazy="raise")


class PartnerIntro(Base):
    """One SME asking to be introduced to a listed one: pending -> accepted | declined, and
    withdrawn by either side at any time. Contact details go out only once accepted."""

    __tablename__ = "partner_intros"
    __table_args__ = (UniqueConstraint("listing_id", "requester_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("partner_listings.id", ondelete="CASCADE"),
                                            index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"),
                                              index=True)
    requester_city: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    withdrawn_by: Mapped[str | None] = mapped_column(String(10))  # requester | lister

    listing: Mapped[PartnerListing] = relationship(lazy="raise")


class EoiPartner(Base):
    """A partner an EOI names (from an accepted introduction), kept for officers and impact
    even if the introduction is later erased (its name then reads "[erased]")."""

    __tablename__ = "eoi_partners"
    __table_args__ = (UniqueConstraint("eoi_id", "intro_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    eoi_id: Mapped[int] = mapped_column(ForeignKey("eois.id", ondelete="CASCADE"), index=True)
    intro_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner_intros.id", ondelete="SET NULL"))
    partner_name: Mapped[str] = mapped_column(String(200))
    partner_city: Mapped[str] = mapped_column(String(20))
    own_city: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)
