"""One decision per top-level message: what the assistant does with what an SME typed.

Platform-neutral and free of chat wording: `decide` reads the text once and returns a `Decision`
that every platform acts on through handlers/sme/assist.py, and that `dips ask --json` reports.
In order:

1. nothing readable, or not in English                                 -> none
2. a plain-words request to stop challenge alerts                     -> unsubscribe
3. a request for a real person, or a frustrated message               -> officer
4. greetings, thanks and "what can you do"                             -> none (the menu)
5. a description of what the sender's business does, with no question
   (or only "anything for us?")                                        -> match
6. another council service (bins, potholes, schools, ...)             -> other_service
7. the FAQ: each question sentence answered (at most three answers)   -> answer
   or the closest questions offered                                    -> suggest
8. anything else (the chat offers to pass it to an officer)            -> none

A question with business context ("how do I bid, I'm a small IT firm") is a question: only a
message that says what the business does and asks nothing else is matched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from handlers.engines.faq.languages import ENGLISH, detect_language
from handlers.engines.faq.multilingual import MultilingualAnswerer
from handlers.engines.faq.text import words_of

if TYPE_CHECKING:
    from content.faq import FaqEntry
    from handlers.engines.faq.answerer import Answerer, FaqResult

Action = Literal["answer", "suggest", "match", "officer", "unsubscribe", "other_service", "none"]
ACTIONS: tuple[Action, ...] = ("answer", "suggest", "match", "officer", "unsubscribe",
                               "other_service", "none")
MAX_ANSWERS = 3
SURE = 0.8  # an FAQ answer this confident wins over reading the message as a description
WEAK_FAQ = 0.25  # below this the FAQ has nothing close: a plain statement may be matched
OFF_TOPIC = 0.2  # below this, with no related entry, a question is outside what DIPS covers

# -- stop requests --------------------------------------------------------------------------
_ALERT_WORDS = (r"(alerts?|notifications?|updates?|messages?|emails?|texts?|these|them|this|it|"
                r"challenge (alerts?|notifications?|updates?|emails?|messages?))")
_STOP = re.compile(
    r"^\W*(stop|unsubscribe|unsub|opt out|opt me out|no more|cancel (my )?(alerts?|subscription))"
    r"\W*(please|pls|thanks|thank you)?\W*$"
    r"|\b(stop|quit|cease|no longer|don'?t|do not|never)\b.{0,20}\b(send|sending|message|messaging|"
    r"text|texting|email|emailing|notify|notifying|contact|contacting)(ing)?\b.{0,30}" + _ALERT_WORDS
    + r"|\b(unsubscribe|opt me out|opt out of|take me off|remove me from|switch off|turn off)\b"
    r"|\bno (point|need) (in )?sending\b|\b(enough|too many|no more|fed up with)\b.{0,20}"
    + _ALERT_WORDS + r"\b.{0,30}\b(for me|stop|off|out)\b"
    r"|\bno more\b.{0,12}\b(alerts?|notifications?|updates?)\b"
    r"|\b(stop|quit|don'?t|do not|no longer)\b.{0,12}\b(send|sending|message|messaging|text|texting|"
    r"email|emailing|contact|contacting|notify|notifying|spam|spamming) (me|us)\b"
    r"|\bstop (the |my |these |all |your |those )?(alerts?|notifications?|updates?|emails?|messages?)\b"
    r"|\b(don'?t|do not|no longer) (want|need)\b.{0,12}\b(alerts?|notifications?|updates?|emails?|"
    r"messages?)\b",
    re.IGNORECASE,
)
# Questions *about* alerts ("how do I unsubscribe?") are FAQ questions, not requests.
_ABOUT = re.compile(r"^\W*(how|can|could|where|what|is|do|does|why|when)\b.*\?\s*$|"
                    r"^\W*(how|where) (do|can|would|should) (i|we)\b", re.IGNORECASE)

# -- a real person, or frustration ------------------------------------------------------------
_PERSON = re.compile(
    r"\b(real|actual|living|human) (person|people|being|human)\b|\bspeak to (a |an |some)?(human|"
    r"person|officer|someone|somebody|anyone)\b|\btalk to (a |an )?(human|person|officer|someone|"
    r"somebody|anyone)\b|\b(who|whom) (do|can|should) (i|we) (actually |really )?(talk|speak|write"
    r"|go) to\b|\b(an?|the|council|dips) officer\b.{0,25}\b(sort|look into|help|check|call|ring|"
    r"contact|speak|talk|handle|deal)|\b(can|could) (an?|the|some) ?(officer|person|human|someone"
    r"|somebody)\b|\braise (this|it|that)\b.{0,30}\b(privately|with (the|a|an|someone))\b"
    r"|\bover the phone\b|\bphone call\b|\b(call|ring) me\b|\b(someone|somebody|a person|an "
    r"officer) (call|ring|phone)\b|\bwho at the council (can|could|will|should)\b"
    r"|\b(get|want|need|give) (me )?(an?|the|some) ?(officer|human|person|real person)\b",
    re.IGNORECASE,
)
_FRUSTRATED = re.compile(
    r"\b(useless|pointless|hopeless|rubbish|stupid|dumb|ridiculous|waste of (my )?time|not helping|"
    r"not helpful|unhelpful|doesn'?t help|does not help|isn'?t helping|fed up|frustrat\w*|"
    r"annoying|sick of|going round in circles|not what i asked|you'?re not listening|"
    r"(you )?(don'?t|do not|doesn'?t|aren'?t|are not|isn'?t) (understand|understanding|get it|"
    r"getting it)( me| what i)?|asked (\w+ ){0,2}times|still no answer)\b",
    re.IGNORECASE,
)

# -- what the business does -------------------------------------------------------------------
_GREETING = re.compile(r"^\W*((hi|hello|hey|hiya|morning|good (morning|afternoon|evening)|"
                       r"dear \w+|greetings)\b\W*)+", re.IGNORECASE)
_SENTENCES = re.compile(r"(?<=[.?!])\s+|\n+|(?<=\w)\s*[;]\s*")
_QUESTION = re.compile(
    r"^\W*(how|what|whats|what's|when|where|who|whom|whose|why|which|can|could|do|does|did|is|are|"
    r"am|was|were|will|would|should|shall|may|might|must|have|has|any|tell me|explain|i want to "
    r"know|i'd like to know|please tell|wondering|i was wondering|we were wondering)\b",
    re.IGNORECASE,
)
# "anything for us?", "is there anything in your list for a business like ours?"
_MATCH_ASK = re.compile(
    r"\b(anything|something|any(thing)? (challenges?|calls?|opportunit\w+|projects?|work))\b.{0,40}"
    r"\b(for (us|me|a (business|company|firm) like (ours|mine|us))|suit(s|able)? (us|me)|fit(s)? "
    r"(us|me)|relevant|we (could|can) (do|bid|apply)|up our street|match(es)? (us|what we do))\b"
    r"|\b(which|what|any) (challenges?|calls?|opportunit\w+)\b.{0,40}\b(us|me|ours|fit|suit|"
    r"relevant|match)\b|\bfor a business like ours\b|\bcould we help\b|\bcan we help with\b",
    re.IGNORECASE,
)
# "we do payroll software for ...", "our app lets people share vans": says what it does.
_SELF_DESC = re.compile(
    r"^\W*(we|we're|we are|i run|i own|i make|i build|i design|our (\w+ ){0,2}(company|firm|"
    r"business|startup|start-up|team|app|platform|product|service|software|charity|agency|studio|"
    r"enterprise|tool|system|kit|device|sensor|scheme|project))\b.{0,60}?\b(do|does|make|makes|"
    r"build|builds|run|runs|design|designs|develop|develops|sell|sells|provide|provides|offer|"
    r"offers|supply|supplies|create|creates|help|helps|let|lets|match|matches|turn|turns|connect|"
    r"connects|deliver|delivers|manage|manages|operate|operates|install|installs|specialise \w+|"
    r"work with|works with|produce|produces|grow|grows|teach|trains?|repair|repairs|recycle|"
    r"recycles|collect|collects)\b",
    re.IGNORECASE,
)
# Asking to find a match outright ("find challenges for my bakery")
_MATCH_VERB = re.compile(r"^\W*(find|show|match|suggest)( me)? (challenges?|calls?|"
                         r"opportunit\w+)\b", re.IGNORECASE)
# Words that show a question is about the programme, so a service word in it (a care home
# hosting a pilot) does not make it another council service.
_PROGRAMME = re.compile(r"\b(pilot\w*|trial|cohort|accelerator|prototyp\w+|dips|"
                        r"challenge|eoi|bid\w*|tender\w*|contract\w*|supplier|procurement)\b",
                        re.IGNORECASE)
# A lead-in before the question inside a friendly message ("... and wanted to ask how long ...")
_LEAD_IN = re.compile(
    r"\b(wanted|want|wanting|would like|like|wish|need|needed|hoping|hoped|trying)\s+to\s+"
    r"(ask|know|check|find out|understand|enquire|inquire|clarify)\b(\s+(you|if|whether|about))?"
    r"|\b(i|we) (was|were|am|are)\s+wondering\b(\s+(if|whether|about))?"
    r"|\b(wondered|wonder|wondering)\s+(if|whether|about|how|what|when)\b"
    r"|\b(quick|one|a) question\b\W*(about|on|regarding)?|\b(could|can) you (tell|let) (me|us)\b"
    r"(\s+know)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Decision:
    action: Action
    answers: tuple[FaqEntry, ...] = ()  # "answer": one per question asked, at most three
    alternatives: tuple[FaqEntry, ...] = ()  # "suggest", and close entries otherwise
    challenges: tuple[Any, ...] = ()  # "match": handlers.engines.matching Matches, best first
    score: float = 0.0
    reason: str = ""  # why, for "none": empty, smalltalk, english_only, refused, off_topic
    faq: FaqResult | None = field(default=None, compare=False)
    language: str = "en"  # the language the message was read in (faq.languages)

    def as_json(self, question: str, format_answer: Callable[[FaqEntry], str]) -> dict[str, Any]:
        """The `dips ask --json` shape: today's fields plus action and challenges."""
        entry = self.answers[0] if self.action == "answer" and self.answers else None
        return {
            "question": question,
            "faq_id": entry.id if entry is not None else None,
            "score": round(float(self.score), 3),
            "answer": "\n\n".join(format_answer(e) for e in self.answers) if entry else None,
            "alternatives": [e.id for e in self.alternatives],
            "action": self.action,
            "faq_ids": [e.id for e in self.answers] if entry else [],
            "challenges": [m.ref for m in self.challenges] if self.action == "match" else [],
            "language": self.language,
        }


