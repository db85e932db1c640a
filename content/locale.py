"""The SMEs' languages: gettext catalogues (content/locale/<lang>/LC_MESSAGES/messages.po),
read with Babel's PO reader.

English stays the source: content/wording/sme.yaml and the privacy notice (content/privacy.yaml)
are the msgids; each PO entry's msgctxt is the wording key (`eoi.ask.size`, or `privacy:consent`
for the notice's two texts), so one English sentence can be translated per use. A translation
counts only while its msgid is still the current English text and it isn't marked fuzzy: an
English sentence changed since leaves that key in English until the translator catches up
(tools/locale_catalogues.py regenerates messages.pot and merges it into every PO file).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from content.wording import FOLDER, load, placeholders

LOCALE = Path(__file__).parent / "locale"
DOMAIN = "messages"
ENGLISH = "en"
# Code, its name in its own language (what /language shows), and the writing direction.
LANGUAGES: dict[str, str] = {
    "en": "English", "sv": "Svenska", "et": "Eesti", "hu": "Magyar", "it": "Italiano",
    "pl": "Polski", "ur": "اردو",
}
RIGHT_TO_LEFT = frozenset({"ur"})
PRIVACY = (("privacy:consent", "consent"), ("privacy:notice", "notice"))
RLM = "\u200f"  # the right-to-left mark: a plain, invisible character


def right_to_left(text: str) -> str:
    """Every line started with a right-to-left mark. Telegram (and most clients) pick a
    paragraph's direction from its first strong character, so an Urdu line that starts with a
    reference, a number or a command would otherwise be laid out left to right."""
    return "\n".join(RLM + line if line and not line.startswith(RLM) else line
                     for line in text.split("\n"))


def supported(tag: str | None) -> str | None:
    """The language for a platform's IETF tag ("sv", "pl-PL", "ur_PK"), or None if not offered."""
    if not tag:
        return None
    code = tag.replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


@cache
def english() -> dict[str, str]:
    """Every SME-facing English text by key: the msgids a translation must match."""
    texts = {key: text for key, text in load(FOLDER, audiences=("sme",)).items()}
    data = yaml.safe_load((Path(__file__).parent / "privacy.yaml").read_text(encoding="utf-8"))
    for key, field in PRIVACY:
        texts[key] = str(data[field]).strip()
    return texts


def po_path(language: str, folder: Path = LOCALE) -> Path:
    return folder / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


@dataclass(frozen=True)
class Translations:
    texts: dict[str, str]  # key -> translated text, only those that are current
    problems: list[str]  # missing, outdated (msgid no longer the English) or fuzzy keys, bad placeholders


def read_translations(language: str, folder: Path = LOCALE) -> Translations:
    source = english()
    catalog = read_catalog(po_path(language, folder), language)
    texts: dict[str, str] = {}
    problems: list[str] = []
    for message in catalog:
        key = message.context
        if not message.id or key is None:
            continue
        if key not in source:
            problems.append(f"{language}: {key} is not an English text any more")
            continue
        text = message.string if isinstance(message.string, str) else ""
        if message.id != source[key]:
            problems.append(f"{language}: {key} translates an older English text")
        elif message.fuzzy:
            problems.append(f"{language}: {key} is marked fuzzy")
        elif text.strip():
            try:
                names = placeholders(text)
            except ValueError as exc:
                problems.append(f"{language}: {key}: {exc}")
                continue
            if names != placeholders(source[key]):
                problems.append(f"{language}: {key} has placeholders {sorted(names)}, "
                                f"the English {sorted(placeholders(source[key]))}")
                continue
            texts[key] = text
    problems += [f"{language}: {key} is not translated" for key in source if key not in texts
                 and not any(p.startswith(f"{language}: {key} ") for p in problems)]
    return Translations(texts, problems)


@cache
def translations(language: str) -> dict[str, str]:
    """The current translations for `language` (empty for English); a key missing or out of
    date is left to the English text."""
    if language == ENGLISH or language not in LANGUAGES:
        return {}
    return read_translations(language).texts
