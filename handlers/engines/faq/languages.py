"""Which of the supported languages a message is written in: script first, then function words.

Dependency-free on purpose: seven known languages, short messages. Urdu's own letters mark Urdu (the
only right-to-left language we serve); letters only one language uses (õ Estonian, ő/ű Hungarian,
ą/ę/ł/ż Polish, å Swedish) settle most Latin-script messages, and counts of each language's
commonest little words settle the rest. Unsure means English, the authoritative language.

`answer_language` is the seam for per-identity languages: a language the SME chose (stored on
their identity) wins over what their message looks like.
"""

from __future__ import annotations

import re

from handlers.engines.faq.text import word_set

ENGLISH = "en"
LANGUAGES = ("en", "sv", "et", "hu", "it", "pl", "ur")
NAMES = {"en": "English", "sv": "Svenska", "et": "Eesti", "hu": "Magyar", "it": "Italiano",
         "pl": "Polski", "ur": "اردو"}

# Letters Urdu writes and Arabic does not (ٹ ڈ ڑ ں ے ھ ہ ی ک گ پ چ): Arabic itself we do not serve.
_URDU = re.compile("[\u0679\u0688\u0691\u06BA\u06D2\u06BE\u06C1\u06CC\u06A9\u06AF\u067E\u0686]")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Letters one language alone uses among the seven (lower case), each worth a couple of words.
_LETTERS = {"et": "õ", "hu": "őű", "pl": "ąęłśźżćń", "sv": "å", "it": "èìòù"}
LETTER_WEIGHT = 2.0
# Letters a few of them share, as weaker hints.
_SHARED_LETTERS = (("äö", ("sv", "et", "hu"), 0.5), ("áí", ("hu",), 1.5), ("é", ("hu",), 1.0),
                   ("ó", ("hu", "pl"), 0.5), ("ü", ("hu", "et"), 0.5), ("šž", ("et",), 1.0))
# Question words only one of the languages uses: a question that starts "Kuidas ..." is Estonian.
QUESTION_WORDS = {
    "sv": word_set("vad hur vilka vilken varför"), "et": word_set("kuidas mis kes millal miks kas"),
    "hu": word_set("hogyan mikor miért milyen hány"), "it": word_set("cosa quando perché quale quali"),
    "pl": word_set("jak czy gdzie kiedy dlaczego jaki jakie"),
}
QUESTION_WEIGHT = 1.5
FOREIGN_MIN = 1.5  # one telling letter or two little words: one shared word is no evidence
FUNCTION_WORDS = {
    "en": word_set("the and is are what how do does can i we our my me for of to in with who "
                   "when which where there this that you your it be have has an a will would "
                   "should about on at from any all if not no new get keep stop up us"),
    "sv": word_set("och är att det som en ett vad hur kan vi jag vår vårt för med till på av om "
                   "har inte man de ni ska måste vilka vilken när var får eller efter "
                   "i hej tack finns blir bli mig oss min mitt vill också sig den dem nu bara "
                   "här där hur mycket många något någon"),
    "et": word_set("ja on kas mis kuidas kes kus millal me mina meie see selle ei et ka kui "
                   "või pärast saab saame pean peame mida milline millised oma nad "
                   "tere aitäh mul meil on olen oleme kas mis palju ma sa te nüüd ainult siin "
                   "seal mitu midagi keegi ning aga veel"),
    "hu": word_set("és a az hogy mi mit hogyan ki kik hol mikor van vagy nem is egy meg kell "
                   "lehet milyen mely melyik után csak még vagyunk vagyok kinek mire "
                   "szia köszönöm lesz mennyi most jó nekem nekünk én mi ti ők itt ott "
                   "valami valaki hány sok nagyon ha de mert ez azt ezt"),
    "it": word_set("il lo la le gli di che e è un una per con come chi cosa quando dove sono "
                   "non del della dei delle al alla posso possiamo nostro nostra mi ci si "
                   "dell l all dall nell sull ciao grazie ho abbiamo ha hanno sono siamo anche ma "
                   "se qui ora solo "
                   "quanto quanti qualcosa qualcuno molto nel nella da in su"),
    "pl": word_set("i w z na do się jest czy jak co kto gdzie kiedy nie to że dla od po mogę "
                   "możemy moja mój nasza nasz jaki jakie który które musi muszę "
                   "cześć dzień dobry dziękuję mam mamy ma są jestem jesteśmy też ale jeśli "
                   "tu teraz tylko ile dużo coś ktoś bardzo o przy za"),
    # Urdu is told by its script; its little words are listed for the FAQ index to drop.
    "ur": word_set("کیا ہے ہیں کی کے کا میں سے کو اور یہ وہ کیسے کون کب کہاں ہم مجھے اپنے ہو "
                   "کر لیے پر بھی تو ہوں گا گی کروں کریں کرنا کرتا کرتی کرتے ہوگا ہوگی "
                   "جاتا جاتی جاتے سکتا سکتی سکتے چاہیے چاہتا چاہتے ہمیں آپ تھا تھی نہیں "
                   "کوئی کچھ کتنا کتنی کتنے اب یہاں وہاں"),
}


def detect_language(text: str) -> str:
    """The language code the message is most likely in; English when nothing stands out."""
    if _URDU.search(text or ""):
        return "ur"
    lowered = (text or "").lower()
    words = _WORD.findall(lowered)
    scores: dict[str, float] = {}
    for lang, vocabulary in FUNCTION_WORDS.items():
        if lang == "ur":
            continue
        scores[lang] = float(sum(1 for w in words if w in vocabulary))
    for lang, vocabulary in QUESTION_WORDS.items():
        if any(w in vocabulary for w in words):
            scores[lang] += QUESTION_WEIGHT - 1.0  # on top of its function-word count
    for lang, letters in _LETTERS.items():
        if any(c in lowered for c in letters):
            scores[lang] += LETTER_WEIGHT
    for letters, langs, weight in _SHARED_LETTERS:
        if any(c in lowered for c in letters):
            for lang in langs:
                scores[lang] += weight
    best = max(scores, key=lambda lang: (scores[lang], lang == ENGLISH))
    if best == ENGLISH or scores[best] < FOREIGN_MIN or scores[best] <= scores[ENGLISH]:
        return ENGLISH
    return best


def answer_language(text: str, preferred: str | None = None) -> str:
    """The language to answer in: the SME's stored choice when it is one we serve, else the
    message's own language."""
    if preferred:
        code = preferred.lower().split("-")[0].split("_")[0]
        if code in LANGUAGES:
            return code
    return detect_language(text)
