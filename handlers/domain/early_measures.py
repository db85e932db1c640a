"""The early stages' own impact measures, part of the impact report (handlers/domain/impact.py).

Definitions, over the period [since, until):
- Challenges defined per department: challenges created in the period (not the samples), by
  the department that owns them, whether drafted in chat or imported.
- Time from draft to publication: for challenges drafted in chat and published in the period,
  the median number of days from the first draft to publication (and how many there were).
- EOIs assessed: distinct EOIs scored by at least one assessor in the period.
- Workshops held: exploration workshops that started in the period (and have started).
- SMEs attending: distinct organisations recorded as having come to one of those workshops.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import impact_early as queries


@dataclass
class EarlyStages:
    challenges_by_department: dict[str, int] = field(default_factory=dict)
    published_from_drafts: int = 0
    median_days_to_publication: float | None = None
    eois_assessed: int = 0
    workshops_held: int = 0
    smes_attending: int = 0


async def early_measures(session: AsyncSession, since: datetime | None, until: datetime | None,
                         now: datetime | None = None) -> EarlyStages:
    drafted = await queries.draft_to_publication(session, since, until)
    days = [(published - draft).total_seconds() / 86400 for draft, published in drafted]
    held = await queries.workshops_held(session, since, until, now or datetime.now(UTC))
    return EarlyStages(
        challenges_by_department=dict(sorted(
            (await queries.challenges_by_department(session, since, until)).items())),
        published_from_drafts=len(days),
        median_days_to_publication=round(statistics.median(days), 1) if days else None,
        eois_assessed=await queries.eois_assessed(session, since, until),
        workshops_held=len(held),
        smes_attending=len(await queries.organisations_attending(session, held)),
    )
