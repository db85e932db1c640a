"""FAQ knowledge base: YAML files in `content/faq/`, loaded and validated as a whole.

A file holds `entries:` (a list of mappings); a bare top-level list is accepted too. Admins edit
the files directly, so validation collects every problem before failing: one bad edit should not
hide the next.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SHIPPED = Path(__file__).parent / "faq"
MAX_ANSWER_CHARS = 1000
MIN_QUESTIONS = 5
_ID = re.compile(r"^[a-z0-9-]+$")
_REQUIRED = ("id", "title", "answer", "questions", "source", "reviewed")
_KNOWN = {*_REQUIRED, "keywords"}


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML that leaves dates as text: PyYAML's own date parsing raises on "2026-13-45"
    and would abort the whole file instead of letting us report that one field."""


_Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class FaqEntry:
    id: str
    title: str
    answer: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    source: str
    reviewed: datetime.date


class KnowledgeBaseError(ValueError):
    """The knowledge base is invalid; `problems` lists every problem found, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def _text(value: Any) -> str:
    # Folded YAML scalars may leave trailing newlines; inner spacing is the author's choice.
    return value.strip() if isinstance(value, str) else ""


def _strings(value: Any) -> tuple[list[str], bool]:
    """A list of non-empty strings; the flag says whether the value had the right shape."""
    if value is None:
        return [], True
    if not isinstance(value, list):
        return [], False
    out = [" ".join(str(v).split()) for v in value if isinstance(v, str | int | float)]
    ok = len(out) == len(value) and all(out)
    return [v for v in out if v], ok


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _entry(raw: Any, where: str, problems: list[str]) -> FaqEntry | None:
    """Validate one raw mapping; append problems and return None if it is unusable."""
    if not isinstance(raw, dict):
        problems.append(f"{where}: entry must be a mapping, got {type(raw).__name__}")
        return None
    before = len(problems)
    entry_id = raw.get("id")
    if isinstance(entry_id, str) and entry_id.strip():
        where = f"{where} ({entry_id.strip()})"
    for name in _REQUIRED:
        if raw.get(name) in (None, "", []):
            problems.append(f"{where}: missing required field '{name}'")
    for name in sorted(set(raw) - _KNOWN, key=str):
        problems.append(f"{where}: unknown field '{name}'")
    if entry_id is not None and not (isinstance(entry_id, str) and _ID.match(entry_id.strip())):
        problems.append(f"{where}: id {entry_id!r} must match [a-z0-9-]+")
    for name in ("title", "answer", "source"):
        if raw.get(name) not in (None, "") and not _text(raw.get(name)):
            problems.append(f"{where}: '{name}' must be non-empty text")
    answer = _text(raw.get("answer"))
    if len(answer) > MAX_ANSWER_CHARS:
        problems.append(f"{where}: answer is {len(answer)} characters, the limit is {MAX_ANSWER_CHARS}")
    questions, ok = _strings(raw.get("questions"))
    if not ok:
        problems.append(f"{where}: 'questions' must be a list of non-empty strings")
    elif raw.get("questions") and len(questions) < MIN_QUESTIONS:
        problems.append(f"{where}: {len(questions)} question variants, at least {MIN_QUESTIONS} needed")
    keywords, ok = _strings(raw.get("keywords"))
    if not ok:
        problems.append(f"{where}: 'keywords' must be a list of non-empty strings")
    reviewed = _date(raw.get("reviewed"))
    if raw.get("reviewed") not in (None, "") and reviewed is None:
        problems.append(f"{where}: reviewed {raw.get('reviewed')!r} is not a date (YYYY-MM-DD)")
    if len(problems) > before or reviewed is None or not isinstance(entry_id, str):
        return None
    return FaqEntry(
        id=entry_id.strip(),
        title=_text(raw["title"]),
        answer=answer,
        questions=tuple(questions),
        keywords=tuple(keywords),
        source=_text(raw["source"]),
        reviewed=reviewed,
    )


def load_knowledge_base(path: Path | None = None) -> list[FaqEntry]:
    """Load every entry from a file or a folder of YAML files, or raise KnowledgeBaseError."""
    root = Path(path) if path is not None else SHIPPED
    problems: list[str] = []
    entries: list[FaqEntry] = []
    seen: dict[str, str] = {}
    if not root.exists():
        raise KnowledgeBaseError([f"{root}: no such file or folder"])
    files = _files(root)
    if not files:
        raise KnowledgeBaseError([f"{root}: no .yaml files found"])
    for file in files:
        try:
            data = yaml.load(file.read_text(encoding="utf-8"), Loader=_Loader)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            problems.append(f"{file.name}: cannot be read: {' '.join(str(exc).split())}")
            continue
        raw_entries = data.get("entries") if isinstance(data, dict) else data
        if not isinstance(raw_entries, list):
            problems.append(f"{file.name}: expected 'entries:' with a list of entries")
            continue
        for pos, raw in enumerate(raw_entries, start=1):
            entry = _entry(raw, f"{file.name} entry {pos}", problems)
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(raw_id, str) and raw_id.strip():
                key = raw_id.strip()
                here = f"{file.name} entry {pos}"
                if key in seen:
                    problems.append(f"{here} ({key}): duplicate id, first defined in {seen[key]}")
                    continue
                seen[key] = here
            if entry is not None:
                entries.append(entry)
    if problems:
        raise KnowledgeBaseError(problems)
    if not entries:
        raise KnowledgeBaseError([f"{root}: the knowledge base has no entries"])
    return entries
