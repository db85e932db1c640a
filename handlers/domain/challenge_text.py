"""A challenge's title and summary in the language being written in (docs/challenge-format.md:
a catalogue may carry translations per language; English is the published original)."""

from __future__ import annotations

from typing import Any

from content.locale import ENGLISH
from handlers.kernel.text import language


def localised(challenge: Any) -> tuple[str, str, bool]:
    """(title, summary, whether the summary is in the reader's language). Where a translation
    is missing the English stands, and the caller says officers read English."""
    code = language()
    if code == ENGLISH:
        return challenge.title, challenge.summary, True
    found: dict[str, str] = (getattr(challenge, "translations", None) or {}).get(code) or {}
    return (found.get("title") or challenge.title, found.get("summary") or challenge.summary,
            bool(found.get("summary")))
