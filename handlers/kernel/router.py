"""Routers: how a feature declares its commands, buttons and flows, each with its action.

    router = Router("sme.eois")

    @router.command("my")
    async def my_eois(ctx, args): ...

    @router.button(ShowEoi, action="my")
    async def show(ctx, data: ShowEoi): ...

    router.flow(FORM)  # a handlers.kernel.flows.Flow

The core merges every feature's router into one Registry and runs each entry through one
checked path (handlers/kernel/core.py): the action's roles are looked up in the roles table
every time, never once on the way in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from handlers.kernel.callbacks import CallbackData
from handlers.kernel.flows import Flow

if TYPE_CHECKING:
    from handlers.kernel.context import Ctx

Handler = Callable[["Ctx", str], Awaitable[None]]
ButtonHandler = Callable[["Ctx", Any], Awaitable[None]]
Text = Callable[["Ctx", str], Awaitable[None]]
F = TypeVar("F", bound=Callable[..., Awaitable[None]])

TOP, DIPS = "", "dips"  # command namespaces: /NAME, and the officers' /dips NAME


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    action: str
    namespace: str = TOP
    aside: bool = False  # typed mid-form, it answers and then the form's question comes again

    @property
    def spelled(self) -> str:
        return f"/{self.namespace} {self.name}" if self.namespace else f"/{self.name}"


@dataclass(frozen=True)
class ButtonRoute:
    kind: type[CallbackData]
    handler: ButtonHandler
    action: str


@dataclass
class Router:
    name: str
    commands: list[Command] = field(default_factory=list)
    buttons: list[ButtonRoute] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    text: Text | None = None  # free text outside any flow
    aside: Text | None = None  # a question typed into a form field

    def command(self, name: str, action: str | None = None, *, dips: bool = False,
                top: bool = True, aside: bool = False) -> Callable[[F], F]:
        """Register `/name` (and `/dips name` with `dips`; only that with `top=False`); an
        `aside` leaves an open form where it was and asks its question again after."""
        def add(handler: F) -> F:
            for namespace, wanted in ((TOP, top), (DIPS, dips)):
                if wanted:
                    self.commands.append(Command(name, handler, action or name, namespace, aside))
            return handler
        return add

    def button(self, kind: type[CallbackData], action: str) -> Callable[[F], F]:
        def add(handler: F) -> F:
            self.buttons.append(ButtonRoute(kind, handler, action))
            return handler
        return add

    def flow(self, flow: Flow) -> Flow:
        self.flows.append(flow)
        return flow

    def on_text(self, handler: F) -> F:
        self.text = handler
        return handler

    def on_aside(self, handler: F) -> F:
        self.aside = handler
        return handler


class Registry:
    """Every router merged; a name registered twice is a programming error, found at start."""

    def __init__(self, routers: Iterable[Router]) -> None:
        self.commands: dict[tuple[str, str], Command] = {}
        self.buttons: dict[str, ButtonRoute] = {}
        self.flows: dict[str, Flow] = {}
        self.text: Text | None = None
        self.aside: Text | None = None
        for router in routers:
            for command in router.commands:
                key = (command.namespace, command.name)
                _once(self.commands, key, command, router.name)
            for route in router.buttons:
                _once(self.buttons, route.kind.prefix, route, router.name)
            for flow in router.flows:
                _once(self.flows, flow.name, flow, router.name)
            for attr in ("text", "aside"):
                if getattr(router, attr) is not None:
                    if getattr(self, attr) is not None:
                        raise ValueError(f"{router.name}: a second {attr} handler")
                    setattr(self, attr, getattr(router, attr))

    def command(self, name: str, namespace: str = TOP) -> Command | None:
        return self.commands.get((namespace, name))

    def actions(self) -> set[str]:
        """Every action anything registered performs (the roles table must list exactly these)."""
        return ({c.action for c in self.commands.values()} | {b.action for b in self.buttons.values()}
                | {f.action for f in self.flows.values()})


def _once(table: dict[Any, Any], key: Any, value: Any, where: str) -> None:
    if key in table:
        raise ValueError(f"{where}: {key!r} is registered twice")
    table[key] = value
