"""Matching SMEs to open challenges: typo-tolerant, synonym-aware, explainable, and fast.

How a query is matched (measured to rank better than whole-string fuzzy scorers, which tie most
candidates on long text):
1. split into words; each word is stemmed (plurals, -ing/-er/-ed...); a word whose stem the
   catalogue does not know is corrected against the catalogue's own words with rapidfuzz;
2. synonym phrases found in the query add the other phrases of their group;
3. challenges are ranked by an inverted index of IDF-weighted terms: a tag counts most, then the
   title, then the summary; a multi-word tag whose words all appear earns a phrase bonus;
4. a challenge is offered only when the evidence is strong enough in absolute terms and covers
   enough of what the query says;
5. when the words offer nothing, the query is matched by meaning (meaning.py: sentence
   embeddings, with a calibrated similarity floor); otherwise the answer is [] rather than a
   weak guess.
"""

from __future__ import annotations

import gc
import math
import threading
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import numpy as np
from rapidfuzz import fuzz, process

from content.challenges import ChallengeSpec
from content.synonyms import Synonyms, normalise_phrase
from handlers.engines.matching.meaning import MeaningHit, MeaningIndex
from handlers.engines.matching.synonyms import SynonymIndex, default_synonyms
from handlers.engines.matching.text import GENERIC, STOPWORDS, TERMS, stem, terms, words

# Field weights: a tag is the officer's own statement of topic, so it outweighs prose.
W_TAG = 3.0
W_TITLE = 1.5
W_SUMMARY = 1.0
W_PHRASE = 2.0  # extra per matched multi-word tag, times its words' IDF
Q_FUZZY = 0.85  # a corrected word is slightly less certain than a typed one
Q_GENERIC = 0.35  # "app", "platform", "data": real words, but they fit nearly any challenge
BM25_K1 = 1.2  # no length normalisation: summaries are all short

MIN_EVIDENCE = 1.2  # raw score the best challenge needs; about one rare word in the title
MIN_COVERAGE = 0.3  # share of the query's informative words a result must explain
MIN_COVERAGE_UNTAGGED = 0.5  # ...when none of its tags matched, only title/summary words
RELATIVE_CUTOFF = 0.3  # drop the tail that scores under this share of the best result
SCORE_SCALE = 4.0  # maps raw score to 0..1 as 1 - exp(-raw / scale)



