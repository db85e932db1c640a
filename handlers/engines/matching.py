"""Matching SMEs to open challenges: typo-tolerant, synonym-aware, explainable, and fast.

How a query is matched (measured to rank better than whole-string fuzzy scorers, which tie most
candidates on long text):
1. split into words; each word is stemmed (plurals, -ing/-er/-ed...); a word whose stem the
   catalogue does not know is corrected against the catalogue's own words with rapidfuzz;
2. synonym phrases found in the query add the other phrases of their group;
3. challenges are ranked by an inverted index of IDF-weighted terms: a tag counts most, then the
   title, then the summary; a multi-word tag whose words all appear earns a phrase bonus;
4. a challenge is offered only when the evidence is strong enough in absolute terms and covers
   enough of what the query says; otherwise the answer is [] rather than a weak guess.
"""

from __future__ import annotations

import asyncio
import gc
import heapq
import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from rapidfuzz import fuzz, process
from sqlalchemy.ext.asyncio import AsyncSession

from content.challenges import ChallengeSpec
from content.synonyms import Synonyms, load_synonyms, normalise_phrase
from storage.challenges import catalogue_stamp, list_challenges
from storage.models import Identity
from storage.subscriptions import list_active_subscriptions

# Field weights: a tag is the officer's own statement of topic, so it outweighs prose.
W_TAG = 3.0
W_TITLE = 1.5
W_SUMMARY = 1.0
W_PHRASE = 2.0  # extra per matched multi-word tag, times its words' IDF
Q_FUZZY = 0.85  # a corrected word is slightly less certain than a typed one
Q_SYNONYM = 0.8  # a synonym is a little weaker evidence than the words themselves
Q_GENERIC = 0.35  # "app", "platform", "data": real words, but they fit nearly any challenge
Q_SYNONYM_PART = 0.4  # one word of a multi-word synonym; the phrase bonus adds the rest
BM25_K1 = 1.2  # no length normalisation: summaries are all short

MIN_EVIDENCE = 1.2  # raw score the best challenge needs; about one rare word in the title
MIN_COVERAGE = 0.3  # share of the query's informative words a result must explain
MIN_COVERAGE_UNTAGGED = 0.5  # ...when none of its tags matched, only title/summary words
RELATIVE_CUTOFF = 0.3  # drop the tail that scores under this share of the best result
SCORE_SCALE = 4.0  # maps raw score to 0..1 as 1 - exp(-raw / scale)

COMMON_MIN_DF = 300  # a term in more challenges than this (and than COMMON_SHARE of them)...
COMMON_SHARE = 0.05  # ...only re-weights candidates found by rarer terms (see Matcher.match)

MAX_TAGS = 20
MAX_TAG_LENGTH = 60

_TOKEN = re.compile(r"[a-z0-9]+")
# Function words, plus words SMEs use to describe themselves that say nothing about the topic.
STOPWORDS = frozenset(
    """a about above across after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each either
    etc few for from further get gets had has have having he her here hers him his how i if in
    into is it its itself just let lets like me more most my no nor not now of off on once only
    or other our ours out over own per same she should so some such than that the their theirs
    them then there these they this those through to too under until up very via was we were
    what when where which while who whom why will with within without would you your yours ve
    re ll im ive weve were ltd limited plc inc co uk company companies firm startup start
    business businesses sme smes enterprise enterprises team organisation organization looking
    make makes making made build builds building develop develops developing developed design
    designs designing provide provides providing offer offers offering sell sells selling
    supply supplies create creates creating deliver delivers delivering specialise specialises
    specialising specialize specializes specialist specialists focus focused focusing run runs
    running help helps helping enable enables allow allows use uses using based new small
    medium large want wants need needs birmingham council councils city west midlands""".split()  # noqa: SIM905
)

# Stems of words that say how rather than what; they may rank but never justify a result alone.
GENERIC = frozenset(
    """app applic platform tool software system servic solution technologi tech digital
    online data portal websit web site product smart innov innovativ internet network""".split()  # noqa: SIM905
)


class ChallengeLike(Protocol):
    ref: str
    title: str
    department: str
    summary: str
    tags: Sequence[str]
    status: str
    closes: date | None


