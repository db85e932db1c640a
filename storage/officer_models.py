"""Tables for officers' early-stage tools (issue 17): departments, challenge drafting and
approval, assessment against criteria, feedback to SMEs, exploration workshops.

Kept beside storage/models.py (same Base) so the core models module stays small; imported by
storage/store.py so every process has them in Base.metadata.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow


class OfficerDepartment(Base):
    """An officer belongs to a department: they see and move its challenges' EOIs and cases."""

    __tablename__ = "officer_departments"
    __table_args__ = (UniqueConstraint("identity_id", "department"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    identity_id: Mapped[int] = mapped_column(
        ForeignKey("identities.id", ondelete="CASCADE"), index=True)
    department: Mapped[str] = mapped_column(String(200))


class ChallengeReview(Base):
    """A challenge drafted in chat, on its way to publication through a second person.

    state: editing -> submitted -> approved (publish_on later) | returned -> ... -> published.
    The challenge row itself stays `draft` until published."""

    __tablename__ = "challenge_reviews"
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True)
    author: Mapped[str] = mapped_column(String(100))  # actor, e.g. "slack:U123"
    state: Mapped[str] = mapped_column(String(12), default="editing")
    drafted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column()
    comment: Mapped[str | None] = mapped_column(Text)  # why it was sent back
    publish_on: Mapped[datetime | None] = mapped_column()  # approved for a later date
    published_at: Mapped[datetime | None] = mapped_column()


class Criterion(Base):
    """One assessment criterion of a challenge, with its weight (defaults when none stored)."""

    __tablename__ = "challenge_criteria"
    __table_args__ = (UniqueConstraint("challenge_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(100))
    weight: Mapped[float] = mapped_column(Float)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Assessment(Base):
    """One assessor's scores for one EOI: {criterion key: 1..5} and a comment per criterion."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("eoi_id", "assessor"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    eoi_id: Mapped[int] = mapped_column(ForeignKey("eois.id", ondelete="CASCADE"), index=True)
    assessor: Mapped[str] = mapped_column(String(100))
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    comments: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    """Feedback for an SME not selected, built from assessors' comments and reviewed by an
    officer before sending: `items` is [{"id", "criterion", "text", "kept"}]."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    eoi_id: Mapped[int] = mapped_column(
        ForeignKey("eois.id", ondelete="CASCADE"), unique=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft | sent
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Workshop(Base):
    """An exploration workshop (stage 3) for one challenge."""

    __tablename__ = "workshops"
    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column()
    minutes: Mapped[int] = mapped_column(Integer, default=120)
    place: Mapped[str] = mapped_column(String(300))  # an address or an online link
    capacity: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkshopInvite(Base):
    """One EOI invited to a workshop: its answer (yes | no | maybe) and whether it came."""

    __tablename__ = "workshop_invites"
    __table_args__ = (UniqueConstraint("workshop_id", "eoi_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    eoi_id: Mapped[int] = mapped_column(ForeignKey("eois.id", ondelete="CASCADE"), index=True)
    answer: Mapped[str | None] = mapped_column(String(10))
    attended: Mapped[bool] = mapped_column(Boolean, default=False)
    reminder_id: Mapped[int | None] = mapped_column(Integer)  # the queued day-before reminder
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
