"""`t(key, **values)`: a sentence from the wording catalogue (content/wording/), filled in, in
the language of the person being addressed.

Every user-facing sentence comes from here, so the wording can be reviewed and translated in
one place. A missing key or placeholder is a programming error, caught by tests/test_wording.py
before it reaches a user; tests/test_languages.py checks every translation.

The language is a context variable: the core sets the speaker's for each message
(`speaking(identity.language)`), and whatever is queued for someone else is built inside
`speaking(their language)` (handlers/domain/outbound.py), so a notice reads in its recipient's
language, not the sender's. Keys with no translation (the officers' and admins' texts) stay
English.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time

from content.locale import ENGLISH, LANGUAGES, RIGHT_TO_LEFT, right_to_left, translations
from content.wording import catalogue

_language: ContextVar[str] = ContextVar("dips_language", default=ENGLISH)

LRM = "\u200e"  # the left-to-right mark: plain, invisible text


def language() -> str:
    """The language being written in now."""
    return _language.get()


@contextmanager
def speaking(code: str | None) -> Iterator[None]:
    """Write in `code` (English when None or not offered) inside the block."""
    token = _language.set(code if code in LANGUAGES else ENGLISH)
    try:
        yield
    finally:
        _language.reset(token)


def speak_from_now(code: str | None) -> None:
    """Write in `code` for the rest of this message's handling (a language just chosen): the
    core's `speaking` block around the message puts the previous language back after it."""
    _language.set(code if code in LANGUAGES else ENGLISH)


def t(key: str, **values: Any) -> str:
    code = _language.get()
    text = translations(code).get(key) if code != ENGLISH else None
    if text is None:
        return catalogue()[key].format(**values)
    values = {name: _LocalDate(v, code) if isinstance(v, date) else v for name, v in values.items()}
    if code in RIGHT_TO_LEFT:
        return right_to_left(text.format(**{name: _left_to_right(v) for name, v in values.items()}))
    return text.format(**values)


def language_name(code: str) -> str:
    """A language's name as the language being written in says it, for inside a sentence
    ("på svenska", "in italiano"; the /language buttons keep each name in its own language)."""
    return str(Locale.parse(code).get_language_name(_language.get()) or code)


def day_name(weekday: int) -> str:
    """A day of the week (0 Monday) by its name in the language being written in."""
    return str(Locale.parse(_language.get()).days["stand-alone"]["wide"][weekday])


def moment(value: datetime) -> str:
    """A date and time of day ("Thursday 10 December 2026, 14:00") in the language being
    written in (for a value put into a sentence already built, like a workshop's time)."""
    code = _language.get()
    if code == ENGLISH:
        return f"{value:%A %-d %B %Y, %H:%M}"
    local = _LocalDate(value, code)
    return f"{local:%A %d %B %Y}, {local:%H:%M}"


class LazyText:
    """A label fixed at import time but worded when used (a module-level button row)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __str__(self) -> str:
        return t(self.key)


class CountryName(LazyText):
    """A country's name in the language being written in (Babel's CLDR data), for a button
    label; the value stored stays the English name the officers read."""

    def __init__(self, english: str, territory: str) -> None:
        super().__init__(english)
        self.territory = territory

    def __str__(self) -> str:
        code = _language.get()
        if code == ENGLISH:
            return self.key
        return str(Locale.parse(code).territories.get(self.territory, self.key))


# ---- right to left (see content/locale.py right_to_left) ----
# A filled-in value written in Latin letters (a title, a reference, an email address) is held
# between left-to-right marks so its own punctuation stays with it inside Urdu text.

def _strong(text: str) -> set[str]:
    return {unicodedata.bidirectional(ch) for ch in text} & {"L", "R", "AL"}


def _left_to_right(value: Any) -> Any:
    if not isinstance(value, str) or _strong(value) != {"L"}:
        return value
    return "\n".join(LRM + line + LRM if line else line for line in value.split("\n"))


class _LocalDate:
    """A date or moment whose `{date:%A %d %B %Y}` or `{at:%H:%M}` is written the way the
    language writes dates and times: Babel's CLDR formats, in the language's own order and
    forms ("fredag 18 juni 2027", "2027. június 18., péntek", "piątek, 18 czerwca 2027")."""

    def __init__(self, value: date, code: str) -> None:
        self.value, self.code = value, code

    def __format__(self, spec: str) -> str:
        if "%H" in spec and "%d" not in spec and isinstance(self.value, datetime):
            # a time of day, on the 24-hour clock as in English, in the value's own zone
            return format_time(self.value, "HH:mm", tzinfo=self.value.tzinfo, locale=self.code)
        width = "full" if "%A" in spec else "medium" if "%b" in spec else "long"
        return format_date(self.value, format=width, locale=self.code)

    def __str__(self) -> str:
        return format_date(self.value, format="long", locale=self.code)
