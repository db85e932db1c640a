"""Button data, declared once per kind: a prefix and typed fields, packed within 64 bytes.

    class ShowEoi(CallbackData, prefix="my"):
        eoi_id: int | None = None

    ShowEoi(12).pack() == "my:12";  parse("my:12") == ShowEoi(12)

The packed form is `prefix:field:field...`, the last field taking the rest of the string, so
buttons already sitting in users' chats (made before the kinds were declared) still parse.
Parsing is the one place button data from a platform is read: anything unknown or malformed
(a forged press, a button from an older version) parses to None, never to an exception.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, ClassVar, Self, dataclass_transform

from handlers.kernel.text import LazyText

LIMIT = 64  # bytes: Telegram's callback_data limit
SEP = ":"

KINDS: dict[str, type[CallbackData]] = {}


class CallbackDataError(ValueError):
    """A button whose data could not be packed (too long, or a separator inside a field)."""


@dataclass_transform(frozen_default=True)
class CallbackData:
    """Base of every button kind; subclasses are frozen dataclasses registered by prefix."""

    prefix: ClassVar[str]
    _types: ClassVar[dict[str, type]]

    def __init_subclass__(cls, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if SEP in prefix or not prefix:
            raise CallbackDataError(f"bad prefix {prefix!r}")
        if prefix in KINDS:
            raise CallbackDataError(f"prefix {prefix!r} is declared twice")
        cls.prefix = prefix
        dataclasses.dataclass(frozen=True)(cls)
        hints = typing.get_type_hints(cls)
        cls._types = {f.name: _base_type(hints[f.name]) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        KINDS[prefix] = cls

    def pack(self) -> str:
        values = [getattr(self, name) for name in self._types]
        parts = ["" if v is None else str(v) for v in values]
        if any(SEP in p for p in parts[:-1]):
            raise CallbackDataError(f"{self.prefix}: a field other than the last contains {SEP!r}")
        data = SEP.join([self.prefix, *parts]) if parts else f"{self.prefix}{SEP}"
        if len(data.encode()) > LIMIT:
            raise CallbackDataError(f"button data over {LIMIT} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, rest: str) -> Self | None:
        """The fields from what follows the prefix, or None when they don't fit the kind."""
        names = list(cls._types)
        parts = rest.split(SEP, len(names) - 1) if names else []
        if not names and rest:
            return None
        values: dict[str, Any] = {}
        for name, part in zip(names, parts, strict=False):
            kind = cls._types[name]
            if part == "":
                continue  # the field's default (None for optional ones)
            if kind is int:
                if not part.isascii() or not part.isdigit() or len(part) > 12:
                    return None
                values[name] = int(part)
            else:
                values[name] = part
        try:
            return cls(**values)
        except TypeError:  # a required field missing
            return None


def _base_type(hint: Any) -> type:
    """`int | None` -> int; anything else that isn't int is read as text."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        hint = next((a for a in typing.get_args(hint) if a is not type(None)), str)
    return int if hint is int else str


def parse(data: str) -> CallbackData | None:
    """The declared button a platform sent back, or None for anything unknown or malformed."""
    if (not isinstance(data, str) or len(data.encode(errors="replace")) > LIMIT
            or not data.isprintable()):
        return None
    prefix, sep, rest = data.partition(SEP)
    kind = KINDS.get(prefix)
    if kind is None or not sep:
        return None
    return kind.unpack(rest)


# ---- the kinds the kernel itself answers or every feature shows ----

class FlowChoice(CallbackData, prefix="f"):
    """A choice within a flow's current step; stale once the flow has moved on."""

    step: str
    value: str = ""


class Resume(CallbackData, prefix="resume"):
    """"Carry on": ask the current step again."""


class Held(CallbackData, prefix="held"):
    """The answer to "is that your answer?" about a typed line held at `step`: use | leave."""

    step: str
    answer: str = ""


class Cancel(CallbackData, prefix="cancel"):
    """Cancel whatever flow is open."""


CANCEL_ROW = [(LazyText("button.cancel"), Cancel())]


class Dismiss(CallbackData, prefix="bcx"):
    """Cancel on a preview (a broadcast, a clarification, an FAQ suggestion): nothing to undo."""
