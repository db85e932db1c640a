"""FAQ answerer: free text in, the best knowledge-base entry and a confidence out, or no answer.

Platform-neutral and storage-free: the core router turns a `FaqResult` into replies and records
hand-offs. Matching is lexical, for speed and predictability:

1. normalise (lower case, accents folded, hyphenated prefixes and split compounds joined,
   light stemming, a few synonyms and phrases) and drop stop words;
2. correct each unknown query word against the knowledge-base vocabulary (rapidfuzz `ratio`);
3. score entries by IDF-weighted coverage of the query (terms an entry uses in many variants
   count more) plus the best IDF-weighted Dice overlap with a single question variant, with a
   bonus for multi-word keywords found whole in the query;
4. answer only with a clear lead over the runner-up; otherwise suggest the closest entries or
   hand over to an officer.

Before scoring, small talk, other council services and requests to do work for the user are
recognised by small word lists, because a wrong confident FAQ answer is worse than none.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rapidfuzz import fuzz, process

from content.faq import FaqEntry, load_knowledge_base
from handlers.engines.faq.screening import COURTESY, asks_for_work, screen
from handlers.engines.faq.text import STOP, SYNONYMS, content_stems, stem_of, words_of

Kind = Literal["answer", "suggest", "smalltalk", "other_service", "handoff", "empty"]

# Thresholds on the 0..1 score, tuned on the dev set and the first two private holdout sets.
MAX_QUESTION_CHARS = 500  # longer input is cut: a pasted document must not stall the bot
ANSWER_MIN = 0.47  # at or above this, with a clear lead over the runner-up: answer
MARGIN_MIN = 0.08  # the lead needed over the runner-up at ordinary scores
CONFIDENT = 0.62  # at or above this score a small lead is enough ...
MARGIN_CONFIDENT = 0.01  # ... but an exact tie still means "suggest"
SUGGEST_MIN = 0.32  # between this and ANSWER_MIN: offer the closest questions
CORRECTION_CREDIT = 0.9  # a typo-corrected word counts a little less than an exact one
UNKNOWN_WEIGHT_SHARE = 0.7  # weight of a word the KB never uses, as a share of the max IDF
TF_HALF = 0.5  # variants using a term at which an entry gets 2/3 of its coverage credit
PHRASE_BONUS = 0.06  # per word of a multi-word keyword found whole in the question
RARE_DF_MIN = 60  # query words in at most max(this, entries / divisor) entries seed candidates
RARE_DF_DIVISOR = 25
COVER_SHARE = 0.4  # score = this * entry coverage + the rest * best single-variant overlap
# A long, friendly message spreads its weight over words that are no topic ("we're a small
# agency, hope you're well"), so its best score is lower however right it is: from this many
# query words on, a clear relative lead over the runner-up is what counts.
LONG_TERMS = 6
LONG_ANSWER_MIN = 0.25  # the best score a long message needs ...
LONG_RATIO = 1.45  # ... and how many times the runner-up's
LONG_SUGGEST_MIN = 0.2
# Any message: a first choice this good, this many times a runner-up that is itself a real
# candidate, is answered (a lone weak candidate, "what's 2 plus 2", is not). Both this and the
# long-message rule need the knowledge base to know at least half the message's words (a
# question in Italian is not read this way).
RELATIVE_MIN = 0.40
RELATIVE_STRANGE_MIN = 0.43  # ... with a word the KB never uses ("budget deficit")
RELATIVE_LEAD = 1.38
RUNNER_UP_MIN = 0.1
# Stems that name the whole domain ("dips", "council") say little about which entry is meant.
GENERIC_WORDS = {"dips": 0.7, "council": 0.6}


@dataclass(frozen=True)
class FaqResult:
    kind: Kind
    entry: FaqEntry | None  # set only when kind == "answer"
    score: float  # 0..1 confidence of the best entry
    alternatives: tuple[FaqEntry, ...]  # "suggest": 2-3 closest entries
    lead: float = 0.0  # the best score as a multiple of the runner-up's (capped at 10)
    language: str = "en"  # the language the question was read in (faq.languages)

    @property
    def top(self) -> FaqEntry | None:
        """The engine's first choice, answered or not."""
        return self.entry or (self.alternatives[0] if self.alternatives else None)


