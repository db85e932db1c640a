"""Health and metrics for every serving mode: one small HTTP server on DIPS_HEALTH_PORT.

- GET /healthz: liveness, 200 while the process serves (no store access: a slow database must
  not get a healthy process restarted).
- GET /readyz: readiness, 200 when the store answers a cheap query, 503 while it doesn't.
- GET /metrics: Prometheus text. Counters are this process's (updates handled and failed,
  deliveries sent and failed, the reply latency histogram); the queue's pending count and the
  age of its oldest due row are read from the store at scrape time, so every replica reports
  the same figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy.engine import make_url

from bot.settings import Settings
from storage.deliveries import queue_summary
from storage.store import Store

log = logging.getLogger("dips")

REGISTRY = CollectorRegistry()  # ours alone: tests and several servers in one process share it
UPDATES_HANDLED = Counter("dips_updates_handled", "Updates (messages, commands, button presses, "
                          "requests) answered", ["platform"], registry=REGISTRY)
UPDATES_FAILED = Counter("dips_updates_failed", "Updates that ended in an error (the user was told)",
                         ["platform"], registry=REGISTRY)
REPLY_SECONDS = Histogram("dips_reply_seconds", "Time from an update's arrival to its replies sent",
                          ["platform"], registry=REGISTRY,
                          buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30))
DELIVERIES_SENT = Counter("dips_deliveries_sent", "Queued messages sent by this process's workers",
                          ["platform"], registry=REGISTRY)
DELIVERIES_FAILED = Counter("dips_deliveries_failed", "Queued messages given up by this process's "
                            "workers", ["platform"], registry=REGISTRY)
PENDING = Gauge("dips_deliveries_pending", "Queued messages not yet sent or given up (from the "
                "store)", ["platform"], registry=REGISTRY)
OLDEST = Gauge("dips_delivery_oldest_pending_seconds", "How long the oldest due, unsent message "
               "has waited (from the store; 0 when none)", ["platform"], registry=REGISTRY)
READY_TIMEOUT = 3.0  # seconds a readiness or metrics query may take before the store counts as down
PLATFORMS = ("telegram", "slack", "console")


def count_update(platform: str, failed: bool, started: float) -> None:
    """One update answered (or failed), `started` by time.monotonic() when it arrived."""
    (UPDATES_FAILED if failed else UPDATES_HANDLED).labels(platform).inc()
    REPLY_SECONDS.labels(platform).observe(time.monotonic() - started)


def count_delivery(platform: str, sent: bool) -> None:
    (DELIVERIES_SENT if sent else DELIVERIES_FAILED).labels(platform).inc()


def masked_url(url: str) -> str:
    """The store's URL for a log line: the password never appears."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: say only its scheme
        return url.split("://", 1)[0] + "://..."


class HealthServer:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._runner: web.AppRunner | None = None
        self.port = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._live)
        app.router.add_get("/readyz", self._ready)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self, host: str, port: int) -> int:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server  # the port actually bound (0 asks for any free one)
        self.port = server.sockets[0].getsockname()[1] if server is not None else port  # type: ignore[attr-defined]
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _live(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _ready(self, request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                await self.store.ping()
        except Exception as exc:
            return web.Response(status=503, text=f"store unavailable: {type(exc).__name__}\n")
        return web.Response(text="ready\n")

    async def _metrics(self, request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                async with self.store.session() as session:
                    summary = await queue_summary(session)
        except Exception as exc:  # the counters are still worth having
            log.warning("metrics: the delivery queue could not be read: %s", type(exc).__name__)
        else:
            now = datetime.now(UTC)
            for platform in sorted(set(PLATFORMS) | set(summary)):
                count, oldest_due = summary.get(platform, (0, None))
                PENDING.labels(platform).set(count)
                OLDEST.labels(platform).set(max(0.0, (now - oldest_due).total_seconds())
                                            if oldest_due else 0.0)
        return web.Response(body=generate_latest(REGISTRY),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})


@contextlib.asynccontextmanager
async def serving(store: Store, settings: Settings, what: str) -> AsyncIterator[HealthServer | None]:
    """The health server for one serving process, and its one start-up line (logged at
    WARNING, the default level, so an operator always sees what started and where)."""
    server: HealthServer | None = None
    where = "health endpoints off (DIPS_HEALTH_PORT=0)"
    if settings.health_port:
        server = HealthServer(store)
        try:
            port = await server.start(settings.health_listen, settings.health_port)
            where = f"health on http://{settings.health_listen}:{port} (/healthz /readyz /metrics)"
        except OSError as exc:  # a busy port must not stop the chat from being served
            server = None
            where = f"health endpoints NOT started ({exc.strerror or exc}; set DIPS_HEALTH_PORT)"
    log.warning("DIPS Assistant started: %s; store %s; %s", what, masked_url(settings.database_url),
                where)
    try:
        yield server
    finally:
        if server is not None:
            await server.stop()