def wants_to_stop_alerts(text: str) -> bool:
    """A plain-words request to stop challenge alerts ("STOP", "opt me out"), not a question
    about how to."""
    said = " ".join(text.replace("\u2019", "'").split())
    if not said or (_ABOUT.search(said) and not re.search(r"\b(please|pls)\b", said, re.I)):
        return False
    return _STOP.search(said) is not None


def wants_a_person(text: str) -> bool:
    said = text.replace("\u2019", "'")
    return _PERSON.search(said) is not None or _FRUSTRATED.search(said) is not None


def sentences(text: str) -> list[str]:
    """The message's sentences, greetings trimmed from the first."""
    parts = [p.strip() for p in _SENTENCES.split(_GREETING.sub("", text.strip())) if p.strip()]
    return parts or [text.strip()]


# "our company is based in Tartu, can we take part": a question after a comma.
_TRAILING_QUESTION = re.compile(
    r"[,-]\s*(and |so |but )?(how|what|when|where|which|who|can|could|do|does|is|are|will|would|"
    r"should|may|am)\s+(i|we|you|it|there|they|my|our|the|a|an|this|that|u)\b", re.IGNORECASE)
# Says who is speaking: "we", "our", "I run": a description of the sender's own business.
_SELF = re.compile(r"\b(we|we're|we've|our|ours|us|i|i'm|im|my)\b", re.IGNORECASE)


