"""The conversation core: one neutral message in, neutral replies out.

Each message is handled in one database transaction: the identity, its conversation state and
whatever the step writes are committed together or not at all. Conversation state lives in the
store (versioned), so a restart or a second replica carries on where the user left off.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from handlers.kernel.messages import Incoming, Outbox, Reply
from handlers.kernel.roles import allowed
from storage import conversations, people
from storage.models import ConversationState, Identity
from storage.store import Store

log = logging.getLogger(__name__)

IDLE_LIMIT = timedelta(days=1)
STOP_WORDS = ("cancel", "stop", "quit", "exit")
UNAVAILABLE = "DIPS Assistant is temporarily unavailable. Please try again in a minute."
FAILED = ("Sorry, something went wrong on our side and nothing was saved. "
          "Please try again, or type /cancel to start afresh.")


@dataclass(frozen=True)
class CoreConfig:
    council_contact_url: str = "https://www.birmingham.gov.uk/contact"
    team_contact: str = "the DIPS team"
    idle_limit: timedelta = IDLE_LIMIT


@dataclass
class Ctx:
    """Everything one message's handling needs; flows change `flow`, `step` and `data`."""

    core: Core
    session: AsyncSession
    identity: Identity
    out: Outbox
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    pressed: bool = False  # the current step's input came from a button, not typing
    _loaded: tuple[str | None, str | None, dict[str, Any]] | None = None
    _version: int | None = None  # the state row's version when read; None when there was none
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

    def say(self, text: str, *rows: list[tuple[str, str]], **kw: Any) -> None:
        self.out.say(text, *rows, **kw)

    def goto(self, flow: str, step: str, **updates: Any) -> None:
        self.flow, self.step = flow, step
        self.data.update(updates)

    def finish(self) -> None:
        self.flow, self.step, self.data = None, None, {}

    async def persist(self) -> None:
        if self._loaded == (self.flow, self.step, self.data):
            return
        if self.flow is None:
            if self._version is not None:
                await conversations.clear_state(self.session, self.identity.id, self._version)
        else:
            await conversations.save_state(
                self.session, self.identity.id, self._version, self.flow, self.step or "", self.data
            )


Handler = Callable[[Ctx, str], Awaitable[None]]


