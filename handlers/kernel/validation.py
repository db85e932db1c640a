"""Cleaning and checking what users type. Each checker returns (value, None) or (None, problem)."""

from __future__ import annotations

import re
import unicodedata

from handlers.kernel.text import t

MAX_INPUT = 4000  # anything longer is cut before any processing

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_DOMAIN = re.compile(r"^(?:https?://)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?:[/?#]\S*)?$",
                     re.IGNORECASE)
_PHONE = re.compile(r"^\+?[0-9 ()-]{7,20}$")


def clean(text: str | None, keep_newlines: bool = False) -> str:
    """NFC-normalise, drop control and bidi-override characters, collapse white space."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text[:MAX_INPUT])
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch == "\n" and keep_newlines:
            kept.append(ch)
        elif ch in "\t\r\n" or cat == "Zs":
            kept.append(" ")
        elif cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue  # control, format (incl. RTL overrides), surrogates, private use, unassigned
        else:
            kept.append(ch)
    text = "".join(kept)
    if keep_newlines:
        lines = [" ".join(line.split()) for line in text.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return " ".join(text.split())


def check_text(value: str, what: str, low: int, high: int) -> tuple[str | None, str | None]:
    if not value:
        return None, t("check.empty", what=what)
    if len(value) < low:
        return None, t("check.too_short", what=what, low=low)
    if len(value) > high:
        return None, t("check.too_long", what=what, high=high, length=len(value))
    if not any(ch.isalnum() for ch in value):
        return None, t("check.no_letters", what=what)
    return value, None


def check_email(value: str) -> tuple[str | None, str | None]:
    value = value.strip().strip("<>").strip()
    if len(value) > 254 or not _EMAIL.match(value):
        return None, t("check.email")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}", None


def check_website(value: str) -> tuple[str | None, str | None]:
    value = value.strip()
    if len(value) > 300 or not _DOMAIN.match(value):
        return None, t("check.website")
    return value if value.lower().startswith(("http://", "https://")) else f"https://{value}", None


def check_phone(value: str) -> tuple[str | None, str | None]:
    if not _PHONE.match(value):
        return None, t("check.phone")
    return value, None


_ID = re.compile(r"[0-9]{1,9}")


def parse_id(text: str) -> int | None:
    """A row id typed or carried by a button: ASCII digits only, small enough for any column."""
    text = text.strip()
    return int(text) if _ID.fullmatch(text) else None
