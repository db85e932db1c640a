"""The conversation core: one neutral message in, neutral replies out.

Each message is handled in one database transaction: the identity, its conversation state and
whatever the step writes are committed together or not at all. Conversation state lives in the
store (versioned), so a restart or a second replica carries on where the user left off.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from content.locale import ENGLISH, supported
from handlers.kernel import callbacks
from handlers.kernel.callbacks import CANCEL_ROW, Dismiss, FlowChoice, Held, Resume
from handlers.kernel.context import Ctx
from handlers.kernel.flows import Invalid, Step
from handlers.kernel.guard import COMMAND, REQUEST, odd_answer, wanted_command
from handlers.kernel.messages import Incoming, Outbox, Reply, Speaker
from handlers.kernel.roles import allowed, who_may
from handlers.kernel.router import TOP, Registry, Router
from handlers.kernel.text import speaking, t
from handlers.kernel.validation import clean
from storage import conversations, people
from storage.models import ConversationState, Identity
from storage.store import Store

log = logging.getLogger(__name__)

IDLE_LIMIT = timedelta(days=1)
STOP_WORDS = ("cancel", "stop", "quit", "exit")
NAME_MAX = 100  # characters of a display name kept
ASIDE_MAX = 120  # a short typed line ending in "?" is a question; a long one may be an answer
UNAVAILABLE = t("kernel.unavailable")  # in English, for adapters failing before the core
FAILED = t("kernel.failed")


@dataclass(frozen=True)
class CoreConfig:
    council_contact_url: str = "https://www.birmingham.gov.uk/contact"
    team_contact: str = "the DIPS team"
    idle_limit: timedelta = IDLE_LIMIT
    undo_window: timedelta = timedelta(minutes=15)  # an officer's stage move (DIPS_UNDO_MINUTES)
    retention_days: int = 730  # DIPS_RETENTION_DAYS, as the privacy notice states it
    digest_day: int = 0  # DIPS_DIGEST_DAY (0 Monday), named when an SME chooses the digest
    timezone: str = "Europe/London"  # DIPS_TIMEZONE and DIPS_CLOSING_TIME: which deadline
    closing_time: time = time(17, 0)  # reminders a follower can still get


def cleaned(speaker: Speaker) -> Speaker:
    """Platform-supplied names are cleaned like typed text: no NUL, lone surrogate or
    right-to-left override reaches the store or an officer's "From:" line."""
    name = clean(speaker.display_name)[:NAME_MAX] if speaker.display_name else None
    return Speaker(speaker.platform, speaker.user_id, speaker.chat_id, name or None)


# What a driver says when the connection itself went (asyncpg's errors arrive as a plain DBAPIError).
_LOST_WORDS = ("connection was closed", "connection is closed", "connection reset",
               "terminating connection", "server closed the connection", "broken pipe")
_LOST_NAMES = {"ConnectionDoesNotExistError", "ConnectionFailureError", "CannotConnectNowError",
               "AdminShutdownError", "InterfaceError", "InternalClientError"}


