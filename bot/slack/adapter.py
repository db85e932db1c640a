"""The Slack adapter for council officers, on slack-bolt (async).

It only translates: `/dips SUB args` becomes Incoming(command="dips", args="SUB args") (the core
checks the officer role once for the whole /dips surface), a button press becomes
Incoming(button=data), the note modal's submission becomes Incoming(command="stage", args=...),
and App Home shows the core's "dashboard" replies. Replies are rendered by bot/slack/render.py.

Every listener acknowledges first and works afterwards, so Slack always gets its answer within
3 seconds; when the work after the acknowledgement fails, the user is told. Events Slack retries
are taken at most once through the store (storage.updates.claim_update).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot import health
from bot.settings import Settings
from bot.slack.cases import register as register_cases
from bot.slack.forms import open_form
from bot.slack.forms import register as register_forms
from bot.slack.incoming import MAX_BODY, PLATFORM, malformed, speaker_of, starts
from bot.slack.render import (
    BUTTON_ACTION,
    NOTE_ACTION,
    NOTE_CALLBACK,
    fit,
    home_view,
    note_modal,
    render,
)
from handlers.domain.buttons import NOTE_BUTTONS, TELL
from handlers.kernel.core import Core
from handlers.kernel.messages import Incoming, Reply, Speaker
from handlers.kernel.text import t
from storage.updates import claim_update

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def event_key(event_id: str) -> int:
    """Slack's event ids are strings; processed_updates keys are 63-bit integers."""
    return int.from_bytes(hashlib.sha256(event_id.encode()).digest()[:8], "big") & (2**63 - 1)


def web_client(settings: Settings) -> AsyncWebClient:
    """A Web API client that retries dropped connections and 5xx answers (with back-off).

    Rate limits are left to the callers: the delivery worker re-queues instead of waiting.
    """
    return AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url,
                          retry_handlers=[AsyncConnectionErrorRetryHandler(max_retry_count=2),
                                          AsyncServerErrorRetryHandler(max_retry_count=2)])