class ChallengeLike(Protocol):
    """What matching reads from a challenge (a catalogue spec or a stored row); read-only, so a
    row whose tags are a list fits as well as a spec whose tags are a tuple."""

    @property
    def ref(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def department(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def tags(self) -> Sequence[str]: ...
    @property
    def status(self) -> str: ...
    @property
    def closes(self) -> date | None: ...


@dataclass(frozen=True)
class Match:
    ref: str
    title: str
    department: str
    score: float  # 0..1
    matched: tuple[str, ...]  # tags or words that matched, best first, for "matched on: ..."


def _is_open(challenge: Any, today: date) -> bool:
    closes = getattr(challenge, "closes", None)
    return getattr(challenge, "status", None) == "open" and (closes is None or closes >= today)


class _Numbering(dict[str, int]):
    """term -> its id, numbered in order of first sight."""

    def __missing__(self, term: str) -> int:
        number = self[term] = len(self)
        return number


class Matcher:
    """An immutable index over the challenges open on `today`; build once, query many times."""

    def __init__(
        self,
        challenges: Iterable[ChallengeLike],
        synonyms: Synonyms | None = None,
        today: date | None = None,
        meaning: bool = True,
    ) -> None:
        self.today = today or date.today()
        self._use_meaning = meaning
        self._meaning: MeaningIndex | None = None
        self._meaning_lock = threading.Lock()
        self._syn = SynonymIndex(synonyms if synonyms is not None else default_synonyms())
        # The build allocates hundreds of thousands of small objects, none of them cyclic
        # garbage; pausing the cyclic collector meanwhile cuts build time by about a fifth.
        collecting = gc.isenabled()
        gc.disable()
        try:
            # Plain values, never database rows: a cached Matcher outlives the session (and
            # any rollback) that loaded its challenges.
            self._build([ChallengeSpec(c.ref, c.title, c.department, c.summary, tuple(c.tags),
                                       c.status, c.closes)
                         for c in challenges if _is_open(c, self.today)])
        finally:
            if collecting:
                gc.enable()

    def _build(self, docs: list[ChallengeSpec]) -> None:
        self.challenges: tuple[ChallengeSpec, ...] = tuple(docs)
        n = len(docs)

        term_of = TERMS.__getitem__  # word -> stem, "" for stop words; memoised, C-speed map
        # tag text -> (its stems, its phrase id or -1); tags repeat across challenges.
        tag_cache: dict[str, tuple[tuple[str, ...], int]] = {}
        # Multi-word tags: stem tuple -> id; id -> challenges that carry it.
        phrase_ids: dict[tuple[str, ...], int] = {}
        phrase_docs: list[list[int]] = []
        # Every (challenge, term) pair once, flat: term id, field weight, and whether the term is
        # in a tag (1) or the title (2). IDF is applied per query term, not per entry.
        tids = _Numbering()
        tid_of = tids.__getitem__
        # Typed arrays, not lists: no Python object per entry while building.
        flat_tid = array("i")
        flat_w = array("f")
        flat_kind = array("b")
        doc_ptr = array("q", [0])
        once = W_SUMMARY / (1 + BM25_K1)  # BM25-saturated weight of a word said once
        for i, c in enumerate(docs):
            tags_i: set[str] = set()
            for tag in c.tags:
                cached = tag_cache.get(tag)
                if cached is None:
                    stems = tuple(dict.fromkeys(filter(None, map(term_of, words(tag)))))
                    pid = -1
                    if len(stems) > 1:
                        pid = phrase_ids.setdefault(stems, len(phrase_docs))
                        if pid == len(phrase_docs):
                            phrase_docs.append([])
                    cached = tag_cache[tag] = (stems, pid)
                stems, pid = cached
                tags_i.update(stems)
                if pid >= 0:
                    phrase_docs[pid].append(i)
            title_i = set(filter(None, map(term_of, words(c.title))))
            body = list(filter(None, map(term_of, words(f"{c.summary}\n{c.department}"))))
            doc_w = dict.fromkeys(body, once)
            if len(doc_w) < len(body):  # repeated words saturate (BM25 tf)
                for t, f in Counter(body).items():
                    if f > 1:
                        doc_w[t] = W_SUMMARY * f / (f + BM25_K1)
            for t in title_i:
                doc_w[t] = doc_w.get(t, 0.0) + W_TITLE
            for t in tags_i:
                doc_w[t] = doc_w.get(t, 0.0) + W_TAG
            kind = dict.fromkeys(doc_w, 0)
            for t in title_i:
                kind[t] = 2
            for t in tags_i:
                kind[t] |= 1
            flat_tid.extend(map(tid_of, doc_w))
            flat_w.extend(doc_w.values())
            flat_kind.extend(kind.values())
            doc_ptr.append(len(flat_tid))

        # Per challenge (for explaining a result) and per term (for scoring), as flat arrays:
        # compact at 10,000 challenges, and a query term is one vectorised add.
        self._terms = list(tids)
        self._tids = dict(tids)  # plain dict: a query's miss must not number a new term
        self._doc_ptr = np.frombuffer(doc_ptr, dtype=np.int64).copy()
        self._doc_tid = np.frombuffer(flat_tid, dtype=np.int32).copy()
        self._doc_w = np.frombuffer(flat_w, dtype=np.float32).copy()
        self._doc_kind = np.frombuffer(flat_kind, dtype=np.int8).copy()
        del flat_tid, flat_w, flat_kind, doc_ptr
        owner = np.repeat(np.arange(n, dtype=np.int32), np.diff(self._doc_ptr))
        order = np.argsort(self._doc_tid, kind="stable")
        self._post_doc = owner[order]
        self._post_w = self._doc_w[order]
        df = np.bincount(self._doc_tid, minlength=len(tids))
        self._post_ptr = np.concatenate(([0], np.cumsum(df))).astype(np.int64)
        idf_max = math.log(1 + (n - 0.5) / 1.5) if n else 1.0
        idf = np.log1p((n - df + 0.5) / (df + 0.5)) / idf_max
        self._idf: dict[str, float] = dict(zip(self._terms, idf.tolist(), strict=True))
        self._phrases: list[tuple[str, ...]] = [()] * len(phrase_ids)
        for stems, pid in phrase_ids.items():
            self._phrases[pid] = stems
        self._phrase_docs = [np.asarray(d, dtype=np.int32) for d in phrase_docs]
        # A phrase can only match when its rarest word is in the query, so index it there only.
        self._phrases_by_stem: dict[str, list[int]] = {}
        for pid, stems in enumerate(self._phrases):
            rarest = min(stems, key=lambda t: df[tids[t]])
            self._phrases_by_stem.setdefault(rarest, []).append(pid)
        # Correction candidates bucketed by first letter: typos rarely hit the first letter, and
        # it keeps each lookup to a small slice of a large vocabulary. The catalogue's words are
        # read back from the word memo (a copy: another thread may be adding to it).
        vocab = {w for w, t in TERMS.copy().items() if t in tids} | self._syn.words
        self._vocab_by_letter: dict[str, list[str]] = {}
        for word in sorted(vocab):
            if len(word) >= 3 and not word.isdigit() and word not in STOPWORDS:
                self._vocab_by_letter.setdefault(word[0], []).append(word)
        self._known = set(tids) | self._syn.stems
        # stem -> the synonym groups with a member containing it (for _syn_share).
        self._syn_groups_of: dict[str, list[list[tuple[str, ...]]]] = {}
        for members in self._syn.groups:
            for stem_ in dict.fromkeys(x for m in members for x in m):
                self._syn_groups_of.setdefault(stem_, []).append(members)
        self._corrections: dict[str, str | None] = {}

    def _doc_terms(self, i: int) -> dict[str, tuple[float, int]]:
        """Challenge i's terms: {stem: (field weight, kind: 1 tag, 2 title, bits)}."""
        a, b = self._doc_ptr[i], self._doc_ptr[i + 1]
        terms_ = self._terms
        return {terms_[t]: (w, k) for t, w, k in zip(self._doc_tid[a:b].tolist(), self._doc_w[a:b].tolist(),
                                                      self._doc_kind[a:b].tolist(), strict=True)}

    def __len__(self) -> int:
        return len(self.challenges)

    # -- query side --------------------------------------------------------------------------

    def _correct(self, word: str) -> str | None:
        """The catalogue word closest to an unknown `word`, or None when nothing is close."""
        if word in self._corrections:
            return self._corrections[word]
        best = None
        if len(word) >= 4 and not word.isdigit():
            cutoff = 80 if len(word) <= 7 else 78
            found = process.extractOne(
                word,
                self._vocab_by_letter.get(word[0], ()),
                scorer=fuzz.ratio,
                score_cutoff=cutoff,
            )
            if found is not None:
                best = found[0]
        if len(self._corrections) > 50_000:
            self._corrections.clear()
        self._corrections[word] = best
        return best

    def _query_terms(self, text: str) -> tuple[dict[str, float], list[str]]:
        """{stem: certainty} for the query (after correction and synonyms), and its stems."""
        seq: list[str] = []
        weight: dict[str, float] = {}
        for w in words(text):
            if len(w) < 2 or w in STOPWORDS:
                continue
            s = stem(w)
            q = 1.0
            if s not in self._known:
                fixed = self._correct(w)
                if fixed is not None:
                    s, q = stem(fixed), Q_FUZZY
            if s in GENERIC:
                q *= Q_GENERIC
            seq.append(s)
            weight[s] = max(weight.get(s, 0.0), q)
        for s, q in self._syn.expand(seq).items():
            if s not in weight:
                weight[s] = q
        return weight, seq

    def match(self, text: str | Sequence[str], limit: int = 5) -> list[Match]:
        """Open challenges that fit `text`, best first; [] when nothing fits well."""
        if not isinstance(text, str):
            text = ", ".join(text)
        if limit <= 0 or not self.challenges:
            return []
        found = self._lexical(text, limit)
        meaning = None if found else self.meaning()
        if meaning is None:
            return found
        return [self._meaning_result(hit) for hit in meaning.search(text, limit)]

    def meaning(self) -> MeaningIndex | None:
        """The challenges' embeddings, built on first use (CatalogueIndex builds them in its
        worker thread with the rest): about 1.5 s at 10,000 challenges, so a Matcher that only
        ever finds matches by words never pays it."""
        if self._meaning is None and self._use_meaning:
            with self._meaning_lock:
                if self._meaning is None:
                    self._meaning = MeaningIndex(
                        f"{c.title}. {', '.join(c.tags)}. {c.summary}" for c in self.challenges)
        return self._meaning

    def _meaning_result(self, hit: MeaningHit) -> Match:
        c = self.challenges[hit.index]
        return Match(c.ref, c.title, c.department, hit.similarity, hit.words)

    def _lexical(self, text: str, limit: int) -> list[Match]:
        weight, seq = self._query_terms(text)
        if not weight:
            return []
        # Every posting of every query term, scored exactly: one vectorised add per term.
        acc = np.zeros(len(self.challenges), dtype=np.float32)
        ptr, tids = self._post_ptr, self._tids
        for t, q in weight.items():
            tid = tids.get(t)
            if tid is not None:
                a, b = ptr[tid], ptr[tid + 1]
                acc[self._post_doc[a:b]] += (q * self._idf[t]) * self._post_w[a:b]
        # Phrase bonus for multi-word tags whose words all occur (in any order).
        for t in weight:
            for pid in self._phrases_by_stem.get(t, ()):
                stems = self._phrases[pid]
                if all(s in weight for s in stems):
                    bonus = W_PHRASE * min(weight[s] for s in stems) * sum(self._idf[s] for s in stems)
                    np.add.at(acc, self._phrase_docs[pid], bonus)
        k = min(max(limit * 3, 10), len(acc))
        top_i = np.argpartition(-acc, k - 1)[:k]
        top_i = top_i[np.argsort(-acc[top_i], kind="stable")]
        best = float(acc[top_i[0]])
        if best <= 0 or best < MIN_EVIDENCE:
            return []
        # How much the query says: typed words count fully, unknown words too (they are what
        # the SME does and we lack), synonym additions not at all (they only widen recall).
        typed = {s: (Q_GENERIC if s in GENERIC else 1.0) * self._idf.get(s, 1.0) for s in seq}
        mass = sum(typed.values()) or 1.0
        results: list[Match] = []
        said: dict[str, str] | None = None  # stem -> the SME's own word for it
        for i, raw in zip(top_i.tolist(), acc[top_i].tolist(), strict=True):
            if raw <= 0 or raw < best * RELATIVE_CUTOFF:
                break
            doc = self._doc_terms(i)
            hit = [t for t in weight if t in doc]
            topical = [t for t in hit if t not in GENERIC]
            tagged = any(doc[t][1] & 1 for t in topical)
            if not tagged and not any(doc[t][1] & 2 for t in topical):
                continue  # summary or generic words alone are too weak to offer a challenge
            hits = set(hit)
            covered = sum(m if s in hits else m * self._syn_share(s, hits) for s, m in typed.items())
            if covered / mass < (MIN_COVERAGE if tagged else MIN_COVERAGE_UNTAGGED):
                continue
            if said is None:
                said = {}
                for w in words(text):
                    if stem(w) in self._known:
                        said.setdefault(stem(w), w)
            results.append(self._result(i, raw, hit, weight, doc, said))
            if len(results) >= limit:
                break
        return results

    def _syn_share(self, s: str, hits: set[str]) -> float:
        """How far a typed stem is explained by its synonyms: the best share of one synonym's
        words that matched ("bike hire" half-explained by the "shar" of "bike sharing")."""
        best = 0.0
        for members in self._syn_groups_of.get(s, ()):
            for m in members:
                best = max(best, sum(h in hits for h in m) / len(m))
        return best

    def _result(self, i: int, raw: float, hit: list[str], weight: dict[str, float],
                doc: dict[str, tuple[float, int]], said: dict[str, str]) -> Match:
        c = self.challenges[i]
        hits = set(hit)
        matched: list[str] = []
        covered: set[str] = set()
        for tag in c.tags:
            stems = terms(tag)
            if stems and all(s in hits for s in stems):
                # A one-word tag the SME typed is shown in their word ("recycling", not "recycle").
                matched.append(said.get(stems[0], "") or normalise_phrase(tag) if len(stems) == 1
                               else normalise_phrase(tag))
                covered.update(stems)
        # Each remaining matched word, strongest first, as the SME typed it when they did (a
        # word they typed correctly), else in the challenge's own spelling (a corrected typo, a
        # synonym).
        surface: dict[str, str] = {}
        for w in words(" ".join([*c.tags, c.title, c.summary, c.department])):
            surface.setdefault(stem(w), w)
        surface.update(said)
        idf = self._idf
        rest = sorted((t for t in hit if t not in covered), key=lambda t: -weight[t] * idf[t] * doc[t][0])
        matched.extend(surface.get(t, t) for t in rest)
        score = round(1 - math.exp(-raw / SCORE_SCALE), 3)
        return Match(c.ref, c.title, c.department, score, tuple(dict.fromkeys(matched))[:6])


def match_json(query: str, matches: list[Match]) -> dict[str, Any]:
    """One result line for `dips match --json`."""
    return {
        "query": query,
        "results": [
            {"ref": m.ref, "title": m.title, "score": m.score, "matched": list(m.matched)} for m in matches
        ],
    }

