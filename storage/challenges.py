"""Challenge catalogue queries."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Challenge, Eoi

FIELDS = ("title", "department", "summary", "tags", "status", "opens", "closes", "budget",
          "contact", "url", "sample", "translations")


async def upsert_challenges(
    session: AsyncSession, specs: Iterable[Mapping[str, Any]], *, keep_status: bool = False,
    kept: list[tuple[str, str, str]] | None = None,
    each: Callable[[list[Mapping[str, Any]]], Iterable[Mapping[str, Any]]] = iter,
) -> tuple[int, int, int]:
    """Insert or update by `ref` (never deletes). Returns (created, updated, unchanged).

    With `keep_status`, an existing challenge that is published or closed (not a draft) keeps its
    status whatever the file says; each one kept is added to `kept` as (ref, status, file's)."""
    specs = list(specs)
    existing = {
        c.ref: c
        for c in await session.scalars(
            select(Challenge).where(Challenge.ref.in_([s["ref"] for s in specs]))
        )
    }
    created = updated = 0
    for spec in each(specs):  # `each` may show progress (dips challenges import)
        values = {f: (list(spec[f]) if f == "tags" else spec[f]) for f in FIELDS if f in spec}
        values.setdefault("translations", None)  # optional: a file without them has none
        row = existing.get(spec["ref"])
        if row is None:
            session.add(Challenge(ref=spec["ref"], **values))
            created += 1
            continue
        if keep_status and row.status != "draft" and values["status"] != row.status:
            if kept is not None:
                kept.append((row.ref, row.status, str(values["status"])))
            values["status"] = row.status
        if any(getattr(row, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(row, f, v)
            updated += 1
    await session.flush()
    return created, updated, len(specs) - created - updated


async def open_samples(session: AsyncSession, *, besides: Iterable[str] = ()) -> list[Challenge]:
    """Sample challenges still open to SMEs (other than the refs in `besides`)."""
    skip = set(besides)
    rows = await session.scalars(
        select(Challenge).where(Challenge.sample.is_(True), Challenge.status == "open")
        .order_by(Challenge.ref))
    return [c for c in rows if c.ref not in skip]


async def list_challenges(session: AsyncSession, *, open_on: date | None = None) -> list[Challenge]:
    """All challenges by ref, or only those open to SMEs on `open_on`."""
    query = select(Challenge).order_by(Challenge.closes.is_(None), Challenge.closes, Challenge.ref)
    if open_on is not None:
        query = query.where(
            Challenge.status == "open",
            (Challenge.closes.is_(None)) | (Challenge.closes >= open_on),
        )
    return list(await session.scalars(query))


async def get_challenge(session: AsyncSession, ref: str, *, lock: bool = False) -> Challenge | None:
    """The challenge called `ref`; with `lock`, its row is held until the transaction ends
    (PostgreSQL; SQLite has one writer at a time anyway)."""
    query = select(Challenge).where(Challenge.ref == ref)
    return await session.scalar(query.with_for_update() if lock else query)


async def published_challenges(session: AsyncSession) -> list[Challenge]:
    """Every challenge SMEs have been shown: open or closed, not drafts."""
    return list(await session.scalars(select(Challenge).where(Challenge.status != "draft")))


async def count_challenges(session: AsyncSession) -> int:
    return await session.scalar(select(func.count(Challenge.id))) or 0


async def catalogue_stamp(session: AsyncSession) -> tuple[int, datetime | None]:
    """A cheap fingerprint of the catalogue: changes whenever a challenge is added or edited."""
    count, latest = (
        await session.execute(select(func.count(Challenge.id), func.max(Challenge.updated_at)))
    ).one()
    return count, latest


async def set_status(session: AsyncSession, ref: str, status: str) -> Challenge | None:
    challenge = await get_challenge(session, ref)
    if challenge is not None:
        challenge.status = status
        await session.flush()
    return challenge


async def eoi_counts_by_stage(session: AsyncSession) -> dict[int, dict[str, int]]:
    """{challenge id: {stage: count}} for every challenge with EOIs."""
    rows = await session.execute(
        select(Eoi.challenge_id, Eoi.stage, func.count()).group_by(Eoi.challenge_id, Eoi.stage)
    )
    counts: dict[int, dict[str, int]] = {}
    for challenge_id, stage, n in rows:
        counts.setdefault(challenge_id, {})[stage] = n
    return counts
