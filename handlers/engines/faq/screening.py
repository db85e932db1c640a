"""Messages the FAQ must not answer from the knowledge base, recognised by small word lists.

Small talk, other council services and requests for the bot to do work itself are told apart
before scoring, because a wrong confident FAQ answer is worse than none.
"""

from __future__ import annotations

import re
from typing import Literal

from handlers.engines.faq.text import STOP, word_set

# Words that carry no topic but appear in "hi / thanks / help" messages.
SMALLTALK = word_set(
    """hi hello hey hiya heya hallo howdy yo morning afternoon evening good day night thanks thank
    thx ta cheers ok okay k cool great nice lovely brilliant fine bye goodbye see later bot
    robot chatbot help menu start options hows going doing well fab awesome mate guys folks
    all you there sorry perfect super appreciated appreciate much lot many kind alright
    """
)
# Pure courtesy words: dropped from a question ("hi, how do I apply?") before matching.
COURTESY = word_set("hi hello hey hiya heya hallo howdy thanks thank thx cheers ta ok okay morning")
SMALLTALK_PHRASES = (
    "what can you do",
    "how are you",
    "who are you",
    "what are you",
    "are you a bot",
    "are you a robot",
    "are you human",
    "are you real",
    "how does this bot work",
    "how do i use this",
    "what do you do",
)
# Other council services: the core points these to the council's general contact page.
OTHER_SERVICE_WORDS = word_set(
    """bin bins rubbish recycling refuse litter tipping flytipping parking pcn pothole potholes
    streetlight housing homeless homelessness tenancy tenant landlord rent council_tax
    library libraries school schools admissions nursery birth death marriage wedding
    funeral cemetery crematorium noise pest pests rats vote voting election elections electoral
    allotment allotments swimming leisure gym blue_badge bus_pass driving_licence taxi
    dog graffiti asb antisocial universal_credit pension ehcp sen senco hygiene takeaway
    pothole roadworks pavement
    """
)
OTHER_SERVICE_PHRASES = (
    "council tax",
    "planning permission",
    "planning application",
    "building control",
    "bulky waste",
    "garden waste",
    "waste collection",
    "missed bin",
    "fly tipping",
    "fly-tipping",
    "parking permit",
    "parking fine",
    "blue badge",
    "bus pass",
    "care assessment",
    "care home",
    "social worker",
    "council house",
    "council housing",
    "housing benefit",
    "business rates",
    "rates relief",
    "street light",
    "street lights",
    "street lighting",
    "register office",
    "premises licence",
    "alcohol licence",
    "food hygiene rating",
    "universal credit",
    "benefit claim",
    "claim benefits",
    "special educational needs",
    "environmental health",
    "trading standards",
)
# Words that show the question is about selling to the council, so a service word in it
# ("waste collection tender") does not make it an other-service question.
DOMAIN_SIGNAL = word_set(
    """tender tenders tendering bid bids bidding contract contracts procurement procure supplier
    suppliers dips challenge challenges sme smes framework frameworks sbri subcontract
    subcontractor consortium lot lots invoice accelerator prototype eoi innovation competition
    pilot piloting trial cohort
    """
)
# Requests for the bot to do work itself: an officer (or nobody) must answer those.
TASK_REQUEST = re.compile(
    r"(\b(can|could|will|would)\s+(you|u|someone|somebody)\s+|^(please\s+)?(?=\w+\s+(my|our)\b))"
    r"(please\s+)?"
    r"(write|check|review|proof ?read|draft|fill|complete|look over|look at|read|mark|"
    r"improve|rewrite|prepare|do)\b.*\b(my|our|this|it|for me|for us)\b"
)


def screen(words: list[str]) -> Literal["smalltalk", "other_service"] | None:
    """What a normalised question is when it is not one for the knowledge base, else None."""
    joined = " ".join(words)
    # Small talk: nothing left once greetings, thanks and filler words are removed.
    if not [w for w in words if w not in STOP and w not in SMALLTALK] or any(
        joined == p for p in SMALLTALK_PHRASES
    ):
        return "smalltalk"
    padded = f" {joined} "
    domain = any(w in DOMAIN_SIGNAL for w in words)
    service = any(w in OTHER_SERVICE_WORDS for w in words) or any(
        f" {p} " in padded for p in OTHER_SERVICE_PHRASES
    )
    if service and not domain:
        return "other_service"
    return None


# Asking the bot to play a part ("pretend you're the procurement director"): never an FAQ answer.
ROLE_PLAY = re.compile(r"^(pretend|imagine you|act as|roleplay|role play|you are now|from now on)\b")


def asks_for_work(words: list[str]) -> bool:
    """Whether the question asks the bot to do work itself ("can you check my bid?"), or to
    play a part."""
    joined = " ".join(words)
    return TASK_REQUEST.search(joined) is not None or ROLE_PLAY.search(joined) is not None
