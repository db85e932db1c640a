"""Synonym groups as stem tuples, found in a query by their first stem; the shipped file."""

from __future__ import annotations

from collections.abc import Sequence

from content.synonyms import Synonyms, load_synonyms
from handlers.engines.matching.text import STOPWORDS, terms, words

Q_SYNONYM = 0.8  # a synonym is a little weaker evidence than the words themselves
Q_SYNONYM_PART = 0.4  # one word of a multi-word synonym; the phrase bonus adds the rest


class SynonymIndex:
    """Synonym groups as stem tuples, found in a query by their first stem."""

    def __init__(self, synonyms: Synonyms) -> None:
        self.groups: list[list[tuple[str, ...]]] = []
        self.by_first: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        self.words: set[str] = set()
        for group in synonyms.groups:
            members: list[tuple[str, ...]] = []
            for phrase in group:
                stems = tuple(terms(phrase))
                if stems and stems not in members:
                    members.append(stems)
                self.words.update(w for w in words(phrase) if w not in STOPWORDS)
            if len(members) < 2:
                continue
            gid = len(self.groups)
            self.groups.append(members)
            for member in members:
                self.by_first.setdefault(member[0], []).append((member, gid))
        self.stems = {s for members in self.groups for m in members for s in m}

    def found(self, seq: Sequence[str]) -> list[tuple[int, tuple[str, ...]]]:
        """(group, member) for each synonym phrase appearing contiguously in `seq`."""
        hits = []
        for i, s in enumerate(seq):
            for member, gid in self.by_first.get(s, ()):
                if tuple(seq[i : i + len(member)]) == member:
                    hits.append((gid, member))
        return hits

    def expand(self, seq: Sequence[str]) -> dict[str, float]:
        """Stems the query gains from synonyms of phrases it contains."""
        extra: dict[str, float] = {}
        for gid, member in self.found(seq):
            for other in self.groups[gid]:
                if other != member:
                    q = Q_SYNONYM if len(other) == 1 else Q_SYNONYM_PART
                    for s in other:
                        extra[s] = max(extra.get(s, 0.0), q)
        return extra


_default_synonyms: Synonyms | None = None


def default_synonyms() -> Synonyms:
    """The shipped synonyms file, loaded once per process."""
    global _default_synonyms
    if _default_synonyms is None:
        _default_synonyms = load_synonyms()
    return _default_synonyms
