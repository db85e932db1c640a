"""Which subscription tags fit a challenge, and which subscribers should hear of it."""

from __future__ import annotations

from rapidfuzz import fuzz
from sqlalchemy.ext.asyncio import AsyncSession

from content.synonyms import Synonyms, normalise_phrase
from handlers.engines.matching.index import ChallengeLike
from handlers.engines.matching.synonyms import SynonymIndex, default_synonyms
from handlers.engines.matching.text import terms
from storage.models import Identity
from storage.subscriptions import list_active_subscriptions


def tag_fits(tag: str, challenge: ChallengeLike, synonyms: Synonyms | None = None) -> bool:
    """Whether one subscription tag fits a challenge: all its words in the challenge's tags or
    title (any order, plurals, synonyms), or a multi-word tag found as a phrase in the summary."""
    syn = SynonymIndex(synonyms if synonyms is not None else default_synonyms())
    return _tag_fits(tag, _ChallengeTerms(challenge), syn)


class _ChallengeTerms:
    def __init__(self, c: ChallengeLike) -> None:
        self.tags = {normalise_phrase(t) for t in c.tags}
        self.strong = {s for t in c.tags for s in terms(t)} | set(terms(c.title))
        self.summary = " " + " ".join(terms(c.summary)) + " "


def _tag_fits(tag: str, ct: _ChallengeTerms, syn: SynonymIndex) -> bool:
    stems = tuple(terms(tag))
    if not stems:
        return False
    alternatives = [stems]
    for gid, member in syn.found(stems):
        if member == stems:
            alternatives.extend(m for m in syn.groups[gid] if m != stems)
    for alt in alternatives:
        if all(s in ct.strong for s in alt):
            return True
        if len(alt) > 1 and f" {' '.join(alt)} " in ct.summary:
            return True
    # A small typo in a stored tag still finds the same challenge tag.
    return any(fuzz.ratio(normalise_phrase(tag), t) >= 90 for t in ct.tags)


async def subscribers_matching(
    session: AsyncSession, challenge: ChallengeLike, synonyms: Synonyms | None = None
) -> list[tuple[Identity, list[str]]]:
    """Active identities whose subscription tags fit `challenge`, each with the tags that fit."""
    subscriptions = await list_active_subscriptions(session)
    syn = SynonymIndex(synonyms if synonyms is not None else default_synonyms())
    ct = _ChallengeTerms(challenge)
    found: list[tuple[Identity, list[str]]] = []
    for identity, subscription in subscriptions:
        fitting = [t for t in subscription.tags or [] if _tag_fits(t, ct, syn)]
        if fitting:
            found.append((identity, fitting))
    return found
