"""Telegram's HTTP transport on aiohttp, for the adapter's application and the worker's Bot."""

from __future__ import annotations

import urllib.request
from typing import Any

import aiohttp
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import NetworkError, TimedOut
from telegram.ext import Defaults, ExtBot
from telegram.request import BaseRequest, RequestData

from bot.settings import Settings


class AiohttpRequest(BaseRequest):
    """PTB's HTTP transport on aiohttp instead of its default httpx.

    Same Bot API protocol (form fields, multipart for files; PTB maps status codes to errors),
    measured at well under half the CPU per call, which is most of the adapter's own cost.
    """

    def __init__(self, pool_size: int = 256, read_timeout: float = 5.0,
                 connect_timeout: float = 5.0, media_timeout: float = 20.0) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._media_timeout = media_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}  # by URL, read from the environment once

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._proxies.clear()
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT})

    def _proxy(self, url: str) -> str | None:
        """HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as a council network may require, decided once
        per URL: aiohttp's trust_env re-reads the environment and ~/.netrc on every call, which
        was ~4% of the delivery worker's time (py-spy, bench_reminders.py)."""
        if url not in self._proxies:
            scheme, _, rest = url.partition("://")
            bypass = urllib.request.proxy_bypass(rest.split("/", 1)[0])
            self._proxies[url] = None if bypass else urllib.request.getproxies().get(scheme)
        return self._proxies[url]

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE,
                         write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE,
                         ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        data: Any = None
        read = _given(read_timeout, self._read_timeout)
        if request_data is not None and request_data.contains_files:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mime) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            data = form
            read = max(read or 0.0, _given(write_timeout, self._media_timeout) or 0.0) or None
        elif request_data is not None:
            data = request_data.json_parameters  # sent form-encoded, as PTB's own transport does
        # aiohttp's `connect` covers waiting for a pooled connection as well as opening one.
        connect = sum(t for t in (_given(connect_timeout, self._connect_timeout),
                                  _given(pool_timeout, 1.0)) if t) or None
        try:
            async with self._session.request(
                method, url, data=data, proxy=self._proxy(url),
                timeout=aiohttp.ClientTimeout(connect=connect, sock_read=read),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # the request may have reached Telegram: PTB's TimedOut
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _given(value: Any, default: float | None) -> float | None:
    """PTB passes its DEFAULT_NONE sentinel for "not given"; anything else was chosen."""
    return default if type(value) is type(BaseRequest.DEFAULT_NONE) else value


# How every message is sent, set once for the adapter's application and the workers' bots:
# the renderers produce HTML, and challenge links would bury the text under their previews.
DEFAULTS = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))


def telegram_bot(token: str, base_url: str, pool: int = 64) -> ExtBot[None]:
    """A bot with the message defaults, on the aiohttp transport (cheaper per call than httpx),
    with a connection pool as wide as the sends a worker keeps in flight."""
    return ExtBot(token, base_url=base_url, request=AiohttpRequest(pool_size=pool), defaults=DEFAULTS)


def make_bot(settings: Settings, pool: int = 64) -> ExtBot[None]:
    return telegram_bot(settings.telegram_token, settings.telegram_api_url, pool)
