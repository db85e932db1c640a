"""The consent wording and privacy notice, loaded and checked once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

PATH = Path(__file__).parent / "privacy.yaml"


RETENTION_DAYS = 730  # DIPS_RETENTION_DAYS's default


@dataclass(frozen=True)
class Privacy:
    version: str
    consent_text: str  # with {retention_days} to fill in: see consent() and notice()
    notice_text: str

    def consent(self, retention_days: int = RETENTION_DAYS) -> str:
        return self.consent_text.format(retention_days=retention_days)

    def notice(self, retention_days: int = RETENTION_DAYS) -> str:
        return self.notice_text.format(retention_days=retention_days)


@cache
def privacy() -> Privacy:
    data = yaml.safe_load(PATH.read_text(encoding="utf-8"))
    missing = [k for k in ("version", "consent", "notice") if not str(data.get(k, "")).strip()]
    if missing:
        raise ValueError(f"{PATH}: missing {', '.join(missing)}")
    texts = [str(data[k]).strip().replace("\n", "\n\n") for k in ("consent", "notice")]
    return Privacy(str(data["version"]), *texts)
