"""Free-text helpers: does a message describe a business, and free-text interests -> tags."""

from __future__ import annotations

import re

from content.synonyms import Synonyms
from handlers.engines.matching.synonyms import default_synonyms
from handlers.engines.matching.text import STOPWORDS, singular, words

MAX_TAGS = 20
MAX_TAG_LENGTH = 60

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
