"""Free text typed at a form's step that may not be an answer at all.

A form never swallows a message: a line that reads as a command ("menu", "start again"), a
question ("how long does this take"), a change of mind ("actually no, I meant transport") or a
request for something else ("show me the open challenges please") is held and confirmed before
it is stored (handlers/kernel/core.py). Deliberately narrow: a plain answer is never held.
"""

from __future__ import annotations

import re

COMMAND, QUESTION, CHANGE, REQUEST = "command", "question", "change", "request"

_COMMANDS = {"help", "menu", "main menu", "start", "start again", "start over", "restart",
             "back", "go back", "home", "undo", "skip this", "exit form", "leave"}
_QUESTION = re.compile(
    r"^(what|whats|how|why|when|where|who|whom|which|can|could|may|is|are|am|do|does|did|"
    r"should|shall|will|would|have|has)\b")
_CHANGE = re.compile(
    r"^(actually|oops|sorry|wait|hang on|hold on|never ?mind|scratch that|forget (it|that)|"
    r"on second thoughts?|not this\b|wrong (one|challenge|form)\b)"
    r"|\b(i|we) meant\b|\b(i|we) (don'?t|do not) want\b|\bchanged? (my|our) mind\b"
    r"|\bwrong challenge\b|\bnot (this|that) (one|challenge)\b")
_REQUEST = re.compile(
    r"^(please )?(show|list|find|search|give|tell|take|open|bring|look|let me see|i want to see|"
    r"i'?d like to see|can you show|could you show)\b.*\b(challenges?|eois?|menu|list|"
    r"expressions? of interest|alerts?|options|help|faq|questions?)\b")
_COMPANY = re.compile(r"\b(ltd|limited|plc|llp|cic|inc|gmbh|ab|oy)$")
SHORT = 200  # a longer text is read as an answer unless it starts by changing its mind


def odd_answer(text: str) -> str | None:
    """What a typed line looks like if it isn't plausibly an answer, else None."""
    said = " ".join(text.lower().replace("\u2019", "'").split())
    bare = said.strip(" .!?")
    if not bare:
        return None
    if bare in _COMMANDS or bare.startswith("/"):
        return COMMAND
    if _COMPANY.search(bare):  # "Sorry Ltd" is a name
        return None
    if _CHANGE.search(said[:SHORT]) and (len(said) <= SHORT or _CHANGE.match(said)):
        return CHANGE
    if len(said) > SHORT:
        return None
    if _REQUEST.match(bare):
        return REQUEST
    if said.endswith("?") or (_QUESTION.match(bare) and len(bare.split()) >= 3
                              and not re.search(r"\b(we|our)\b", bare)):
        return QUESTION
    return None


# What a request or a command word asks for, as the command that gives it (when registered).
_WANTED = (("challenge", "challenges"), ("expressions of interest", "my"), ("expression of interest", "my"),
           ("eoi", "my"), ("alert", "subscribe"), ("menu", "menu"), ("start", "start"),
           ("restart", "start"), ("home", "menu"), ("help", "help"))


def wanted_command(text: str) -> str | None:
    """The command a held request or command word asks for ("show me the open challenges"
    -> "challenges"), if it names one."""
    said = " ".join(text.lower().split())
    return next((command for word, command in _WANTED if re.search(rf"\b{word}", said)), None)