def is_question(sentence: str) -> bool:
    s = _GREETING.sub("", sentence).strip()
    return (s.endswith("?") or _QUESTION.match(s) is not None or _LEAD_IN.search(s) is not None
            or _TRAILING_QUESTION.search(s) is not None)


def asks_for_match(text: str) -> bool:
    return _MATCH_ASK.search(text) is not None or _MATCH_VERB.search(text) is not None


def describes(text: str) -> bool:
    """Whether the message says what the business does and asks nothing but "anything for us?"."""
    try:
        from handlers.engines.matching.free_text import describes_business
    except ImportError:  # the matcher is optional in minimal set-ups
        return False
    parts = sentences(text)
    statements = [p for p in parts if not (is_question(p) or asks_for_match(p))]
    questions = [p for p in parts if is_question(p) and not asks_for_match(p)]
    if questions:
        return False
    if asks_for_match(text):
        # "we make apps for care homes, anything for us?": the statement part describes.
        found = _MATCH_ASK.search(text) or _MATCH_VERB.search(text)
        body = (text[:found.start()] if found else text).strip(" ,.?!-")
        if body and (describes_business(body) or _SELF_DESC.match(body) is not None):
            return True
    said = " ".join(statements)
    return bool(statements) and (describes_business(said) or _SELF_DESC.match(said) is not None)


# A question leaning on the sentence before it ("does that rule us out?") is read with it.
_ANAPHORA = re.compile(r"\b(that|those|this|these|it|them|they|their|one|"
                       r"there|such|the same)\b", re.IGNORECASE)
