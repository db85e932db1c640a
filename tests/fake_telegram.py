"""A local fake of the Telegram Bot API over real HTTP (aiohttp), for tests and the benchmark.

The bot under test points `base_url` at `fake.api_url`; python-telegram-bot then does its real
networking and JSON against this server. Tests push updates (served by getUpdates long polling
with offsets, as Telegram does) and read back every call the bot made.

    fake = FakeTelegram(); await fake.start()
    fake.push(fake.command(42, "/start"))
    await fake.wait_for_text(42, "Welcome")
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token"
BOT = {"id": 123456, "is_bot": True, "first_name": "DIPS Assistant", "username": "dips_test_bot",
       "can_join_groups": False, "can_read_all_group_messages": False,
       "supports_inline_queries": False}
# Values PTB sends as plain strings; every other form field is JSON-encoded.
_STRINGS = {"text", "caption", "parse_mode", "callback_query_id", "url", "secret_token",
            "language_code"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    ok: bool = True  # False when the fake refused it (403, 429)
    at: float = field(default_factory=time.monotonic)


class FakeTelegram:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.blocked: set[int] = set()
        self.rate_limits: dict[int, list[int]] = {}  # chat -> retry_after for the next sends
        self._pending: list[dict[str, Any]] = []
        self._news = asyncio.Condition()
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._query_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        # Opt-in flood control like Telegram's (see limit_rate); off unless a test turns it on.
        self.rate: float | None = None
        self.per_chat_interval: float | None = None
        self.too_many = 0  # 429 answers given, scripted or from the limits
        self._window: collections.deque[float] = collections.deque()
        self._chat_last: dict[int, float] = {}
        self._limit_retry = 1
        self.errors: dict[int, list[tuple[int, str, dict[str, Any] | None]]] = {}
        self.languages: dict[int, str] = {}  # a user's Telegram language_code ("en" unless set)

    # ---- lifecycle ----

    async def start(self, port: int = 0) -> FakeTelegram:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        async with self._news:
            self._news.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # ---- what tests do ----

    def block(self, chat_id: int) -> None:
        """Every later send to this chat answers 403, as when the user blocked the bot."""
        self.blocked.add(chat_id)

    def rate_limit(self, chat_id: int, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` sends to this chat answer 429 with `retry_after`."""
        self.rate_limits.setdefault(chat_id, []).extend([retry_after] * times)

    def fail(self, chat_id: int, code: int, description: str, times: int = 1,
             parameters: dict[str, Any] | None = None) -> None:
        """The next `times` sends to this chat answer this error (400, 502, a migration...)."""
        self.errors.setdefault(chat_id, []).extend([(code, description, parameters)] * times)

    def limit_rate(self, per_second: float | None, per_chat_interval: float | None = None,
                   retry_after: int = 1) -> None:
        """Answer 429 to a send beyond `per_second` in any one-second window, or sooner than
        `per_chat_interval` after the last accepted send to the same chat."""
        self.rate, self.per_chat_interval, self._limit_retry = per_second, per_chat_interval, retry_after

    def delivered_counts(self) -> collections.Counter[int]:
        """Accepted sendMessage calls per chat: more than 1 for a chat means a duplicate."""
        return collections.Counter(int(c.params["chat_id"]) for c in self.calls
                                   if c.ok and c.method == "sendMessage")

    def _over_limit(self, chat_id: int) -> bool:
        now = time.monotonic()
        if self.per_chat_interval is not None:
            last = self._chat_last.get(chat_id)
            if last is not None and now - last < self.per_chat_interval:
                return True
        if self.rate is not None:
            while self._window and self._window[0] <= now - 1.0:
                self._window.popleft()
            if len(self._window) >= self.rate:
                return True
            self._window.append(now)
        self._chat_last[chat_id] = now
        return False

    def push(self, *updates: dict[str, Any]) -> None:
        """Queue updates for getUpdates; pushed together, they are delivered in one batch."""
        self._pending.extend(updates)
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._news:
            self._news.notify_all()

    def next_update_id(self) -> int:
        return next(self._ids)

    def user(self, user_id: int, name: str = "Sam") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": name, "last_name": "Smith",
                "language_code": self.languages.get(user_id, "en")}

    def message(self, user_id: int, text: str, update_id: int | None = None) -> dict[str, Any]:
        """A private-chat text message; a leading /command gets its bot_command entity."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Sam"},
            "from": self.user(user_id), "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(" ", 1)[0].split("\n", 1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": update_id or self.next_update_id(), "message": message}

    command = message

    def callback(self, user_id: int, data: str, update_id: int | None = None) -> dict[str, Any]:
        """A press on an inline button of an earlier bot message."""
        return {"update_id": update_id or self.next_update_id(), "callback_query": {
            "id": str(next(self._query_ids)), "from": self.user(user_id),
            "chat_instance": f"ci{user_id}", "data": data,
            "message": {"message_id": next(self._message_ids), "date": int(time.time()),
                        "chat": {"id": user_id, "type": "private"}, "from": BOT,
                        "text": "(an earlier message)"},
        }}

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.calls if c.method == method
                and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)]

    def texts(self, chat_id: int | None = None) -> list[str]:
        """Texts of the messages that reached the chat (refused sends left out)."""
        return [c.params["text"] for c in self.sent(chat_id) if c.ok]

    def last_keyboard(self, chat_id: int) -> list[list[dict[str, Any]]]:
        for call in reversed(self.sent(chat_id)):
            markup = call.params.get("reply_markup")
            if markup:
                return markup["inline_keyboard"]
        return []

    def button(self, chat_id: int, label: str) -> str:
        """The callback data of the newest button whose label contains `label` (under a
        message or a file)."""
        calls = [c for c in self.calls if c.method in ("sendMessage", "sendDocument")]
        for call in reversed([c for c in calls if int(c.params.get("chat_id", 0)) == chat_id]):
            for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []):
                for b in row:
                    if label.lower() in b["text"].lower():
                        return b["callback_data"]
        raise AssertionError(f"no button {label!r} sent to {chat_id}")

    async def wait_for_text(self, chat_id: int, needle: str, since: int = 0,
                            timeout: float = 10.0) -> str:
        """The first sendMessage text to `chat_id` (from call index `since`) containing `needle`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for call in self.calls[since:]:
                if (call.ok and call.method == "sendMessage" and int(call.params.get("chat_id", 0)) == chat_id
                        and needle in call.params.get("text", "")):
                    return call.params["text"]
            await asyncio.sleep(0.01)
        raise AssertionError(f"no message with {needle!r} to {chat_id}; got {self.texts(chat_id)}")

    # ---- the API ----

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params)
        if method != "getUpdates":
            self.calls.append(call)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        chat_id = params.get("chat_id")
        if method.startswith("send") and isinstance(chat_id, int):
            if chat_id in self.blocked:
                call.ok = False
                return _error(403, "Forbidden: bot was blocked by the user")
            scripted = self.errors.get(chat_id)
            if scripted:
                code, description, parameters = scripted.pop(0)
                call.ok = False
                return _error(code, description, parameters)
            waits = self.rate_limits.get(chat_id)
            if waits:
                wait = waits.pop(0)
                call.ok = False
                self.too_many += 1
                return _error(429, f"Too Many Requests: retry after {wait}",
                              {"retry_after": wait})
            if (self.rate is not None or self.per_chat_interval is not None) \
                    and self._over_limit(chat_id):
                call.ok = False
                self.too_many += 1
                return _error(429, f"Too Many Requests: retry after {self._limit_retry}",
                              {"retry_after": self._limit_retry})
        return web.json_response({"ok": True, "result": await handler(params)})

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return BOT

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        # An offset confirms every earlier update, as on Telegram: they are never sent again.
        self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if not self._pending and timeout > 0:
            async with self._news:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._news.wait(), timeout)
        # Not dropped here: a poll abandoned by a stopped bot may wake late, with an old offset.
        return [u for u in self._pending if u["update_id"] >= offset][:limit]

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        return self._bot_message(params, text=params.get("text", ""))

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        return self._bot_message(params, text=params.get("text", ""),
                                 message_id=params.get("message_id"))

    async def _m_sendDocument(self, params: dict[str, Any]) -> Any:
        document = params.get("document")
        name = getattr(document, "filename", "file")
        return self._bot_message(params, document={"file_id": f"doc{len(self.calls)}",
                                                   "file_unique_id": f"u{len(self.calls)}",
                                                   "file_name": name})

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_deleteMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_close(self, params: dict[str, Any]) -> Any:
        return True

    def _bot_message(self, params: dict[str, Any], message_id: Any = None, **extra: Any) -> Any:
        chat_id = params.get("chat_id")
        return {"message_id": message_id or next(self._message_ids), "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"}, "from": BOT, **extra}


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    # Telegram answers errors with the HTTP status of the error code, as here.
    return web.json_response(body, status=code)


async def _params(request: web.Request) -> dict[str, Any]:
    """Form fields (urlencoded or multipart) or a JSON body, with JSON-encoded values decoded."""
    if request.content_type == "application/json":
        return dict(await request.json())
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = _Upload(value.filename, value.file.read())
        elif key in _STRINGS:
            params[key] = value
        else:
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
    params.update(request.query)
    return params


@dataclass
class _Upload:
    filename: str
    content: bytes
