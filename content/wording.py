"""The assistant's wording: one catalogue per audience, each sentence once, checked when loaded.

`content/wording/sme.yaml`, `officer.yaml` and `admin.yaml` map dotted keys (nested mappings
are flattened: `eoi: {ask: {org_name: ...}}` is `eoi.ask.org_name`) to texts with `{named}`
placeholders, as `str.format` reads them. A key may appear in one file only. sme.yaml is the
English source of the SMEs' other languages (content/locale.py, gettext PO files).
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path
from typing import Any

import yaml

FOLDER = Path(__file__).parent / "wording"
AUDIENCES = ("sme", "officer", "admin")


class WordingError(ValueError):
    """The catalogue is malformed; `problems` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def placeholders(text: str) -> set[str]:
    """The names a text needs, e.g. {"title"} for "Registering interest in {title}"."""
    return {name.split(".")[0].split("[")[0]
            for _, name, _, _ in string.Formatter().parse(text) if name}


def _flatten(data: Any, prefix: str, out: dict[str, str], problems: list[str], where: str) -> None:
    if not isinstance(data, dict):
        problems.append(f"{where}: {prefix or 'the file'} should be a mapping")
        return
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            _flatten(value, name, out, problems, where)
        elif isinstance(value, str) and value.strip():
            out[name] = value.rstrip("\n")
        else:
            problems.append(f"{where}: {name} should be a non-empty text")


def load(folder: Path = FOLDER, audiences: tuple[str, ...] = AUDIENCES) -> dict[str, str]:
    """Every key of every audience's file; raises WordingError listing every problem."""
    texts: dict[str, str] = {}
    owner: dict[str, str] = {}
    problems: list[str] = []
    for audience in audiences:
        path = folder / f"{audience}.yaml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        found: dict[str, str] = {}
        _flatten(data, "", found, problems, path.name)
        for key, text in found.items():
            if key in owner:
                problems.append(f"{path.name}: {key} is also in {owner[key]}.yaml")
                continue
            try:
                placeholders(text)
            except ValueError as exc:
                problems.append(f"{path.name}: {key}: {exc}")
                continue
            owner[key] = audience
            texts[key] = text
    if problems:
        raise WordingError(problems)
    return texts


@cache
def catalogue() -> dict[str, str]:
    return load()