AGREE_LEAD = 1.2  # two readings agreeing on a first choice, each this far ahead, answer it
AGREE_MIN = 0.2
CLEARER = 0.1  # the question without "I'm a small firm" is read alone when this much surer
SHORTER = 0.75  # a reading of at most this share of the message's words is a second reading


# "how long the accelerator lasts and whether it costs anything": two questions in one sentence
_JOINED = re.compile(r"\s*,?\s*\b(?:and|also|plus|or)\s+(?=(?:also\s+)?(?:whether|if|how|what|when|"
                     r"where|which|who|can|could|do|does|is|are|will|would|should)\b)",
                     re.IGNORECASE)

# "..., im a small IT firm": who is asking, not what is asked.
_CONTEXT_CLAUSE = re.compile(
    r"^\W*(i'm|im|i am|we're|were|we are|as) (just |only )?an? (\w+ ){0,3}(firm|company|business|"
    r"agency|consultancy|studio|startup|start-up|sme|supplier|developer|provider|charity|"
    r"enterprise|team|sole trader|freelancer|consultant)\W*$", re.IGNORECASE)
_NAME = re.compile(r"(?<=\w )[A-Z][a-z]")  # a place or nationality ("in Tartu", "a Swedish firm")


def _context_clause(clause: str) -> bool:
    return _CONTEXT_CLAUSE.match(clause) is not None and not _NAME.search(clause)


def question_parts(text: str) -> list[tuple[str, str]]:
    """The questions in a message, each stripped of its friendly lead-in, as (the question,
    the question read with the sentence before it when it points back to it, else itself).
    A question whose "I'm a small firm" clause was left out is paired with "=" and the whole
    sentence: its answer must be one the whole sentence also ranks, or clearly surer."""
    parts: list[tuple[str, str]] = []
    said = sentences(text)
    for n, sentence in enumerate(said):
        leads = list(_LEAD_IN.finditer(sentence))
        lead = leads[-1] if leads else None
        if lead is not None and len(sentence) - lead.end() > 10:
            body = sentence[lead.end():].strip(" ,")
        elif is_question(sentence):
            body = sentence
        else:
            continue
        asked = ",".join(c for c in body.split(",") if not _context_clause(c)) or body
        if asked != body:  # read alone, but answered only as the whole sentence's first choice
            parts.append((asked, "=" + body))
            continue
        pieces = [p.strip(" ,") for p in _JOINED.split(body) if len(p.strip(" ,").split()) >= 2]
        for m, piece in enumerate(pieces or [body]):
            context = " ".join([*said[max(0, n - 1):n], *pieces[:m]])
            parts.append((piece, f"{context} {piece}" if context and _ANAPHORA.search(piece)
                          else piece))
    return parts


def best_faq(answerer: Answerer, text: str) -> tuple[FaqResult, list[FaqEntry]]:
    """The FAQ's reading of the whole message and of each question in it: the best result, and
    the distinct entries answered for separate questions (in the order asked, at most three).

    A question pointing back ("does that rule us out?") is answered alone only with an entry
    that its reading with the sentence before also ranks. A long message read whole and its
    question read alone are two readings: when both put the same entry first with a lead, that
    entry is the answer even where neither alone would be confident enough."""
    whole = answerer.answer(text)
    if whole.kind in ("smalltalk", "other_service", "empty"):
        return whole, []
    results: list[FaqResult] = []
    shorter: list[FaqResult] = []  # readings of a clearly shorter part, for agreement
    for alone, read in question_parts(text):
        if alone.strip() == text.strip():
            continue
        if read.startswith("="):  # "..., I'm a small IT firm" left out
            result = answerer.answer(alone)
            with_context = answerer.answer(read[1:])
            agrees = result.entry in (with_context.top, *with_context.alternatives)
            surer = result.score >= with_context.score + CLEARER
            if result.kind != "answer" or not (agrees or surer):
                result = with_context
        else:  # a question pointing back is read only with what it points back to
            result = answerer.answer(read)
        if len(words_of(read.removeprefix("="))) <= SHORTER * len(words_of(text)):
            shorter.append(result)
        results.append(result)
    answered: list[FaqEntry] = []
    for r in results:
        if r.kind == "answer" and r.entry is not None and r.entry not in answered:
            answered.append(r.entry)
    best = whole
    for r in results:
        better_answer = r.kind == "answer" and (best.kind != "answer" or r.score > best.score)
        closer = best.kind != "answer" and r.kind == "suggest" and r.score > best.score
        if better_answer or closer:
            best = r
    if best.kind != "answer" and whole.top is not None and whole.score >= AGREE_MIN \
            and whole.lead >= AGREE_LEAD:
        for r in shorter:
            if r.top == whole.top and r.lead >= AGREE_LEAD and r.kind != "smalltalk":
                best = replace(whole, kind="answer", entry=whole.top,
                               alternatives=whole.alternatives[1:])
                answered = [whole.top]
                break
    if best.kind == "answer" and best.entry is not None:
        first = [best.entry] if best.entry not in answered else []
        answered = first + answered if whole.kind == "answer" else (answered or first)
    return best, answered[:MAX_ANSWERS]


