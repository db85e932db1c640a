"""Follows: which identities want reminders about which challenge."""

from __future__ import annotations

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Eoi, Follow, Identity
from storage.sql import dialect_name, rowcount


async def follow(session: AsyncSession, identity_id: int, challenge_id: int) -> bool:
    """Follow (idempotent, safe against a concurrent duplicate); True when newly followed."""
    values = {"identity_id": identity_id, "challenge_id": challenge_id}
    if dialect_name(session) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        stmt = pg_insert(Follow).values(**values).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as lite_insert
        stmt = lite_insert(Follow).values(**values).on_conflict_do_nothing()  # type: ignore[assignment]
    return rowcount(await session.execute(stmt)) == 1


async def unfollow(session: AsyncSession, identity_id: int, challenge_id: int) -> bool:
    result = await session.execute(delete(Follow).where(Follow.identity_id == identity_id,
                                                        Follow.challenge_id == challenge_id))
    return rowcount(result) == 1


async def is_following(session: AsyncSession, identity_id: int, challenge_id: int) -> bool:
    return await session.scalar(select(Follow.id).where(
        Follow.identity_id == identity_id, Follow.challenge_id == challenge_id)) is not None


def _followers(challenge_id: int, without_eoi: bool) -> Select[Identity]:
    query = (select(Identity).join(Follow, Follow.identity_id == Identity.id)
             .where(Follow.challenge_id == challenge_id, Identity.active.is_(True),
                    Identity.chat_id.is_not(None)))
    if without_eoi:
        has_eoi = select(Eoi.organisation_id).where(Eoi.challenge_id == challenge_id,
                                                    Eoi.organisation_id.is_not(None))
        query = query.where(Identity.organisation_id.is_(None)
                            | Identity.organisation_id.not_in(has_eoi))
    return query


async def followers(session: AsyncSession, challenge_id: int, *,
                    without_eoi: bool = False) -> list[Identity]:
    """Reachable followers, in identity order; optionally only those whose organisation has
    not registered interest in the challenge."""
    return list(await session.scalars(_followers(challenge_id, without_eoi)
                                      .order_by(Identity.id)))


async def count_followers(session: AsyncSession, challenge_id: int, *,
                          without_eoi: bool = False) -> int:
    inner = _followers(challenge_id, without_eoi).subquery()
    return await session.scalar(select(func.count()).select_from(inner)) or 0