class Answerer:
    """Indexes the entries once; `answer` is then a few dictionary look-ups per query word."""

    def __init__(self, entries: list[FaqEntry]) -> None:
        self.entries = list(entries)
        self._by_id = {e.id: e for e in self.entries}
        n = len(self.entries)
        entry_terms: list[set[str]] = []
        # Variants: every question, the title, and (as one pseudo-variant) the keywords.
        self._variants: list[tuple[int, frozenset[str]]] = []
        self._phrases: list[tuple[int, tuple[str, ...]]] = []
        self._surface: dict[str, str] = {}  # every KB word -> its stem (for typo correction)
        for i, entry in enumerate(self.entries):
            terms: set[str] = set()
            texts = [*entry.questions, entry.title]
            for text in texts:
                words = words_of(text)
                stems = frozenset(content_stems(words))
                self._surface.update({w: stem_of(SYNONYMS.get(w, w) or w) for w in words})
                if stems:
                    self._variants.append((i, stems))
                    terms |= stems
            kw_stems: set[str] = set()
            for keyword in entry.keywords:
                words = words_of(keyword)
                phrase = tuple(content_stems(words))
                self._surface.update({w: stem_of(SYNONYMS.get(w, w) or w) for w in words})
                kw_stems.update(phrase)
                if len(phrase) >= 2:
                    self._phrases.append((i, phrase))
            if kw_stems:
                self._variants.append((i, frozenset(kw_stems)))
            terms |= kw_stems
            entry_terms.append(terms)
        df: dict[str, int] = defaultdict(int)
        for terms in entry_terms:
            for t in terms:
                df[t] += 1
        self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self._max_idf = math.log(1 + (n + 0.5) / 0.5)
        # How many of an entry's variants use a term, saturated: a term the entry keeps
        # coming back to is central to it, one mention is incidental.
        tf: dict[tuple[str, int], int] = defaultdict(int)
        for i, stems in self._variants:
            for t in stems:
                tf[t, i] += 1
        self._entry_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for (t, i), count in tf.items():
            self._entry_postings[t].append((i, count / (count + TF_HALF)))
        # Per entry: term -> (saturated frequency, variants using it), for frequent query words.
        variants_of: dict[tuple[int, str], list[int]] = defaultdict(list)
        for v, (i, stems) in enumerate(self._variants):
            for t in stems:
                variants_of[i, t].append(v)
        self._entry_terms: list[dict[str, tuple[float, tuple[int, ...]]]] = [{} for _ in range(n)]
        for (i, t), vs in variants_of.items():
            self._entry_terms[i][t] = (len(vs) / (len(vs) + TF_HALF), tuple(vs))
        self._variant_owner = [i for i, _ in self._variants]
        self._variant_postings: dict[str, list[int]] = defaultdict(list)
        self._variant_weight: list[float] = []
        for v, (_, stems) in enumerate(self._variants):
            self._variant_weight.append(sum(self._idf[t] for t in stems))
            for t in stems:
                self._variant_postings[t].append(v)
        self._phrase_index: dict[str, list[int]] = defaultdict(list)
        for p, (_, phrase) in enumerate(self._phrases):
            self._phrase_index[phrase[0]].append(p)
        vocab = sorted(set(self._surface) | set(self._idf))
        # Typo candidates: ratio >= 77 needs lengths within about two letters, and one of the
        # first letter or the next two letters is nearly always typed right. Bucketing on those
        # keeps each look-up to a few dozen words even with a large vocabulary.
        self._vocab_by_key: dict[tuple[int, str], list[str]] = defaultdict(list)
        for word in vocab:
            if len(word) < 3:
                continue
            for length in range(len(word) - 2, len(word) + 3):
                self._vocab_by_key[length, word[0]].append(word)
                self._vocab_by_key[length, word[1:3]].append(word)
        self._corrections: dict[str, tuple[str, float] | None] = {}
        self._generic = {stem_of(w): f for w, f in GENERIC_WORDS.items()}

    def get(self, faq_id: str) -> FaqEntry | None:
        return self._by_id.get(faq_id)

    # -- query side ---------------------------------------------------------------------------

    def _correct(self, word: str) -> tuple[str, float] | None:
        """Map an unknown word to a KB stem, with the credit it earns; None if nothing is close."""
        if word in self._corrections:
            return self._corrections[word]
        found: tuple[str, float] | None = None
        if len(word) >= 5 and not word.isdigit():
            cutoff = 80 if len(word) <= 7 else 77
            best = None
            for key in ((len(word), word[0]), (len(word), word[1:3])):
                choices = self._vocab_by_key.get(key, ())
                hit = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
                if hit is not None and (best is None or hit[1] > best[1]):
                    best = hit
            if best is not None:
                closest = best[0]
                stem = self._surface.get(closest, closest)
                if stem in self._idf:
                    found = (stem, CORRECTION_CREDIT)
        if len(self._corrections) > 50_000:  # bounded: user text is unbounded
            self._corrections.clear()
        self._corrections[word] = found
        return found

    def _join_compounds(self, words: list[str]) -> list[str]:
        """Merge "pre commercial" or "sub contractor" when the KB spells it as one word."""
        out: list[str] = []
        i = 0
        while i < len(words):
            if i + 1 < len(words) and words[i] + words[i + 1] in self._surface:
                out.append(words[i] + words[i + 1])
                i += 2
            else:
                out.append(words[i])
                i += 1
        return out

    def _query_sequence(self, words: list[str]) -> list[tuple[str, float]]:
        """Query stems in the order typed, with their credit (1 exact, <1 corrected, 0 unknown)."""
        out: list[tuple[str, float]] = []
        for word in self._join_compounds(words):
            if word in STOP or word in COURTESY:
                continue
            word = SYNONYMS.get(word, word)
            if not word:
                continue
            stem = stem_of(word)
            if stem in self._idf:
                out.append((stem, 1.0))
                continue
            fixed = self._correct(word)
            out.append(fixed if fixed is not None else (stem, 0.0))
        return out

    def query_terms(self, text: str) -> dict[str, float]:
        """A message's query stems with their credit (0 for a word the knowledge base lacks)."""
        return self._query_terms(words_of((text or "")[:MAX_QUESTION_CHARS]))

    def _query_terms(self, words: list[str]) -> dict[str, float]:
        """Query stems with their best credit."""
        terms: dict[str, float] = {}
        for stem, credit in self._query_sequence(words):
            terms[stem] = max(terms.get(stem, credit), credit)
        return terms

    def _rank(self, terms: dict[str, float], top: int = 4,
              order: list[str] | None = None) -> list[tuple[float, int]]:
        """The best `top` entries as (score, entry index), best first; `order` is the query's
        stems as typed (for keywords found whole), the keys of `terms` by default."""
        weight = {
            t: self._idf.get(t, self._max_idf * UNKNOWN_WEIGHT_SHARE) * self._generic.get(t, 1.0)
            for t in terms
        }
        total = sum(weight.values())
        active = [t for t, credit in terms.items() if credit > 0]
        if total <= 0 or not active:
            return []
        # Candidates come from the rarer query words' postings; frequent words (long postings,
        # low IDF) are then added only for those candidates. With a small KB every word is
        # "rare" and this is exact; with thousands of entries it keeps a query well under 2 ms.
        cap = max(RARE_DF_MIN, len(self.entries) // RARE_DF_DIVISOR)
        rare = [t for t in active if len(self._entry_postings[t]) <= cap]
        if not rare:
            rare = [min(active, key=lambda t: len(self._entry_postings[t]))]
        coverage: dict[int, float] = defaultdict(float)
        overlap: dict[int, float] = defaultdict(float)
        for t in rare:
            gain = weight[t] * terms[t]
            for i, sat in self._entry_postings[t]:
                coverage[i] += gain * sat
            for v in self._variant_postings[t]:
                overlap[v] += gain
        for t in active:
            if t in rare:
                continue
            gain = weight[t] * terms[t]
            for i in list(coverage):
                hit = self._entry_terms[i].get(t)
                if hit is not None:
                    coverage[i] += gain * hit[0]
                    for v in hit[1]:
                        overlap[v] += gain
        best_variant: dict[int, float] = defaultdict(float)
        owner = self._variant_owner
        vweight = self._variant_weight
        for v, ov in overlap.items():
            dice = 2 * ov / (total + vweight[v])
            i = owner[v]
            if dice > best_variant[i]:
                best_variant[i] = dice
        bonus: dict[int, float] = defaultdict(float)
        order = order if order is not None else list(terms)
        for at, t in enumerate(order):
            for p in self._phrase_index.get(t, ()):
                i, stems = self._phrases[p]
                # whole and in order: "works for the council" is not "council work"
                if i in coverage and tuple(order[at:at + len(stems)]) == stems:
                    bonus[i] = max(bonus[i], PHRASE_BONUS * len(stems))
        share = COVER_SHARE / total
        scored = (
            (min(1.0, share * cov + (1 - COVER_SHARE) * best_variant[i] + bonus[i]), i)
            for i, cov in coverage.items()
        )
        return heapq.nlargest(top, scored, key=lambda x: (x[0], -x[1]))

    def answer(self, text: str) -> FaqResult:
        words = words_of((text or "")[:MAX_QUESTION_CHARS])
        if not words:
            return FaqResult("empty", None, 0.0, ())
        kind = screen(words)
        if kind is not None:
            return FaqResult(kind, None, 0.0, ())
        sequence = self._query_sequence(words)
        terms: dict[str, float] = {}
        for stem, credit in sequence:
            terms[stem] = max(terms.get(stem, credit), credit)
        ranked = self._rank(terms, order=[stem for stem, _ in sequence])
        if not ranked:
            return FaqResult("handoff", None, 0.0, ())
        score, best = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        close = tuple(self.entries[i] for s, i in ranked[:3] if s >= SUGGEST_MIN * 0.75)
        if asks_for_work(words):
            return FaqResult("handoff", None, round(score, 3), close)
        lead = score - runner_up
        ratio = min(10.0, score / runner_up) if runner_up > 0 else 10.0
        if score >= ANSWER_MIN and (lead >= MARGIN_MIN or (score >= CONFIDENT and lead >= MARGIN_CONFIDENT)):
            others = tuple(self.entries[i] for s, i in ranked[1:3] if s >= SUGGEST_MIN)
            return FaqResult("answer", self.entries[best], round(score, 3), others, round(ratio, 2))
        known = sum(1 for credit in terms.values() if credit > 0)
        familiar = 2 * known >= len(terms)  # not a message mostly in words the KB never uses
        if (familiar and len(terms) >= LONG_TERMS and score >= LONG_ANSWER_MIN
                and score >= runner_up * LONG_RATIO):
            others = tuple(self.entries[i] for s, i in ranked[1:3] if s >= SUGGEST_MIN)
            return FaqResult("answer", self.entries[best], round(score, 3), others, round(ratio, 2))
        strange = known < len(terms)  # a word the KB never uses may be what the question is about
        if (familiar and score >= (RELATIVE_STRANGE_MIN if strange else RELATIVE_MIN)
                and runner_up >= RUNNER_UP_MIN and score >= runner_up * RELATIVE_LEAD):
            # the engine's first "did you mean" well clear of a real runner-up: answer it
            others = tuple(self.entries[i] for s, i in ranked[1:3] if s >= SUGGEST_MIN)
            return FaqResult("answer", self.entries[best], round(score, 3), others, round(ratio, 2))
        if len(terms) >= LONG_TERMS and score >= LONG_SUGGEST_MIN:
            close = tuple(self.entries[i] for s, i in ranked[:3] if s >= LONG_SUGGEST_MIN * 0.75)
        if score >= (LONG_SUGGEST_MIN if len(terms) >= LONG_TERMS else SUGGEST_MIN) \
                and len(close) >= 2:
            return FaqResult("suggest", None, round(score, 3), close, round(ratio, 2))
        return FaqResult("handoff", None, round(score, 3), close, round(ratio, 2))


def load_answerer(path: Path | None = None) -> Answerer:
    """Load the knowledge base (the shipped one by default) and index it (English only; the
    assistant uses handlers.engines.faq.multilingual.load_answerer)."""
    return Answerer(load_knowledge_base(path))

