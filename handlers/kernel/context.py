"""`Ctx`: everything one message's handling needs, and the verbs features use on it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kernel.messages import Outbox, Row
from storage import conversations
from storage.models import Identity

if TYPE_CHECKING:
    from handlers.kernel.core import Core
    from handlers.kernel.flows import Flow


@dataclass
class Ctx:
    """One message's handling; flows change `flow`, `step` and `data` (saved with a version)."""

    core: Core
    session: AsyncSession
    identity: Identity
    out: Outbox
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    pressed: bool = False  # the current step's input came from a button, not typing
    loaded: tuple[str | None, str | None, dict[str, Any]] | None = None
    version: int | None = None  # the state row's version when read; None when there was none
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def role(self) -> str:
        return self.identity.role

    @property
    def actor(self) -> str:
        return f"{self.identity.platform}:{self.identity.external_id}"

    @property
    def today(self) -> date:
        return self.core.today()

    def say(self, text: str, *rows: Row, **kw: Any) -> None:
        self.out.say(text, *rows, **kw)

    # ---- commands: every hand-over goes through the kernel's checked path ----

    async def run(self, command: str, args: str = "", namespace: str = "") -> None:
        """Run a registered command as if the user had typed it (its action is checked)."""
        await self.core.run_command(self, command, args, namespace)

    # ---- flows ----

    def goto(self, flow: str, step: str, **updates: Any) -> None:
        """Set the conversation's flow and step (without asking anything)."""
        self.flow, self.step = flow, step
        self.data.update(updates)

    async def begin(self, flow: Flow, step: str | None = None, **data: Any) -> None:
        """Start `flow` afresh at `step` (its first by default) and ask it."""
        self.flow, self.step, self.data = flow.name, step or flow.steps[0].name, dict(data)
        await self.ask()

    async def next(self, step: str | None = None) -> None:
        """Go on to `step` (the flow's following step by default), or back to the flow's
        `return_to` step when one field was being edited; then ask it."""
        flow = self.core.registry.flows[self.flow or ""]
        if self.data.pop("editing", False) and flow.return_to:
            step = flow.return_to
        self.step = step or flow.after(self.step)
        if self.step is None:
            self.finish()
            return
        await self.ask()

    async def ask(self) -> None:
        """Ask the current step again (after a problem, a stale button or "carry on")."""
        flow = self.core.registry.flows.get(self.flow or "")
        step = flow.step(self.step) if flow else None
        if step is not None:
            await step.ask(self)

    def finish(self) -> None:
        self.flow, self.step, self.data = None, None, {}

    def forget_state(self) -> None:
        """The state row is gone with the identity (erasure): nothing to save or clear."""
        self.flow, self.step, self.data, self.version, self.loaded = None, None, {}, None, None

    async def persist(self) -> None:
        if self.loaded == (self.flow, self.step, self.data):
            return
        if self.flow is None:
            if self.version is not None:
                await conversations.clear_state(self.session, self.identity.id, self.version)
        else:
            await conversations.save_state(
                self.session, self.identity.id, self.version, self.flow, self.step or "", self.data
            )