class Core:
    """Routes each message to a command, a button, the current flow, or free-text help."""

    def __init__(self, store: Store, config: CoreConfig | None = None,
                 answerer: Any = None, index: Any = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.config = config or CoreConfig()
        self.answerer = answerer  # handlers.engines.faq.Answerer, or None where the FAQ is not loaded
        self.index = index  # handlers.engines.matching.CatalogueIndex, or None
        self.clock = clock or (lambda: datetime.now(UTC))
        self.commands: dict[str, Handler] = {}
        self.buttons: dict[str, tuple[Handler, str]] = {}  # prefix -> (handler, permission)
        self.flows: dict[str, dict[str, Handler]] = {}
        self.prompts: dict[str, Callable[[Ctx], Awaitable[None]]] = {}  # re-ask a flow's step
        # Offers: (flow, step) -> button prefixes and commands that keep the offer open; any
        # other command or button means the user moved on, and the offer lapses instead of
        # blocking them.
        self.offers: dict[tuple[str, str], tuple[str, ...]] = {}
        self.reads_stop_words: set[str] = set()
        self.text_handler: Handler | None = None
        from handlers import register  # the feature modules add their handlers here

        register(self)

    def today(self) -> date:
        return self.clock().date()

    def command(self, name: str, handler: Handler) -> None:
        self.commands[name] = handler

    def button(self, prefix: str, handler: Handler, permission: str = "menu") -> None:
        """Register a button; pressing it needs `permission` in the roles table."""
        self.buttons[prefix] = (handler, permission)

    def flow(self, name: str, steps: dict[str, Handler], *, reads_stop_words: bool = False) -> None:
        """Register a flow; typed "stop", "cancel"... cancel it unless it reads them itself."""
        self.flows[name] = steps
        if reads_stop_words:
            self.reads_stop_words.add(name)

    async def handle(self, message: Incoming) -> list[Reply]:
        """Handle one message; never raises: failures become a friendly reply.

        Every message gets at least one reply, except a repeat of an `update_id` already
        handled (by any process), which gets none.
        """
        for attempt in range(3):
            try:
                return await self._handle_once(message)
            except PoolTimeout:  # every connection busy for the pool's whole wait: say so
                log.warning("store busy: no connection free within the pool timeout")
                return [Reply(UNAVAILABLE)]
            except (StaleDataError, IntegrityError) as exc:
                # Another replica moved this user's conversation on: replay on fresh state.
                log.info("concurrent update for %s, retrying (%s)", message.speaker, type(exc).__name__)
                if attempt == 2:
                    break
            except (DBAPIError, OSError, ConnectionError) as exc:
                lost = isinstance(exc, OperationalError | InterfaceError | OSError | ConnectionError)
                if not (lost or getattr(exc, "connection_invalidated", False)):
                    log.exception("database error while handling a message")
                    break
                if attempt == 0:  # a pooled connection dropped: the retry takes a fresh one
                    continue
                log.warning("store unavailable: %s", exc.__class__.__name__)
                return [Reply(UNAVAILABLE)]
            except Exception:
                log.exception("error while handling a message from %s", message.speaker)
                break
        return [Reply(FAILED)]

    async def _handle_once(self, message: Incoming) -> list[Reply]:
        speaker = message.speaker
        async with self.store.session() as session:
            if message.update_id is None:
                loaded = await people.ensure_identity_with_state(
                    session, speaker.platform, speaker.user_id, speaker.chat_id,
                    speaker.display_name)
            else:  # the claim commits with the effects: an update is taken once, never lost
                loaded = await people.claim_with_identity(
                    session, speaker.platform, message.update_id, speaker.user_id,
                    speaker.chat_id, speaker.display_name)
                if loaded is None:
                    return []
            ctx = await self._context(session, *loaded)
            await self._dispatch(ctx, message)
            await ctx.persist()
        for hook in ctx.after_commit:
            await hook()
        return ctx.out.replies

    async def _context(self, session: AsyncSession, identity: Identity,
                       state: ConversationState | None) -> Ctx:
        ctx = Ctx(self, session, identity, Outbox())
        if state is not None:
            ctx._version = state.version
            if self.clock() - state.updated_at > self.config.idle_limit:
                if (state.flow, state.step) not in self.offers:  # an old offer just lapses
                    ctx.say("Your earlier unfinished conversation was left for over a day, so "
                            "I've cleared it. Nothing from it was submitted; you can start again "
                            "any time.")
                await conversations.clear_state(session, identity.id, state.version)
                ctx._version = None
            else:
                ctx.flow, ctx.step = state.flow, state.step
                ctx.data = copy.deepcopy(state.data)
        ctx._loaded = (ctx.flow, ctx.step, copy.deepcopy(ctx.data))
        return ctx

    async def _dispatch(self, ctx: Ctx, message: Incoming) -> None:
        keeps = self.offers.get((ctx.flow or "", ctx.step or ""))
        action = message.command if message.command is not None else (
            message.button.partition(":")[0] if message.button is not None else None)
        if keeps is not None and action is not None and action.lower() not in keeps:
            ctx.finish()
        if message.button is not None:
            prefix, _, arg = message.button.partition(":")
            handler, permission = self.buttons.get(prefix, (None, "menu"))
            if handler is None:
                ctx.say("That button has expired or isn't available any more. "
                        "Here's the menu to carry on from.")
                await self.commands["menu"](ctx, "")
            elif not allowed(ctx.role, permission):
                ctx.say(f"Sorry, that is only available to {_who_may(permission)}.")
            else:
                await handler(ctx, arg)
        elif message.command is not None:
            name = message.command.lower()
            handler = self.commands.get(name)
            if handler is None:
                ctx.say(f"I don't know the command /{name[:30]}. Type /help to see what I can do.")
            elif not allowed(ctx.role, name):
                ctx.say(f"Sorry, /{name} is only available to {_who_may(name)}.")
            else:
                await handler(ctx, message.args.strip())
        elif ctx.flow is not None:
            step = self.flows.get(ctx.flow, {}).get(ctx.step or "")
            if (message.text.strip().strip(".!").lower() in STOP_WORDS  # /cancel, said plainly
                    and ctx.flow not in self.reads_stop_words):
                await self.commands["cancel"](ctx, "")
            elif step is None:  # a flow or step removed by an upgrade
                ctx.finish()
                await self.commands["menu"](ctx, "")
            else:
                await step(ctx, message.text)
        elif self.text_handler is not None:
            await self.text_handler(ctx, message.text)


def _who_may(action: str) -> str:
    return "council officers" if allowed("officer", action) else "admins"