class SlackAdapter:
    """The Bolt app, its listeners, and sending the core's replies back to Slack."""

    def __init__(self, core: Core, settings: Settings, *, process_before_response: bool = False,
                 client: AsyncWebClient | None = None) -> None:
        self.core = core
        self.settings = settings
        self.client = client or web_client(settings)
        self.app = AsyncApp(client=self.client, signing_secret=settings.slack_signing_secret or None,
                            process_before_response=process_before_response,
                            request_verification_enabled=bool(settings.slack_signing_secret))
        self.app.middleware(self._skip_retried_events)
        self.app.error(self._on_bolt_error)  # one short line, no traceback, 400 for bad shapes
        self.app.command("/dips")(self._on_command)
        self.app.action({"type": "block_actions", "action_id": starts(BUTTON_ACTION)})(self._on_button)
        self.app.action({"type": "block_actions", "action_id": starts(NOTE_ACTION)})(self._on_note_button)
        self.app.view(NOTE_CALLBACK)(self._on_note_submitted)
        self.app.event("app_home_opened")(self._on_home)
        register_cases(self)  # case threads and forms; other messages are ignored
        register_forms(self)  # the officers' tools: drafting, sending back, scoring
        self._tasks: set[asyncio.Task[Any]] = set()

    # ---- at most once ----

    async def _skip_retried_events(self, body: dict[str, Any], next: Callable[[], Awaitable[Any]]) -> Any:
        """An Events API delivery Slack already sent (a retry) is acknowledged and dropped."""
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id and body.get("type") == "event_callback":
            async with self.core.store.session() as session:
                fresh = await claim_update(session, PLATFORM, event_key(str(event_id)))
            if not fresh:
                log.info("skipping event %s: already taken", event_id)
                return BoltResponse(status=200, body="")
        return await next()

    async def _on_bolt_error(self, error: Exception) -> BoltResponse:
        """A request Bolt or a listener could not take: a body of the wrong shape is the
        sender's fault (400); anything else is ours (500, so Slack retries)."""
        malformed_body = isinstance(error, AttributeError | TypeError | KeyError | ValueError
                                    | IndexError | RecursionError)
        log.warning("Slack request failed: %s", type(error).__name__)
        return BoltResponse(status=400 if malformed_body else 500, body="")

    # ---- listeners: ack first, then work ----

    async def _on_command(self, ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        speaker = Speaker(PLATFORM, body["user_id"], chat_id=body.get("channel_id"),
                          display_name=body.get("user_name"))
        sub, _, rest = str(body.get("text", "")).strip().partition(" ")
        if sub.lower() in ("draft", "score", "workshop") \
                and (sub.lower() != "draft") == bool(rest.strip()) \
                and " " not in rest.strip() and await open_form(
                    self, self.client, str(body.get("trigger_id", "")), speaker,
                    body.get("channel_id"), sub.lower(), rest.strip()):
            return  # `/dips draft` and `/dips score ID` open their form
        await self._work(speaker, body.get("channel_id"), respond if body.get("response_url") else None,
                         Incoming(speaker, command="dips", args=body.get("text", "")))

    async def _on_button(self, ack: Any, body: dict[str, Any], action: dict[str, Any],
                         respond: Any) -> None:
        await ack()
        speaker, channel = speaker_of(body)
        await self._work(speaker, channel, respond if body.get("response_url") else None,
                         Incoming(speaker, button=str(action.get("value", ""))))

    async def _on_note_button(self, ack: Any, body: dict[str, Any], action: dict[str, Any],
                              client: AsyncWebClient, respond: Any) -> None:
        """Open the note modal (trigger ids expire in 3 s, so right after the ack)."""
        await ack()
        speaker, channel = speaker_of(body)
        data = str(action.get("value", ""))
        label = action.get("text", {}).get("text", "Change stage")
        metadata = {"c": channel, "u": speaker.user_id}
        try:
            if (data.partition(":")[0] not in NOTE_BUTTONS  # forged: not a note button at all
                    or not await self.core.may_press(speaker, data)):  # refused: no form
                raise PermissionError(data)
            await client.views_open(trigger_id=body["trigger_id"], view=note_modal(data, label, metadata))
        except PermissionError:
            await self._work(speaker, channel, respond if body.get("response_url") else None,
                             Incoming(speaker, button=data))
        except Exception:
            log.exception("could not open the note modal")
            # No modal: make the change without a note rather than losing the officer's press.
            await self._work(speaker, channel, respond if body.get("response_url") else None,
                             Incoming(speaker, button=data))

    async def _on_note_submitted(self, ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        await ack()  # closes the modal
        user = body.get("user", {})
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            meta = {}
        prefix, _, arg = str(meta.get("b", "")).partition(":")
        command = NOTE_BUTTONS.get(prefix)
        if command is None:
            return
        values = view.get("state", {}).get("values", {})
        note, message = ((values.get(block, {}).get(block, {}).get("value") or "").strip()
                         for block in ("note", "message"))
        channel = meta.get("c")
        speaker = Speaker(PLATFORM, user.get("id", ""), chat_id=None, display_name=user.get("username"))
        note = re.sub(re.escape(TELL), TELL.rstrip(":") + " :", note, flags=re.IGNORECASE)
        args = " ".join([*arg.split(":"), note, f"{TELL} {message}" if message else ""]).strip()
        await self._work(speaker, channel, None, Incoming(speaker, command=command, args=args))

    async def _on_home(self, ack: Any, event: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        if event.get("tab", "home") != "home":
            return
        user = event.get("user", "")
        replies = await self.core.handle(Incoming(Speaker(PLATFORM, user), command="dashboard"))
        try:
            await client.views_publish(user_id=user, view=home_view(replies))
        except Exception:
            log.exception("could not publish App Home for %s", user)

    # ---- sending ----

    async def _work(self, speaker: Speaker, channel: str | None, respond: Any, incoming: Incoming) -> None:
        """Run the core and send its replies; a failure is told to the user, never swallowed."""
        started = time.monotonic()
        try:
            replies = await self.core.handle(incoming)
            await self.send(replies, channel=channel, user=speaker.user_id, respond=respond)
            health.count_update(PLATFORM, False, started)
        except Exception:
            health.count_update(PLATFORM, True, started)
            log.exception("failed after acknowledging a Slack request from %s", speaker.user_id)
            await self._tell_failure(channel, speaker.user_id, respond)

    async def send(self, replies: list[Reply], *, channel: str | None, user: str,
                   respond: Any = None, thread_ts: str | None = None) -> None:
        """Messages through the response URL when there is one (works in any channel the
        command came from, bot invited or not), else as an ephemeral (in `thread_ts` when
        given) or direct message."""
        messages, files = render(replies)
        for message in messages:
            if respond is not None:
                await respond(text=message.text, blocks=message.blocks, response_type="ephemeral",
                              replace_original=False)
            elif channel:
                await self.client.chat_postEphemeral(channel=channel, user=user, text=message.text,
                                                     blocks=message.blocks, thread_ts=thread_ts or None)
            else:
                await self.client.chat_postMessage(channel=user, text=message.text,
                                                   blocks=message.blocks)
        for attachment in files:  # to the officer alone: an export holds SMEs' contact details
            try:
                await self.client.files_upload_v2(channel=await self._dm(user),
                                                  filename=attachment.filename,
                                                  title=attachment.filename,
                                                  content=attachment.content)
            except SlackApiError as exc:
                error = str(exc.response.get("error", "unknown error"))
                log.warning("could not send %s to %s: %s", attachment.filename, user, error)
                await self.send([Reply(t("slack.file_failed", name=attachment.filename, error=error))],
                                channel=channel, user=user, respond=respond, thread_ts=thread_ts)

    async def _dm(self, user: str) -> str:
        opened = await self.client.conversations_open(users=user)
        return str(opened["channel"]["id"])

    async def _tell_failure(self, channel: str | None, user: str, respond: Any) -> None:
        text = t("slack.failed_after_ack")
        try:
            if respond is not None:
                await respond(text=fit(text, 3000), response_type="ephemeral",
                              replace_original=False)
            elif channel:
                await self.client.chat_postEphemeral(channel=channel, user=user, text=text)
            else:
                await self.client.chat_postMessage(channel=user, text=text)
        except Exception:
            log.exception("could not tell %s about the failure either", user)

    # ---- HTTP mode ----

    def web_app(self) -> web.Application:
        """POST /slack/events (signature checked by Bolt: bad or stale requests get 401;
        malformed ones 400, with one short log line and no traceback)."""
        app = web.Application(client_max_size=MAX_BODY)

        async def events(request: web.Request) -> web.Response:
            try:
                body = await request.text()
            except web.HTTPException as exc:  # too large
                return web.Response(status=exc.status)
            except ValueError:  # not UTF-8
                body = None
            problem = "a body that is not UTF-8" if body is None else malformed(body, request.headers)
            if body is not None and problem is None:
                try:
                    bolt_request = AsyncBoltRequest(body=body, query=request.query_string,
                                                    headers=request.headers)  # type: ignore[arg-type]
                    return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))
                except Exception as exc:  # Bolt assumes a well-formed request throughout
                    problem = f"a request Bolt could not read ({type(exc).__name__})"
            log.warning("Slack request refused: %s", problem)
            return web.Response(status=400)

        app.router.add_post(EVENTS_PATH, events)  # health and metrics: bot/health.py
        return app



async def serve_slack(core: Core, settings: Settings, *, host: str = "0.0.0.0",
                      ready: asyncio.Event | None = None) -> None:
    """Serve Slack until cancelled: Socket Mode when an app token is set, else HTTP mode;
    the delivery worker (new-EOI notices, queued messages) runs alongside."""
    from bot.slack.worker import SlackWorker

    adapter = SlackAdapter(core, settings)
    worker = SlackWorker(core, settings, adapter.client)
    worker_task = asyncio.create_task(worker.run(), name="slack-worker")
    runner: web.AppRunner | None = None
    socket_handler: Any = None
    try:
        if settings.slack_app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            socket_handler = AsyncSocketModeHandler(adapter.app, settings.slack_app_token)
            await socket_handler.connect_async()
            log.warning("Slack: Socket Mode connected")
        else:
            runner = web.AppRunner(adapter.web_app(), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, host, settings.slack_port).start()
            log.warning("Slack: listening on %s:%d%s", host, settings.slack_port, EVENTS_PATH)
        if ready is not None:
            ready.set()
        await asyncio.Event().wait()  # until cancelled
    finally:
        worker.stop()
        worker_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await worker_task
        if socket_handler is not None:
            await socket_handler.close_async()
        if runner is not None:
            await runner.cleanup()
