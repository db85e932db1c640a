"""Synonym groups that widen matching (content/synonyms.yaml, admin-editable), validated whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SHIPPED = Path(__file__).parent / "synonyms.yaml"
MAX_PHRASE = 60


class SynonymsError(ValueError):
    """A synonyms file is invalid; `problems` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def normalise_phrase(text: str | int | float) -> str:
    """Lower-case with runs of white space collapsed: the key phrases are compared by."""
    return " ".join(str(text).split()).lower()


@dataclass(frozen=True)
class Synonyms:
    """Groups of phrases meaning the same; the first phrase of a group is its canonical form."""

    groups: tuple[tuple[str, ...], ...] = ()
    _canonical: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for group in self.groups:
            for phrase in group:
                self._canonical.setdefault(phrase, group[0])

    def canonical(self, phrase: str) -> str:
        """The group's first phrase when `phrase` belongs to a group, else the phrase itself."""
        key = normalise_phrase(phrase)
        return self._canonical.get(key, key)

    def group_of(self, phrase: str) -> tuple[str, ...]:
        key = self._canonical.get(normalise_phrase(phrase))
        if key is None:
            return ()
        return next(g for g in self.groups if g[0] == key)


def parse_synonyms(data: Any, source: str = "synonyms") -> Synonyms:
    """Validate parsed YAML (`groups:` list of lists of phrases); raise SynonymsError listing all."""
    if data is None:
        return Synonyms()
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise SynonymsError([f"{source}: the file must have a top-level 'groups:' list"])
    problems: list[str] = []
    unknown = set(data) - {"groups"}
    if unknown:
        problems.append(f"{source}: unknown top-level key(s) {', '.join(sorted(map(str, unknown)))}")
    groups: list[tuple[str, ...]] = []
    owner: dict[str, int] = {}
    for position, raw in enumerate(data["groups"], start=1):
        where = f"{source}: group #{position}"
        if not isinstance(raw, list):
            problems.append(f"{where}: must be a list like [ev, electric vehicle]")
            continue
        phrases: list[str] = []
        for item in raw:
            if not isinstance(item, str | int | float) or isinstance(item, bool):
                problems.append(f"{where}: {item!r} is not a word or phrase")
                continue
            phrase = normalise_phrase(item)
            if not phrase:
                problems.append(f"{where}: has an empty phrase")
            elif len(phrase) > MAX_PHRASE:
                problems.append(f"{where}: '{phrase[:20]}...' is over {MAX_PHRASE} characters")
            elif phrase in phrases:
                continue  # a repeat inside one group is harmless
            elif phrase in owner:
                problems.append(
                    f"{where}: '{phrase}' is already in group #{owner[phrase]}; "
                    "a phrase may belong to one group only"
                )
            else:
                owner[phrase] = position
                phrases.append(phrase)
        if len(raw) < 2:
            problems.append(f"{where}: needs at least two phrases")
        elif len(phrases) >= 2:
            groups.append(tuple(phrases))
    if problems:
        raise SynonymsError(problems)
    return Synonyms(tuple(groups))


def load_synonyms(path: Path | None = None) -> Synonyms:
    """Read and validate a synonyms file (the shipped one by default)."""
    path = path or SHIPPED
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SynonymsError([f"cannot read {path}: {exc.strerror}"]) from None
    except yaml.YAMLError as exc:
        raise SynonymsError([f"{path} is not valid YAML: {exc}"]) from None
    return parse_synonyms(data, source=str(path.name))