def connection_lost(exc: BaseException) -> bool:
    """Whether an error means the connection went (reset, closed mid-operation, timed out):
    transient, so the message is retried once on a fresh connection, then "temporarily
    unavailable"; anything else is a real fault."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OperationalError | InterfaceError | OSError | ConnectionError
                      | TimeoutError) or getattr(current, "connection_invalidated", False):
            return True
        if type(current).__name__ in _LOST_NAMES or any(
                words in str(current).lower() for words in _LOST_WORDS):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
    return False


class Core:
    """Routes each message to a command, a button, the current flow step, or free-text help,
    through one checked path: the roles table is consulted for every action that runs."""

    def __init__(self, store: Store, config: CoreConfig | None = None,
                 answerer: Any = None, index: Any = None,
                 clock: Callable[[], datetime] | None = None,
                 routers: Sequence[Router] = ()) -> None:
        self.store = store
        self.config = config or CoreConfig()
        self.answerer = answerer  # handlers.engines.faq.answerer.Answerer, or None where not loaded
        self.index = index  # handlers.engines.matching.catalogue.CatalogueIndex, or None
        self.clock = clock or (lambda: datetime.now(UTC))
        self.registry = Registry([KERNEL, *routers])

    def today(self) -> date:
        return self.clock().date()

    async def handle(self, message: Incoming) -> list[Reply]:
        """Handle one message; never raises: failures become a friendly reply.

        Every message gets at least one reply, except a repeat of an `update_id` already
        handled (by any process), which gets none. A failure is told in the language the
        platform gave for the user (their stored one may not have been read).
        """
        with speaking(supported(message.language)):
            return await self._handle(message)

    async def _handle(self, message: Incoming) -> list[Reply]:
        for attempt in range(3):
            try:
                return await self._handle_once(message)
            except PoolTimeout:  # every connection busy for the pool's whole wait: say so
                log.warning("store busy: no connection free within the pool timeout")
                return [Reply(t("kernel.unavailable"))]
            except (StaleDataError, IntegrityError) as exc:
                # Another replica moved this user's conversation on: replay on fresh state.
                log.info("concurrent update for %s, retrying (%s)", message.speaker, type(exc).__name__)
                if attempt == 2:
                    break
            except (DBAPIError, OSError, ConnectionError, TimeoutError) as exc:
                if not connection_lost(exc):
                    log.exception("database error while handling a message")
                    break
                if attempt == 0:  # a pooled connection dropped: the retry takes a fresh one
                    continue
                log.warning("store unavailable: %s", exc.__class__.__name__)
                return [Reply(t("kernel.unavailable"))]
            except Exception:
                log.exception("error while handling a message from %s", message.speaker)
                break
        return [Reply(t("kernel.failed"))]

    async def _handle_once(self, message: Incoming) -> list[Reply]:
        speaker = cleaned(message.speaker)
        async with self.store.session() as session:
            if message.update_id is None:
                loaded = await people.ensure_identity_with_state(
                    session, speaker.platform, speaker.user_id, speaker.chat_id,
                    speaker.display_name)
            else:  # the claim commits with the effects: an update is taken once, never lost
                claimed = await people.claim_with_identity(
                    session, speaker.platform, message.update_id, speaker.user_id,
                    speaker.chat_id, speaker.display_name)
                if claimed is None:  # another process took this update
                    return []
                loaded = claimed
            identity = loaded[0]
            if identity.language is None and message.language:  # first contact: theirs, if offered
                identity.language = supported(message.language) or ENGLISH
            # Officers' Slack stays English whatever they chose elsewhere.
            with speaking(ENGLISH if speaker.platform == "slack" else identity.language):
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
            ctx.version = state.version
            if self.clock() - state.updated_at > self.config.idle_limit:
                if not self._offer(state.flow, state.step):  # an old offer just lapses
                    ctx.say(t("kernel.idle_cleared"))
                await conversations.clear_state(session, identity.id, state.version)
                ctx.version = None
            else:
                ctx.flow, ctx.step = state.flow, state.step
                ctx.data = copy.deepcopy(state.data)
        ctx.loaded = (ctx.flow, ctx.step, copy.deepcopy(ctx.data))
        return ctx

    def _offer(self, flow: str | None, step: str | None) -> Step | None:
        found = self.registry.flows.get(flow or "")
        current = found.step(step) if found else None
        return current if current is not None and current.offer else None

    async def _dispatch(self, ctx: Ctx, message: Incoming) -> None:
        try:
            await self._route(ctx, message)
        except Invalid as refused:  # a handler stopped before writing anything: say why
            ctx.say(refused.text, *refused.rows)

    async def _route(self, ctx: Ctx, message: Incoming) -> None:
        offer = self._offer(ctx.flow, ctx.step)
        action = message.command if message.command is not None else (
            message.button.partition(":")[0] if message.button is not None else None)
        if offer is not None and action is not None and action.lower() not in offer.keeps:
            ctx.finish()  # the user moved on: the offer lapses rather than block them
        if message.button is not None:
            await self.press(ctx, message.button)
        elif message.command is not None:
            await self.run_command(ctx, message.command.lower(), message.args.strip())
        elif ctx.flow is not None:
            await self.answer_step(ctx, message.text)
        elif self.registry.text is not None:
            await self.registry.text(ctx, message.text)

    async def may_press(self, speaker: Speaker, data: str) -> bool:
        """Whether `speaker` may press a button with this data, for an adapter deciding to
        open a form first (a Slack modal); the press itself is checked again when it comes."""
        pressed = callbacks.parse(data)
        route = self.registry.buttons.get(pressed.prefix) if pressed is not None else None
        if route is None:
            return False
        async with self.store.session() as session:
            identity = await people.get_identity(session, speaker.platform, speaker.user_id)
            return identity is not None and allowed(identity.role, route.action)

    # ---- the one checked path ----

    @staticmethod
    def permitted(ctx: Ctx, action: str, spelled: str = "") -> bool:
        """Whether the user's role (read from the store with this message) may perform
        `action`; if not, say so (naming it as `spelled`, e.g. "/dips eois", or "that")."""
        if allowed(ctx.role, action):
            return True
        ctx.say(t("kernel.refused", what=spelled or t("kernel.that"), who=who_may(action)))
        return False

    async def run_command(self, ctx: Ctx, name: str, args: str, namespace: str = TOP) -> None:
        command = self.registry.command(name, namespace)
        if command is None:
            if namespace:  # "/dips nonsense": say so, then list what there is
                ctx.say(t("kernel.unknown_subcommand", command=f"{namespace} {name[:30]}"))
                await self.run_command(ctx, "help", "", namespace)
            else:
                ctx.say(t("kernel.unknown_command", command=name[:30]))
            return
        if self.permitted(ctx, command.action, command.spelled):
            before = (ctx.flow, ctx.step)
            await command.handler(ctx, args)
            if command.aside and before[0] is not None and (ctx.flow, ctx.step) == before:
                await ctx.ask()  # still in the form: its question again, so the next line fits

    async def press(self, ctx: Ctx, data: str) -> None:
        pressed = callbacks.parse(data)
        route = self.registry.buttons.get(pressed.prefix) if pressed is not None else None
        if route is None:  # unknown, malformed, forged or from an older version
            ctx.say(t("kernel.button_expired"))
            await self.run_command(ctx, "menu", "")
        elif self.permitted(ctx, route.action):
            await route.handler(ctx, pressed)

    def describe(self, ctx: Ctx) -> str:
        """The open form in words ("your expression of interest in “Food hubs”")."""
        flow = self.registry.flows.get(ctx.flow or "")
        return t(flow.title, **ctx.data) if flow is not None and flow.title else t("kernel.a_form")

    async def answer_step(self, ctx: Ctx, text: str, pressed: bool = False,
                          confirmed: bool = False) -> None:
        """Hand typed text (or a pressed choice's value) to the current step of the flow;
        `confirmed` is a held line the user said was their answer after all."""
        flow = self.registry.flows.get(ctx.flow or "")
        step = flow.step(ctx.step) if flow is not None else None
        if flow is None or step is None:  # a flow or step removed by an upgrade
            ctx.finish()
            await self.run_command(ctx, "menu", "")
            return
        if not self.permitted(ctx, flow.action):  # e.g. a role revoked mid-flow
            ctx.finish()
            return
        ctx.pressed = pressed
        ctx.data.pop("_held", None)  # a line held earlier: this one is what counts now
        if not (pressed or confirmed) and await self._not_an_answer(ctx, flow.reads_stop_words,
                                                                    step, text):
            return
        try:
            await step.read(ctx, text)
        except Invalid as problem:  # asked again after this, so offer the way out
            ctx.say(problem.text, *(problem.rows or ((CANCEL_ROW,) if ctx.flow else ())))

    async def _not_an_answer(self, ctx: Ctx, reads_stop_words: bool, step: Step,
                             text: str) -> bool:
        """A typed line that is dealt with as something other than the step's answer: a stop
        word, a short question (answered, never stored), or a line held to be confirmed."""
        said = clean(text)
        if said.strip(".!").lower() in STOP_WORDS and not reads_stop_words:
            await self.run_command(ctx, "cancel", "")
            return True
        if (step.asides and self.registry.aside is not None and said.endswith("?")
                and len(said) <= ASIDE_MAX):
            await self.registry.aside(ctx, said)  # answered where it can be; never stored
            ctx.say(t("kernel.aside_retype"))
            await ctx.ask()
            return True
        if step.guard and (kind := odd_answer(said)) is not None:
            self._hold(ctx, text, kind)  # never swallowed: confirmed before it is stored
            return True
        return False

    def _hold(self, ctx: Ctx, text: str, kind: str) -> None:
        ctx.data["_held"] = {"step": ctx.step, "text": text[:4000], "kind": kind}
        step = ctx.step or ""
        ctx.say(t(f"kernel.hold.{kind}", text=clean(text)[:200], form=self.describe(ctx)),
                [(t("kernel.hold.use"), Held(step, "use"))],
                [(t("kernel.hold.leave"), Held(step, "leave")), (t("button.carry_on"), Resume())])


# ---- what the kernel answers itself: a choice in a flow, "carry on", a held line ----

KERNEL = Router("kernel")


@KERNEL.button(FlowChoice, action="resume")  # the flow's own action is checked on the step
async def flow_choice(ctx: Ctx, choice: FlowChoice) -> None:
    if ctx.flow is None or ctx.step != choice.step:
        ctx.say(t("kernel.button_stale"))
        if ctx.flow is None:
            await ctx.run("menu")
        else:
            await ctx.ask()
        return
    await ctx.core.answer_step(ctx, choice.value, pressed=True)


@KERNEL.button(Resume, action="resume")
async def resume(ctx: Ctx, _: Resume) -> None:
    if ctx.flow is None:
        await ctx.run("menu")
    else:
        await ctx.ask()


@KERNEL.button(Dismiss, action="dismiss")  # anyone shown a preview may drop it
async def dismiss(ctx: Ctx, _: Dismiss) -> None:
    ctx.say(t("kernel.dismissed"))


@KERNEL.button(Held, action="resume")  # the flow's own action is checked on the step
async def held(ctx: Ctx, pressed: Held) -> None:
    line = ctx.data.get("_held")
    if ctx.flow is None or not isinstance(line, dict) or pressed.step != ctx.step \
            or line.get("step") != ctx.step:
        await flow_choice(ctx, FlowChoice("", ""))  # stale: say so, then where they are
        return
    if pressed.answer == "use":
        await ctx.core.answer_step(ctx, str(line["text"]), confirmed=True)
        return
    form = ctx.core.describe(ctx)
    ctx.finish()
    ctx.say(t("kernel.hold.left", form=form))
    text = str(line["text"])
    name = wanted_command(text) if line.get("kind") in (COMMAND, REQUEST) else None
    if name and ctx.core.registry.command(name) is not None:
        await ctx.run(name)
    elif ctx.core.registry.text is not None:
        await ctx.core.registry.text(ctx, text)
