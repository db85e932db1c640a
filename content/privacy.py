"""The consent wording and privacy notice, loaded and checked once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

PATH = Path(__file__).parent / "privacy.yaml"


@dataclass(frozen=True)
class Privacy:
    version: str
    consent: str
    notice: str


@cache
def privacy() -> Privacy:
    data = yaml.safe_load(PATH.read_text(encoding="utf-8"))
    missing = [k for k in ("version", "consent", "notice") if not str(data.get(k, "")).strip()]
    if missing:
        raise ValueError(f"{PATH}: missing {', '.join(missing)}")
    return Privacy(str(data["version"]), data["consent"].strip(), data["notice"].strip())
