"""The FAQ in other languages: `content/faq/i18n/<lang>.yaml`, validated at load.

Each file gives, per English entry id, question variants in that language (so a question asked
in it finds the entry) and, optionally, a translated title and answer. The English entry stays
authoritative: a translation carries no source or date of its own, and whether an officer has
reviewed it is kept in the store (keyed by a hash of the text, so an edited translation needs a
new review).

    language: sv
    entries:
      dips-about: [vad är DIPS, ...]           # >= 3 variants
    answers:
      dips-about: {title: ..., answer: ...}    # optional, <= MAX_ANSWER_CHARS
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from content.faq import MAX_ANSWER_CHARS, SHIPPED, KnowledgeBaseError

I18N = SHIPPED / "i18n"
MIN_VARIANTS = 3
SUPPORTED = ("sv", "et", "hu", "it", "pl", "ur")


@dataclass(frozen=True)
class Translation:
    """One entry's answer in one language."""

    faq_id: str
    language: str
    title: str
    answer: str

    @property
    def digest(self) -> str:
        """Identifies this wording: a review applies to the text reviewed, not to later edits."""
        return hashlib.sha256(f"{self.title}\n{self.answer}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LanguagePack:
    language: str
    questions: dict[str, tuple[str, ...]]  # entry id -> variants in this language
    answers: dict[str, Translation] = field(default_factory=dict)


def _variants(value: Any) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return None
    return [" ".join(v.split()) for v in value]


def _load_file(path: Path, ids: set[str], problems: list[str]) -> LanguagePack | None:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"{path.name}: cannot be read: {exc}")
        return None
    if not isinstance(raw, dict):
        problems.append(f"{path.name}: must be a mapping with 'language' and 'entries'")
        return None
    lang = raw.get("language")
    if lang not in SUPPORTED or path.stem != lang:
        problems.append(f"{path.name}: language {lang!r} must be one of {SUPPORTED} and match "
                        "the file name")
        return None
    questions: dict[str, tuple[str, ...]] = {}
    entries = raw.get("entries")
    if not isinstance(entries, dict) or not entries:
        problems.append(f"{path.name}: 'entries' must map FAQ ids to question variants")
        entries = {}
    for faq_id, value in entries.items():
        where = f"{path.name} ({faq_id})"
        if faq_id not in ids:
            problems.append(f"{where}: no English entry has this id")
            continue
        variants = _variants(value)
        if variants is None or len(variants) < MIN_VARIANTS:
            problems.append(f"{where}: needs at least {MIN_VARIANTS} non-empty question variants")
            continue
        questions[faq_id] = tuple(variants)
    answers: dict[str, Translation] = {}
    raw_answers = raw.get("answers") or {}
    if not isinstance(raw_answers, dict):
        problems.append(f"{path.name}: 'answers' must map FAQ ids to a title and an answer")
        raw_answers = {}
    for faq_id, value in raw_answers.items():
        where = f"{path.name} answers ({faq_id})"
        if faq_id not in ids:
            problems.append(f"{where}: no English entry has this id")
            continue
        if not isinstance(value, dict) or set(value) != {"title", "answer"} or not all(
                isinstance(value[k], str) and value[k].strip() for k in ("title", "answer")):
            problems.append(f"{where}: needs exactly a non-empty 'title' and 'answer'")
            continue
        answer = value["answer"].strip()
        if len(answer) > MAX_ANSWER_CHARS:
            problems.append(f"{where}: answer is {len(answer)} characters, the limit is "
                            f"{MAX_ANSWER_CHARS}")
            continue
        answers[faq_id] = Translation(faq_id, lang, value["title"].strip(), answer)
    return LanguagePack(lang, questions, answers)


def load_language_packs(ids: set[str], folder: Path = I18N) -> dict[str, LanguagePack]:
    """Every language file in `folder`, checked against the English ids; all problems at once."""
    problems: list[str] = []
    packs: dict[str, LanguagePack] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            pack = _load_file(path, ids, problems)
            if pack is not None:
                packs[pack.language] = pack
    if problems:
        raise KnowledgeBaseError(problems)
    return packs
