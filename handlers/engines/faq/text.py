"""Text for the FAQ: one normalisation for questions and the knowledge base alike.

Lower case, accents folded, hyphenated prefixes and split compounds joined, a few synonyms and
phrases, stop words dropped, and a light stemmer: consistent on both sides is what matters.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from rapidfuzz import utils


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP = word_set(
    """a about above after again all also am an and any anything are as at be been before being
    can could did do does doing done for from get gets getting got had has have having he her here
    hers him his how i if im in into is it its itd ive just let lets me might more most much must
    my myself no not now of off on once only or other our ours out over own please pls
    plz really she should so some such than that thats the their them then there these they thing
    things this those through to too u up ur us very want wanna was we were weve what whats when
    where which while who whom why will with would yes you your youre yours id ill dont doesnt
    cant wont isnt arent didnt hasnt havent re ve ll d s t m tell know like exactly anyone
    someone something time today tomorrow yesterday best place way ways one
    """
)
PREFIXES = ("pre", "co", "sub", "re", "non", "self", "in", "e", "start", "multi", "cross")
# "expression of interest" is one idea; as a single token it no longer collides with
# "conflict of interest" or "register interest" wording elsewhere.
_EOI = re.compile(r"\bexpress(?:ion|ions|ing|ed)?\s+(?:of\s+|an\s+|my\s+|our\s+)?interests?\b")
_POINT_OF = re.compile(r"\bthe point of\b")
_FREE_TO = re.compile(r"\b(?:free|able) to\b")
_TAKE_PART = re.compile(r"\b(?:take|takes|taking|took)\s+part\b")
SYNONYMS = {
    "program": "programme",
    "organization": "organisation",
    "organizations": "organisations",
    "firm": "company",
    "firms": "company",
    "business": "company",
    "businesses": "company",
    "companies": "company",
    "enterprise": "company",
    "enterprises": "company",
    "employee": "staff",
    "employees": "staff",
    "people": "staff",
    "workers": "staff",
    "k": "000",
    "info": "information",
    "govt": "government",
    "gov": "government",
    "uni": "university",
    "ip": "ip",
    "kpi": "kpi",
    "pls": "",
    "emails": "email",
    "e-mail": "email",
    "startups": "startup",
    "phase": "stage",
    "phases": "stage",
    "step": "stage",
    "steps": "stage",
    "big": "large",
    "bigger": "large",
    "larger": "large",
    "corporate": "company",
    "corporation": "company",
    "application": "apply",
    "applications": "apply",
    "applied": "apply",
    "applying": "apply",
    "applicant": "apply",
    "subcontractor": "subcontract",
    "subcontractors": "subcontract",
    "subcontracting": "subcontract",
    "swedish": "sweden",
    "estonian": "estonia",
    "hungarian": "hungary",
    "italian": "italy",
    "european": "europe",
    "foreign": "overseas",
    "abroad": "overseas",
    "money": "fund",
    "cash": "fund",
    "grant": "fund",
    "grants": "fund",
    "financing": "fund",
    "finance": "fund",
    "complain": "appeal",
    "complaint": "appeal",
    "dispute": "appeal",
    "amend": "change",
    "edit": "change",
    "modify": "change",
    "alter": "change",
    "erase": "delete",
    "remove": "delete",
    "wipe": "delete",
    "regulations": "rules",
    "regulation": "rules",
    "legislation": "law",
    "advertise": "advertised",
    "advertises": "advertised",
    "advert": "advertised",
    "adverts": "advertised",
    "participating": "participate",
    "participation": "participate",
    "participant": "participate",
    "participants": "participate",
    "pick": "select",
    "choose": "select",
    "chosen": "select",
    "selected": "select",
    "selection": "select",
    "r": "",
    "d": "",
    # family: "my wife works at the council" is about a relative (conflicts of interest)
    **dict.fromkeys(["wife", "husband", "spouse", "son", "daughter", "brother", "sister",
                     "cousin", "uncle", "aunt", "mum", "mom", "dad", "mother", "father", "niece",
                     "nephew", "sibling"], "relative"),
}


@functools.lru_cache(maxsize=65_536)
def stem_of(word: str) -> str:
    """A deliberately small suffix stripper: consistent on both sides is all that matters."""
    if len(word) <= 3 or word.isdigit():
        return word
    w = word
    for suffix, repl in (("isation", "ise"), ("ization", "ise"), ("izing", "ise"), ("ize", "ise")):
        if w.endswith(suffix):
            w = w[: -len(suffix)] + repl
            break
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us")) and not (w.endswith("is") and len(w) > 4):
        w = w[:-1]
    if w.endswith("ing") and len(w) > 5:
        w = w[:-3]
    elif w.endswith("ed") and len(w) > 4:
        w = w[:-2]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz" and w[-1].isalpha():
        w = w[:-1]
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def normalise(text: str) -> str:
    """Lower-cased text with apostrophes dropped, prefixes joined and punctuation as spaces."""
    # Fold accents ("Gävle" -> "gavle") so people can type names either way.
    t = unicodedata.normalize("NFKD", text.lower())
    t = "".join(c for c in t if not unicodedata.combining(c)).replace("’", "'").replace("'", "")
    t = _EOI.sub(" eoi ", t)
    t = _TAKE_PART.sub(" participate ", t)
    t = _FREE_TO.sub(" allowed to ", t)  # "am I free to bid" is not about money
    t = _POINT_OF.sub(" purpose of ", t)  # "what's the point of ..." asks what it is for
    t = re.sub(r"\br\s*&\s*d\b|\brnd\b", " research development ", t)
    t = re.sub(r"(\d),(\d{3})\b", r"\1\2", t)
    t = re.sub(r"\b(\d+)\s*k\b", r"\g<1>000", t)
    t = re.sub(r"\b(\d+)\s*(m|million)\b", r"\g<1>000000", t)
    t = re.sub(
        r"\b(" + "|".join(PREFIXES) + r")-(\w)", lambda m: m.group(1) + m.group(2), t
    )  # "pre-commercial" and "precommercial" must meet; other hyphens split words
    t = t.replace("&", " and ")
    return utils.default_process(t)


def words_of(text: str) -> list[str]:
    return normalise(text).split()


def content_stems(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        if word in STOP:
            continue
        word = SYNONYMS.get(word, word)
        if word:
            out.append(stem_of(word))
    return out
