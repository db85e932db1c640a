"""Flows declared once: each step with how it is asked, how its answer is read, what comes next.

A flow is an ordered tuple of steps. The kernel asks a step (`Step.ask`), hands it the typed
text or a pressed button's value (`Step.read`), checks the flow's action on every step, and
owns what is common to all of them: resume, stale buttons, a question typed into a field
(`asides`), a typed line that may not be an answer at all (`guard`), stop words and offers
that lapse. "What comes next" is the following step unless
a step says otherwise (`ctx.next("consent")`); while one field is being edited, the flow goes
back to `return_to` instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handlers.kernel.context import Ctx

Ask = Callable[["Ctx"], Awaitable[None]]
Read = Callable[["Ctx", str], Awaitable[None]]
Parse = Callable[["Ctx", str], Any]  # the value to store, or raises Invalid


class Invalid(Exception):
    """An answer a step can't take: `text` says why, and the step is asked again."""

    def __init__(self, text: str, *rows: list[tuple[Any, Any]]) -> None:  # (label, data) rows
        super().__init__(text)
        self.text = text
        self.rows = rows


@dataclass(frozen=True)
class Step:
    name: str
    ask: Ask
    read: Read
    asides: bool = False  # a short typed question is answered (FAQ), the step asked again
    offer: bool = False  # an offer: lapses quietly when the user does something else...
    keeps: tuple[str, ...] = ()  # ...except these commands or button prefixes
    guard: bool = False  # free text: a line that reads as a command, a question, a change of
    # mind or a request for something else is confirmed before it is stored (kernel/guard.py)
    editable: bool = False  # the user may come back to it from a summary (a form's "edit" menu)


@dataclass(frozen=True)
class Flow:
    name: str
    action: str  # the permission every step needs (roles table)
    steps: tuple[Step, ...]
    reads_stop_words: bool = False  # "stop"/"cancel" typed are an answer, not a cancel
    return_to: str | None = None  # where an edit of one field goes back to
    title: str = ""  # the wording key naming the form ("your EOI for {title}"), from its data

    def step(self, name: str | None) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def after(self, name: str | None) -> str | None:
        names = [s.name for s in self.steps]
        return names[names.index(name) + 1] if name in names[:-1] else None


def field(name: str, ask: Ask, parse: Parse, into: str, *, asides: bool = True,
          guard: bool = True, editable: bool = True) -> Step:
    """A step that stores one checked value at `into` ("org.name") and goes on to the next."""

    async def read(ctx: Ctx, text: str) -> None:
        value = await _maybe_await(parse(ctx, text))
        *path, key = into.split(".")
        target = ctx.data
        for part in path:
            target = target.setdefault(part, {})
        target[key] = value
        await ctx.next()

    return Step(name, ask, read, asides=asides, guard=guard, editable=editable)


async def _maybe_await(value: Any) -> Any:
    return await value if isinstance(value, Awaitable) else value
