"""Challenge catalogue files (see shared/challenge-format.md): parsed and validated as a whole."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

SHIPPED = Path(__file__).parent / "challenges.yaml"
STATUSES = ("draft", "open", "closed")
_REF = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
TRANSLATED = ("sv", "et", "hu", "it", "pl", "ur")  # content/locale.py LANGUAGES besides English
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ChallengeSpec:
    ref: str
    title: str
    department: str
    summary: str
    tags: tuple[str, ...]
    status: str
    closes: date | None = None
    opens: date | None = None
    budget: str | None = None
    contact: str | None = None
    url: str | None = None
    sample: bool = False
    translations: dict[str, dict[str, str]] | None = None  # {"sv": {"title": .., "summary": ..}}


class CatalogueError(ValueError):
    """A catalogue file is invalid; `problems` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def normalise_tags(tags: list[Any]) -> tuple[str, ...]:
    """Lower-case, trimmed, duplicates merged, order kept."""
    seen: dict[str, None] = {}
    for tag in tags:
        key = " ".join(str(tag).split()).lower()
        if key:
            seen.setdefault(key, None)
    return tuple(seen)


def _text(item: dict, field: str, problems: list[str], where: str, limit: int,
          required: bool = True) -> str | None:
    value = item.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(f"{where}: '{field}' is required")
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        problems.append(f"{where}: '{field}' must be text")
        return None
    value = str(value).strip()
    if len(value) > limit:
        problems.append(f"{where}: '{field}' is {len(value)} characters, at most {limit} allowed")
    return value


def _date(item: dict, field: str, problems: list[str], where: str) -> date | None:
    value = item.get(field)
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{where}: '{field}' must be an ISO date like 2027-03-31, got {value!r}")
        return None


def _translations(value: Any, problems: list[str], where: str) -> dict[str, dict[str, str]] | None:
    """Optional `translations: {sv: {title: .., summary: ..}}`, each part optional."""
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(f"{where}: 'translations' must map a language (sv, et, hu, it, pl, ur) "
                        "to a title and/or summary")
        return None
    found: dict[str, dict[str, str]] = {}
    for code, texts in value.items():
        here = f"{where}: translations.{code}"
        if code not in TRANSLATED:
            problems.append(f"{here}: the language must be one of {', '.join(TRANSLATED)}")
            continue
        if not isinstance(texts, dict) or not texts or set(texts) - {"title", "summary"}:
            problems.append(f"{here}: give a 'title' and/or a 'summary', nothing else")
            continue
        parts = {field: _text(texts, field, problems, here, limit, required=False)
                 for field, limit in (("title", 200), ("summary", 2000)) if field in texts}
        found[str(code)] = {k: v for k, v in parts.items() if v}
    return found or None


def parse_catalogue(data: Any, sample: bool = False) -> list[ChallengeSpec]:
    """Validate a parsed catalogue; raise CatalogueError with every problem, or return specs."""
    if not isinstance(data, dict) or not isinstance(data.get("challenges"), list):
        raise CatalogueError(["the file must have a top-level 'challenges:' list"])
    problems: list[str] = []
    specs: list[ChallengeSpec] = []
    seen: set[str] = set()
    for position, item in enumerate(data["challenges"], start=1):
        if not isinstance(item, dict):
            problems.append(f"challenge #{position}: must be a mapping of fields")
            continue
        ref = item.get("ref")
        where = f"challenge #{position}" + (f" '{ref}'" if isinstance(ref, str) and ref else "")
        before = len(problems)
        if not isinstance(ref, str) or not _REF.match(ref):
            problems.append(f"{where}: 'ref' must be 1-64 characters of a-z, 0-9 and '-'")
        elif ref in seen:
            problems.append(f"{where}: 'ref' is used more than once in the file")
        else:
            seen.add(ref)
        title = _text(item, "title", problems, where, 200)
        department = _text(item, "department", problems, where, 200)
        summary = _text(item, "summary", problems, where, 2000)
        raw_tags = item.get("tags")
        tags: tuple[str, ...] = ()
        if not isinstance(raw_tags, list) or not raw_tags:
            problems.append(f"{where}: 'tags' must be a list of 1-30 tags")
        else:
            tags = normalise_tags(raw_tags)
            if not 1 <= len(tags) <= 30:
                problems.append(f"{where}: 'tags' must hold 1-30 tags, found {len(tags)}")
            for tag in tags:
                if len(tag) > 60:
                    problems.append(f"{where}: tag '{tag[:20]}...' is over 60 characters")
        status = item.get("status")
        if status not in STATUSES:
            problems.append(f"{where}: 'status' must be one of draft, open, closed, got {status!r}")
        closes = _date(item, "closes", problems, where)
        opens = _date(item, "opens", problems, where)
        budget = _text(item, "budget", problems, where, 300, required=False)
        contact = _text(item, "contact", problems, where, 254, required=False)
        if contact and not _EMAIL.match(contact):
            problems.append(f"{where}: 'contact' must be an email address")
        url = _text(item, "url", problems, where, 500, required=False)
        if url and not url.startswith(("http://", "https://")):
            problems.append(f"{where}: 'url' must start with http:// or https://")
        translations = _translations(item.get("translations"), problems, where)
        unknown = set(item) - {"ref", "title", "department", "summary", "tags", "status",
                               "closes", "opens", "budget", "contact", "url", "sample",
                               "translations"}
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
        # No new problem means every required field was found valid (the checks spelt out
        # again only so the types say so too).
        if (len(problems) == before and isinstance(ref, str) and isinstance(status, str)
                and title is not None and department is not None and summary is not None):
            specs.append(ChallengeSpec(
                ref=ref, title=title, department=department, summary=summary,
                tags=tags, status=status, closes=closes, opens=opens, budget=budget,
                contact=contact, url=url, sample=bool(item.get("sample", sample)),
                translations=translations,
            ))
    if problems:
        raise CatalogueError(problems)
    return specs


def load_catalogue(path: Path) -> list[ChallengeSpec]:
    """Read and validate a catalogue file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError([f"cannot read {path}: {exc.strerror}"]) from None
    except yaml.YAMLError as exc:
        raise CatalogueError([f"{path} is not valid YAML: {exc}"]) from None
    return parse_catalogue(data)


def shipped_catalogue() -> list[ChallengeSpec]:
    return load_catalogue(SHIPPED)
