"""Shared by the calendar's tests: a challenge with a closing date and many followers."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select

from storage.models import Challenge, Follow, Identity, utcnow
from storage.store import Store


async def add_challenge(store: Store, ref: str, closes: date, status: str = "open") -> int:
    async with store.session() as session:
        challenge = Challenge(ref=ref, title=f"Challenge {ref}", department="Highways",
                              summary="Sensors for gritting routes.", tags=["sensors"],
                              status=status, closes=closes)
        session.add(challenge)
        await session.flush()
        return challenge.id


async def add_followers(store: Store, challenge_id: int, n: int, first: int,
                        platform: str = "telegram") -> list[int]:
    """`n` active SMEs with chat ids first..first+n-1, each following the challenge."""
    now = utcnow()
    chats = [str(c) for c in range(first, first + n)]
    async with store.session() as session:
        for start in range(0, n, 1000):
            await session.execute(insert(Identity), [
                {"platform": platform, "external_id": c, "chat_id": c, "role": "sme",
                 "active": True, "created_at": now} for c in chats[start:start + 1000]])
        ids = list(await session.scalars(select(Identity.id).where(
            Identity.platform == platform, Identity.chat_id.in_(chats)).order_by(Identity.id)))
        for start in range(0, n, 1000):
            await session.execute(insert(Follow), [
                {"identity_id": i, "challenge_id": challenge_id, "created_at": now}
                for i in ids[start:start + 1000]])
    return ids
