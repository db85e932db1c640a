"""The consent wording and privacy notice, loaded and checked once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from content.locale import ENGLISH, RIGHT_TO_LEFT, right_to_left, translations

PATH = Path(__file__).parent / "privacy.yaml"


RETENTION_DAYS = 730  # DIPS_RETENTION_DAYS's default


@dataclass(frozen=True)
class Privacy:
    version: str
    consent_text: str  # with {retention_days} to fill in: see consent() and notice()
    notice_text: str

    def consent(self, retention_days: int = RETENTION_DAYS, language: str = ENGLISH) -> str:
        return _in(language, "privacy:consent", self.consent_text).format(
            retention_days=retention_days)

    def notice(self, retention_days: int = RETENTION_DAYS, language: str = ENGLISH) -> str:
        return _in(language, "privacy:notice", self.notice_text).format(
            retention_days=retention_days)


def _in(language: str, key: str, english: str) -> str:
    """The text in `language` (content/locale/), or the English where not translated."""
    found = translations(language).get(key)
    if found is None:
        return english
    text = _paragraphs(found)
    return right_to_left(text) if language in RIGHT_TO_LEFT else text


def _paragraphs(text: str) -> str:
    return text.strip().replace("\n", "\n\n")


@cache
def privacy() -> Privacy:
    data = yaml.safe_load(PATH.read_text(encoding="utf-8"))
    missing = [k for k in ("version", "consent", "notice") if not str(data.get(k, "")).strip()]
    if missing:
        raise ValueError(f"{PATH}: missing {', '.join(missing)}")
    texts = [_paragraphs(str(data[k])) for k in ("consent", "notice")]
    return Privacy(str(data["version"]), *texts)