def decide(text: str, answerer: Answerer | None, match: Callable[[str], list[Any]] | None = None,
           ) -> Decision:
    """What to do with one top-level message. `match` ranks open challenges for a description
    (None where matching is not loaded)."""
    text = " ".join(text.split()) if "\n" not in text else text.strip()
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return Decision("none", reason="empty")
    language = detect_language(text)
    if language != ENGLISH and isinstance(answerer, MultilingualAnswerer):
        return _decide_foreign(text, answerer, language)
    if sum(c.isascii() for c in letters) < len(letters) / 2:
        return Decision("none", reason="english_only")
    if wants_to_stop_alerts(text):
        return Decision("unsubscribe")
    if wants_a_person(text):
        return Decision("officer")
    from handlers.engines.faq.screening import screen

    words = words_of(text[:500])
    screened = screen(words) if words else None
    if screened == "smalltalk":
        return Decision("none", reason="smalltalk")
    if screened == "other_service" and not _PROGRAMME.search(text) and not describes(text):
        return Decision("other_service")
    def matched() -> Decision:
        return Decision("match", challenges=tuple(match(text)) if match is not None else ())

    if answerer is None:
        return matched() if describes(text) else Decision("none", reason="off_topic")
    result, answered = best_faq(answerer, text)
    if describes(text):
        # A topic typed on its own ("supplier engagement day") the FAQ knows is a question;
        # what the sender's business does ("we make apps for care homes") is a match.
        confident = result.kind == "answer" and (result.score >= SURE or not _SELF.search(text))
        if not confident:
            return matched()
    if result.kind == "other_service":
        if _PROGRAMME.search(text):
            return Decision("none", reason="off_topic", faq=result)
        return Decision("other_service", faq=result)
    if result.kind == "smalltalk":
        return Decision("none", reason="smalltalk", faq=result)
    if result.kind == "answer" and answered:
        return Decision("answer", answers=tuple(answered), alternatives=result.alternatives,
                        score=result.score, faq=result)
    if result.kind == "suggest":
        return Decision("suggest", alternatives=result.alternatives, score=result.score, faq=result)
    if match is not None and _plain_statement(text) and result.score < WEAK_FAQ:
        # "meals-on-wheels style delivery of fresh produce to housebound older people": no
        # question, nothing close in the FAQ, but open challenges it fits
        found = match(text)
        if found:
            return Decision("match", challenges=tuple(found))
    return Decision("none", alternatives=result.alternatives, score=result.score, faq=result,
                    reason="off_topic" if not result.alternatives and result.score < OFF_TOPIC
                    else "refused")


def _decide_foreign(text: str, answerer: MultilingualAnswerer, language: str) -> Decision:
    """A message in one of the other languages we serve: the FAQ only. The English rules for
    wanting a person, describing a business or splitting questions read English words."""
    result = answerer.answer_in(text, language)
    if result.kind == "answer" and result.entry is not None:
        return Decision("answer", answers=(result.entry,), alternatives=result.alternatives,
                        score=result.score, faq=result, language=language)
    if result.kind == "suggest":
        return Decision("suggest", alternatives=result.alternatives, score=result.score,
                        faq=result, language=language)
    return Decision("none", alternatives=result.alternatives, score=result.score, faq=result,
                    language=language,
                    reason="off_topic" if not result.alternatives and result.score < OFF_TOPIC
                    else "refused")


# A request or an order, not a description: "tell me ...", "pretend ...", "please ...".
_IMPERATIVE = re.compile(r"^\W*(please |pls |just |now )?(tell|give|show|pretend|imagine|act|write|"
                         r"translate|make|help|send|find|list|explain|describe|check|book|call|"
                         r"email|let|get|stop|cancel|thanks|thank|cheers|ok|okay|brilliant|great)\b",
                         re.IGNORECASE)


def _plain_statement(text: str) -> bool:
    return not any(is_question(p) for p in sentences(text)) and not _IMPERATIVE.match(text) \
        and len(text.split()) >= 4