@dataclass(frozen=True)
class Match:
    ref: str
    title: str
    department: str
    score: float  # 0..1
    matched: tuple[str, ...]  # tags or words that matched, best first, for "matched on: ..."


_STEMS: dict[str, str] = {}


def stem(word: str) -> str:
    """A light, deterministic English stemmer: enough that plurals and -ing/-er forms meet."""
    found = _STEMS.get(word)
    return found if found is not None else _stem(word)


def _stem(word: str) -> str:
    w = word
    if len(w) <= 3 or w.isdigit():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "xes", "ches", "shes")) or (w.endswith("ses") and not w.endswith("sses")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ation", "ing", "ers", "er", "ed", "ly"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: -len(suffix)]
            # Undouble ("planning" -> "plan"), but not l/s/z ("fill", "access").
            if len(w) > 4 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    if w.endswith("y") and len(w) > 4:
        w = w[:-1] + "i"  # "community"/"communities" and "safety"/"safeties" meet
    if len(_STEMS) < 500_000:
        _STEMS[word] = w
    return w


class _TermMemo(dict[str, str]):
    """word -> its stem, or "" for stop words and single letters; fills itself on a miss."""

    def __missing__(self, word: str) -> str:
        term = "" if len(word) <= 1 or word in STOPWORDS else stem(word)
        if len(self) < 300_000:  # bounded; past it, words are simply stemmed each time
            self[word] = term
        return term


_TERMS = _TermMemo()


def words(text: str) -> list[str]:
    """Lower-case words, hyphens and punctuation split ("e-scooter" -> e, scooter)."""
    return _TOKEN.findall(text.lower().replace("'", ""))


def terms(text: str) -> list[str]:
    """Stems of the informative words of `text`, in order."""
    return list(filter(None, map(_TERMS.__getitem__, words(text))))


def singular(word: str) -> str:
    """A readable singular for stored tags ("sensors" -> "sensor"), unlike the terse stem."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ics")):  # logistics, analytics
        return word[:-1]
    return word


def _is_open(challenge: Any, today: date) -> bool:
    closes = getattr(challenge, "closes", None)
    return getattr(challenge, "status", None) == "open" and (closes is None or closes >= today)


class _SynonymIndex:
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


class Matcher:
    """An immutable index over the challenges open on `today`; build once, query many times."""

    def __init__(
        self,
        challenges: Iterable[ChallengeLike],
        synonyms: Synonyms | None = None,
        today: date | None = None,
    ) -> None:
        self.today = today or date.today()
        self._syn = _SynonymIndex(synonyms if synonyms is not None else default_synonyms())
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

        term_of = _TERMS.__getitem__  # word -> stem, "" for stop words; memoised, C-speed map
        # tag text -> (its stems, its phrase id or -1); tags repeat across challenges.
        tag_cache: dict[str, tuple[tuple[str, ...], int]] = {}
        tag_terms: list[set[str]] = []
        title_terms: list[set[str]] = []
        # Multi-word tags: stem tuple -> id; id -> challenges that carry it.
        phrase_ids: dict[tuple[str, ...], int] = {}
        phrase_docs: list[list[int]] = []
        # term -> {challenge index: field weight}; IDF is applied per query term, not per entry.
        postings: defaultdict[str, dict[int, float]] = defaultdict(dict)
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
            title_words = words(c.title)
            body_words = words(f"{c.summary}\n{c.department}")
            title_i = set(filter(None, map(term_of, title_words)))
            body = list(filter(None, map(term_of, body_words)))
            doc_w = dict.fromkeys(body, once)
            if len(doc_w) < len(body):  # repeated words saturate (BM25 tf)
                for t, f in Counter(body).items():
                    if f > 1:
                        doc_w[t] = W_SUMMARY * f / (f + BM25_K1)
            for t in title_i:
                doc_w[t] = doc_w.get(t, 0.0) + W_TITLE
            for t in tags_i:
                doc_w[t] = doc_w.get(t, 0.0) + W_TAG
            tag_terms.append(tags_i)
            title_terms.append(title_i)
            for t, w in doc_w.items():
                postings[t][i] = w

        idf_max = math.log(1 + (n - 0.5) / 1.5) if n else 1.0
        self._idf: dict[str, float] = {
            t: math.log(1 + (n - len(post) + 0.5) / (len(post) + 0.5)) / idf_max
            for t, post in postings.items()
        }
        self._postings = dict(postings)  # plain dict: a query's miss must not insert
        self._tag_terms = tag_terms
        self._title_terms = title_terms
        self._phrases: list[tuple[str, ...]] = [()] * len(phrase_ids)
        for stems, pid in phrase_ids.items():
            self._phrases[pid] = stems
        self._phrase_docs = phrase_docs
        # A phrase can only match when its rarest word is in the query, so index it there only.
        self._phrases_by_stem: dict[str, list[int]] = {}
        df = {t: len(post) for t, post in postings.items()}
        for pid, stems in enumerate(self._phrases):
            rarest = min(stems, key=df.__getitem__)
            self._phrases_by_stem.setdefault(rarest, []).append(pid)
        # Correction candidates bucketed by first letter: typos rarely hit the first letter, and
        # it keeps each lookup to a small slice of a large vocabulary. The catalogue's words are
        # read back from the word memo (a copy: another thread may be adding to it).
        vocab = {w for w, t in _TERMS.copy().items() if t in postings} | self._syn.words
        self._vocab_by_letter: dict[str, list[str]] = {}
        for w in sorted(vocab):
            if len(w) >= 3 and not w.isdigit() and w not in STOPWORDS:
                self._vocab_by_letter.setdefault(w[0], []).append(w)
        self._known = set(postings) | self._syn.stems
        self._corrections: dict[str, str | None] = {}

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
        weight, seq = self._query_terms(text)
        if not weight:
            return []
        acc: dict[int, float] = {}
        # Rarest terms first. Once some challenges are candidates, a very common term only adds
        # to them instead of walking its whole postings list: this bounds the work per query on a
        # large catalogue (small catalogues never hit the limit, so ranking there is exact).
        common = max(COMMON_MIN_DF, int(len(self.challenges) * COMMON_SHARE))
        postings = self._postings
        for t in sorted(weight, key=lambda t: len(postings.get(t, ()))):
            post = postings.get(t)
            if not post:
                continue
            q = weight[t] * self._idf[t]
            if acc and len(post) > common:
                for i in acc:
                    w = post.get(i)
                    if w is not None:
                        acc[i] += q * w
            else:
                for i, w in post.items():
                    acc[i] = acc.get(i, 0.0) + q * w
        # Phrase bonus for multi-word tags whose words all occur (in any order).
        for t in weight:
            for pid in self._phrases_by_stem.get(t, ()):
                stems = self._phrases[pid]
                if all(s in weight for s in stems):
                    bonus = W_PHRASE * min(weight[s] for s in stems) * sum(self._idf[s] for s in stems)
                    for i in self._phrase_docs[pid]:
                        acc[i] = acc.get(i, 0.0) + bonus
        if not acc:
            return []
        # How much the query says: typed words count fully, unknown words too (they are what
        # the SME does and we lack), synonym additions not at all (they only widen recall).
        typed = {s: (Q_GENERIC if s in GENERIC else 1.0) * self._idf.get(s, 1.0) for s in seq}
        mass = sum(typed.values()) or 1.0
        top = heapq.nlargest(max(limit * 3, 10), acc.items(), key=lambda kv: kv[1])
        best = top[0][1]
        if best < MIN_EVIDENCE:
            return []
        results: list[Match] = []
        for i, raw in top:
            if raw < best * RELATIVE_CUTOFF:
                break
            hit = [t for t in weight if i in self._postings.get(t, {})]
            topical = [t for t in hit if t not in GENERIC]
            tagged = any(t in self._tag_terms[i] for t in topical)
            if not tagged and not any(t in self._title_terms[i] for t in topical):
                continue  # summary or generic words alone are too weak to offer a challenge
            hits = set(hit)
            covered = sum(m if s in hits else m * self._syn_share(s, hits) for s, m in typed.items())
            if covered / mass < (MIN_COVERAGE if tagged else MIN_COVERAGE_UNTAGGED):
                continue
            results.append(self._result(i, raw, hit, weight))
            if len(results) >= limit:
                break
        return results

    def _syn_share(self, s: str, hits: set[str]) -> float:
        """How far a typed stem is explained by its synonyms: the best share of one synonym's
        words that matched ("bike hire" half-explained by the "shar" of "bike sharing")."""
        best = 0.0
        for members in self._syn.groups:
            if any(s in m for m in members):
                for m in members:
                    best = max(best, sum(h in hits for h in m) / len(m))
        return best

    def _result(self, i: int, raw: float, hit: list[str], weight: dict[str, float]) -> Match:
        c = self.challenges[i]
        hits = set(hit)
        matched: list[str] = []
        covered: set[str] = set()
        for tag in c.tags:
            stems = terms(tag)
            if stems and all(s in hits for s in stems):
                matched.append(normalise_phrase(tag))
                covered.update(stems)
        # The challenge's own spelling of each remaining matched word, strongest first.
        surface: dict[str, str] = {}
        for w in words(" ".join([*c.tags, c.title, c.summary, c.department])):
            surface.setdefault(stem(w), w)
        post = self._postings
        idf = self._idf
        rest = sorted((t for t in hit if t not in covered), key=lambda t: -weight[t] * idf[t] * post[t][i])
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
                # Building is CPU work (up to ~1 s at 10,000 challenges); keep the loop free.
                current = await asyncio.to_thread(Matcher, rows, self.synonyms, today)
                self._matcher, self._stamp = current, stamp
                self.builds += 1
            self._checked = time.monotonic()
            assert current is not None
            return current

    def invalidate(self) -> None:
        """Force a stamp check on the next call (e.g. right after this process edits)."""
        self._checked = 0.0


# -- free text helpers ------------------------------------------------------------------------

_QUESTION_START = re.compile(
    r"^\s*(how|what|whats|what's|when|where|who|whom|whose|why|which|can|could|do|does|did|is|"
    r"are|am|was|were|will|would|should|shall|may|might|must|have|has|any|anyone|tell me|"
    r"explain|help me|i want to know|i'd like to know|please tell)\b",
    re.IGNORECASE,
)
_SELF = re.compile(
    r"\b(we|we're|we are|we've|our|us|i run|i own|i founded|my (company|business|firm|"
    r"start-?up|team|organisation|organization|product|app|platform))\b",
    re.IGNORECASE,
)
_BUSINESS_NOUN = re.compile(
    r"\b(start-?ups?|company|companies|firm|sme|ltd|limited|social enterprise|enterprise|"
    r"agency|consultancy|studio|business|manufacturer|supplier|provider|developer|"
    r"co-?operative|charity|community interest company|cic)\b",
    re.IGNORECASE,
)
_DOING = re.compile(
    r"\b(make|makes|making|build|builds|building|develop|develops|developing|design|designs|"
    r"designing|sell|sells|selling|provide|provides|providing|offer|offers|offering|run|runs|"
    r"running|create|creates|creating|manufacture|manufactures|supply|supplies|install|"
    r"installs|installing|operate|operates|specialise|specialises|specialising|specialize|"
    r"specializes|help|helps|helping|deliver|delivers|connect|connects|produce|produces|"
    r"invented|invent|use|uses|using)\b",
    re.IGNORECASE,
)
# Statements about the programme itself belong to the FAQ, even when phrased as "we ...".
_PROCESS = re.compile(
    r"\b(apply|applying|application|register|registration|registered|sign up|deadline|"
    r"eligible|eligibility|eoi|expression of interest|ppon|procurement|tender|invoice|payment "
    r"terms|contract|get paid|funding|grant|pitch day|submit|submission|interview|log ?in|"
    r"password|unsubscribe|privacy|gdpr|complain|complaint|contact (you|someone|an officer))\b",
    re.IGNORECASE,
)


def describes_business(text: str) -> bool:
    """True when `text` plainly says what a business does or offers, rather than asks a question.

    The router uses it to send "we make low-cost air quality sensors" to matching and "how do I
    register?" to the FAQ. It is deliberately conservative: when unsure, it answers False.
    """
    t = " ".join(text.split())
    if len(t) < 8 or "?" in t or _QUESTION_START.match(t) or _PROCESS.search(t):
        return False
    if _BUSINESS_NOUN.search(t):
        return True
    return bool(_SELF.search(t) and _DOING.search(t))


_SPLIT_INTERESTS = re.compile(r"[,;\n\r/|•·]+|\s+&\s+|\s+\+\s+|\band\b|\bor\b", re.IGNORECASE)
_LEADING_FILLER = re.compile(
    r"^(i'm |i am |we're |we are |also |mainly |mostly |especially |anything (about|on|to do "
    r"with) |interested in |interest in |things like |stuff like |projects on |the |a |an |"
    r"in |on |about |of |for )+",
    re.IGNORECASE,
)


def interests_to_tags(text: str, synonyms: Synonyms | None = None) -> list[str]:
    """Free-text interests -> normalised tags for a subscription.

    Splits on commas, 'and', 'or' and new lines (but keeps synonym phrases such as "information
    and advice" whole), lower-cases, singularises, maps synonyms to their group's first phrase,
    removes duplicates and caps the number and length of tags.
    """
    syn = synonyms if synonyms is not None else default_synonyms()
    text = re.sub(r"<[^>]*>", " ", text)  # markup is not an interest: "<b>food</b>" is food
    text = " ".join(text.replace("\r", "\n").split(" ")).lower()
    # Protect known phrases containing 'and'/'or' from the split.
    protected = {p for g in syn.groups for p in g if re.search(r"\b(and|or)\b", p)}
    placeholders: dict[str, str] = {}
    for n, phrase in enumerate(sorted(protected, key=len, reverse=True)):
        if phrase in text:
            key = f"\x00{n}\x00"
            placeholders[key] = phrase
            text = text.replace(phrase, key)
    tags: list[str] = []
    for part in _SPLIT_INTERESTS.split(text):
        for key, phrase in placeholders.items():
            part = part.replace(key, phrase)
        part = re.sub(r"[^\w\s'&-]", " ", part)
        part = _LEADING_FILLER.sub("", " ".join(part.split())).strip(" -'")
        if not part or all(w in STOPWORDS for w in words(part)):
            continue
        part = " ".join(
            # "EVs" -> "ev": too short for the plural rule, but a known synonym without its s.
            w[:-1] if len(w) <= 4 and w.endswith("s") and syn.group_of(w[:-1]) else singular(w)
            for w in part.split()
        )
        tag = syn.canonical(part)
        if len(tag) > MAX_TAG_LENGTH:
            tag = tag[:MAX_TAG_LENGTH].rsplit(" ", 1)[0]
        if tag and tag not in tags:
            tags.append(tag)
        if len(tags) >= MAX_TAGS:
            break
    return tags


def tag_fits(tag: str, challenge: ChallengeLike, synonyms: Synonyms | None = None) -> bool:
    """Whether one subscription tag fits a challenge: all its words in the challenge's tags or
    title (any order, plurals, synonyms), or a multi-word tag found as a phrase in the summary."""
    syn = _SynonymIndex(synonyms if synonyms is not None else default_synonyms())
    return _tag_fits(tag, _ChallengeTerms(challenge), syn)


class _ChallengeTerms:
    def __init__(self, c: ChallengeLike) -> None:
        self.tags = {normalise_phrase(t) for t in c.tags}
        self.strong = {s for t in c.tags for s in terms(t)} | set(terms(c.title))
        self.summary = " " + " ".join(terms(c.summary)) + " "


def _tag_fits(tag: str, ct: _ChallengeTerms, syn: _SynonymIndex) -> bool:
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
    syn = _SynonymIndex(synonyms if synonyms is not None else default_synonyms())
    ct = _ChallengeTerms(challenge)
    found: list[tuple[Identity, list[str]]] = []
    for identity, subscription in subscriptions:
        fitting = [t for t in subscription.tags or [] if _tag_fits(t, ct, syn)]
        if fitting:
            found.append((identity, fitting))
    return found
