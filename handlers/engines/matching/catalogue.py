"""The live catalogue index: a Matcher rebuilt only when the challenge catalogue changes."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from content.synonyms import Synonyms
from handlers.engines.matching.index import Matcher
from storage.challenges import catalogue_stamp, list_challenges


def _build(rows: Any, synonyms: Synonyms | None, today: date) -> Matcher:
    """A new matcher with its meaning index built too, so no SME's query waits for it."""
    matcher = Matcher(rows, synonyms, today)
    matcher.meaning()
    return matcher


class CatalogueIndex:
    """A Matcher kept fresh for a running bot: rebuilt only when the catalogue changes.

    Another process (the CLI, a Slack replica) may import, publish or close challenges; a cheap
    stamp query at most every `check_every` seconds notices it without rebuilding per query.
    """

    def __init__(self, synonyms: Synonyms | None = None, check_every: float = 2.0) -> None:
        self.synonyms = synonyms
        self.check_every = check_every
        self.builds = 0
        self._matcher: Matcher | None = None
        self._stamp: Any = None
        self._checked = 0.0
        self._lock = asyncio.Lock()

    async def matcher(self, session: AsyncSession) -> Matcher:
        """The current matcher; the catalogue's stamp is checked (in the caller's session) at
        most every `check_every` seconds, and the index rebuilt when it changed."""
        today = date.today()
        current = self._matcher
        if (
            current is not None
            and current.today == today
            and time.monotonic() - self._checked < self.check_every
        ):
            return current
        async with self._lock:
            current = self._matcher
            if (
                current is not None
                and current.today == today
                and time.monotonic() - self._checked < self.check_every
            ):
                return current  # another task refreshed it while we waited
            stamp = await catalogue_stamp(session)
            if current is None or stamp != self._stamp or current.today != today:
                rows = await list_challenges(session, open_on=today)
            else:
                rows = None
            if rows is not None:
                # Building is CPU work (seconds at 10,000 challenges); keep the loop free.
                current = await asyncio.to_thread(_build, rows, self.synonyms, today)
                self._matcher, self._stamp = current, stamp
                self.builds += 1
            self._checked = time.monotonic()
            assert current is not None
            return current

    def invalidate(self) -> None:
        """Force a stamp check on the next call (e.g. right after this process edits)."""
        self._checked = 0.0
