"""A local fake of the Slack Web API over real HTTP (aiohttp), recording every call.

The app under test points `AsyncWebClient(base_url=fake.api_url)` here; response URLs and file
upload URLs it hands out point back at this server too. Helpers build signed requests the way
Slack signs them, for the app's POST /slack/events.

    fake = await FakeSlack().start()
    ... drive the app ...
    fake.calls_to("chat.postMessage")
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responses: list[dict[str, Any]] = []  # posts to response URLs
        self.uploads: dict[str, bytes] = {}  # file id -> bytes
        self.fail: dict[str, list[tuple[str, int, dict[str, str]]]] = {}  # method -> errors to give
        # channel -> the messages in it now (thread replies included, with their thread_ts),
        # as chat.postMessage / chat.update / chat.delete left them
        self.history: dict[str, list[dict[str, Any]]] = {}
        self._ts = itertools.count(1)
        self._files = itertools.count(1)
        self._news = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.sockets: list[web.WebSocketResponse] = []  # Socket Mode connections

    async def start(self, port: int = 0) -> FakeSlack:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/respond/{key}", self._respond)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for ws in self.sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, key: str = "r1") -> str:
        return f"{self.base}/respond/{key}"

    # ---- what tests read ----

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def texts(self) -> str:
        """Every text the app sent (messages, response URL posts, views), blocks included."""
        parts = [json.dumps(c.params, ensure_ascii=False) for c in self.calls]
        parts += [json.dumps(r, ensure_ascii=False) for r in self.responses]
        return "\n".join(parts)

    def history_text(self) -> str:
        """Everything still shown in every channel (messages and thread replies, blocks too)."""
        return "\n".join(json.dumps(m, ensure_ascii=False)
                         for messages in self.history.values() for m in messages)

    def _find(self, params: dict[str, Any]) -> dict[str, Any] | None:
        for message in self.history.get(str(params.get("channel")), []):
            if message["ts"] == params.get("ts"):
                return message
        return None

    def files(self) -> list[tuple[str, bytes, str]]:
        """(title, content, channel) of every completed upload."""
        out = []
        for params in self.calls_to("files.completeUploadExternal"):
            for f in json.loads(params["files"]) if isinstance(params["files"], str) else params["files"]:
                out.append((f.get("title", ""), self.uploads.get(f["id"], b""), params.get("channel_id", "")))
        return out

    async def wait_for(self, check: Any, timeout: float = 10.0) -> Any:
        """Wait until `check()` returns something truthy; return it."""
        deadline = time.monotonic() + timeout
        async with self._news:
            while not (result := check()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out; calls: {[c.method for c in self.calls]}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._news.wait(), left)
            return result

    async def _notify(self) -> None:
        async with self._news:
            self._news.notify_all()

    # ---- the server ----

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        body = await request.read()
        if body:
            if request.content_type == "application/json":
                params.update(json.loads(body))
            else:
                params.update(dict(urllib.parse.parse_qsl(body.decode())))
        for key in ("blocks", "view"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append(Call(method, params))
        await self._notify()
        if self.fail.get(method):
            error, status, headers = self.fail[method].pop(0)
            return web.json_response({"ok": False, "error": error}, status=status, headers=headers)
        return web.json_response(self._result(method, params))

    def _result(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        if method == "auth.test":
            return {"ok": True, "url": "https://test.slack.com/", "team": "Test", "user": "dips",
                    "team_id": "T0TEST", "user_id": "UBOT", "bot_id": "BBOT"}
        if method == "chat.postMessage":
            self.history.setdefault(str(params.get("channel")), []).append(
                {"ts": ts, "thread_ts": params.get("thread_ts"), "text": params.get("text"),
                 "blocks": params.get("blocks")})
            return {"ok": True, "channel": params.get("channel"), "ts": ts,
                    "message": {"text": params.get("text"), "ts": ts}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method in ("chat.update", "chat.delete"):
            message = self._find(params)
            if message is None:
                return {"ok": False, "error": "message_not_found"}
            if method == "chat.delete":
                self.history[str(params.get("channel"))].remove(message)
                return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
            message.update(text=params.get("text"), blocks=params.get("blocks"))
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            return {"ok": True, "view": {"id": "V0TEST", **(params.get("view") or {})}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", "X")).split(",")[0]}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._files):06d}"
            return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = params.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "apps.connections.open":  # Socket Mode: the app connects back here
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}
        if method == "files.upload":
            file_id = f"F{next(self._files):06d}"
            return {"ok": True, "file": {"id": file_id, "title": params.get("title")}}
        return {"ok": True}

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """A Socket Mode connection: says hello, as Slack does, then keeps it open."""
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        self.sockets.append(ws)
        await self._notify()
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "debug_info": {"host": "fake"}, "connection_info": {"app_id": "A0TEST"}})
        async for _ in ws:  # acknowledgements; nothing to do with them
            pass
        return ws

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        self.uploads[request.match_info["file_id"]] = data
        await self._notify()
        return web.Response(text="OK - " + str(len(data)))

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.responses.append({"key": request.match_info["key"], **body})
        await self._notify()
        return web.Response(text="ok")


# ---- signed requests, as Slack sends them ----

def signed_headers(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None,
                   content_type: str = "application/x-www-form-urlencoded",
                   **extra: str) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"content-type": content_type, "x-slack-request-timestamp": ts,
            "x-slack-signature": signature, **extra}


def command_body(text: str, user: str = "UOFFICER", channel: str = "COFF", response_url: str = "",
                 command: str = "/dips") -> str:
    return urllib.parse.urlencode({
        "token": "legacy", "team_id": "T0TEST", "team_domain": "test", "channel_id": channel,
        "channel_name": "officers", "user_id": user, "user_name": user.lower(), "command": command,
        "text": text, "api_app_id": "A0TEST", "response_url": response_url,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    })


def action_body(value: str, action_id: str = "dips_btn_0", user: str = "UOFFICER",
                channel: str = "COFF", response_url: str = "", label: str = "Button") -> str:
    payload = {
        "type": "block_actions", "team": {"id": "T0TEST", "domain": "test"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEST"},
        "api_app_id": "A0TEST", "token": "legacy", "trigger_id": "trigger-1",
        "container": {"type": "message", "message_ts": "1.1", "channel_id": channel},
        "channel": {"id": channel, "name": "officers"},
        "response_url": response_url or None,
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                     "text": {"type": "plain_text", "text": label}, "action_ts": "1.2"}],
    }
    if not response_url:
        payload.pop("response_url")
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def view_submission_body(private_metadata: str, note: str, user: str = "UOFFICER",
                         callback_id: str = "dips_note", message: str | None = None) -> str:
    values: dict[str, Any] = {"note": {"note": {"type": "plain_text_input", "value": note}}}
    if message is not None:
        values["message"] = {"message": {"type": "plain_text_input", "value": message}}
    payload = {
        "type": "view_submission", "team": {"id": "T0TEST", "domain": "test"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEST"},
        "api_app_id": "A0TEST", "token": "legacy", "trigger_id": "trigger-2",
        "view": {"id": "V0TEST", "type": "modal", "callback_id": callback_id,
                 "private_metadata": private_metadata, "team_id": "T0TEST", "app_id": "A0TEST",
                 "state": {"values": values},
                 "hash": "h", "blocks": []},
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def event_body(event: dict[str, Any], event_id: str = "Ev0001") -> str:
    return json.dumps({"token": "legacy", "team_id": "T0TEST", "api_app_id": "A0TEST",
                       "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
                       "event": event, "authorizations": [{"team_id": "T0TEST", "user_id": "UBOT",
                                                           "is_bot": True}]})
