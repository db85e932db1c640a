"""Text for matching: words, light stemming and stop words, memoised for large catalogues."""

from __future__ import annotations

import re

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


TERMS = _TermMemo()


def words(text: str) -> list[str]:
    """Lower-case words, hyphens and punctuation split ("e-scooter" -> e, scooter)."""
    return _TOKEN.findall(text.lower().replace("'", ""))


def terms(text: str) -> list[str]:
    """Stems of the informative words of `text`, in order."""
    return list(filter(None, map(TERMS.__getitem__, words(text))))


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

