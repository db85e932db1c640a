"""Serving: `dips run` (every configured adapter), `dips chat` (the terminal), `dips worker`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable
from typing import Any

from bot import health
from bot.cli.common import core_config, open_cli_store
from bot.settings import Settings

log = logging.getLogger("dips")


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.app import build_core, seed_demo_catalogue

    store = await open_cli_store(settings)
    await seed_demo_catalogue(store)
    core = build_core(store, core_config(settings))
    from bot.cli.schedule import run_scheduler

    tasks: list[Awaitable[Any]] = []
    running: list[str] = []
    if settings.telegram_enabled:
        running.append("Telegram (" + ("webhook" if settings.telegram_webhook_url else "long polling")
                       + ") with its delivery worker")
        from bot.telegram.adapter import serve_telegram

        tasks.append(serve_telegram(core, settings))
        # ---- the Telegram delivery worker (broadcasts, notices), one per `dips run` ----
        from bot.telegram.worker import run_worker

        tasks.append(run_worker(store, settings))
    if settings.slack_enabled:
        from bot.slack.adapter import serve_slack

        running.append("Slack (" + ("Socket Mode" if settings.slack_app_token else
                                    f"HTTP on port {settings.slack_port}") + ") with its notice worker")
        tasks.append(serve_slack(core, settings))
    try:
        if not tasks:
            print("No chat platform is configured, so DIPS Assistant starts in the terminal.\n"
                  "Set DIPS_TELEGRAM_TOKEN to serve SMEs on Telegram, and DIPS_SLACK_BOT_TOKEN "
                  "with DIPS_SLACK_SIGNING_SECRET (or DIPS_SLACK_APP_TOKEN) to serve officers "
                  "on Slack.\n", file=sys.stderr)
            from bot.console import chat

            await chat(core, "sme")
        else:
            # The calendar's scheduler runs in every replica; each job is claimed by one.
            tasks.append(run_scheduler(store, settings))
            # SIGTERM (a service manager stopping us) shuts down as cleanly as Ctrl-C does.
            main = asyncio.current_task()
            assert main is not None
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main.cancel)
            try:
                async with health.serving(store, settings, " and ".join(running)):
                    await run_all(tasks)
            except asyncio.CancelledError:
                log.info("stopped by SIGTERM")
    finally:
        await store.close()
    return 0


async def run_all(coroutines: list[Awaitable[Any]]) -> None:
    """Run the services together; when one ends or this is cancelled, cancel the others and
    wait for every one's own clean-up before returning.

    A bare `asyncio.gather` returns as soon as its FIRST child is cancelled, so a SIGTERM let
    `cmd_run` close the store while the Telegram adapter was still stopping: its last inbox
    DELETE was cut off and every replayed row stayed behind.
    """
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            if not task.cancelling():  # twice would cut short the stop the first one began
                task.cancel()
        # asyncio.wait neither raises the tasks' errors nor cancels them if we are cancelled
        # again (a second SIGTERM): then the process goes on exiting, as asked.
        if tasks:
            await asyncio.wait(tasks)


async def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import chat
    from handlers.app import build_core, seed_demo_catalogue

    store = await open_cli_store(settings)
    try:
        await seed_demo_catalogue(store)
        await chat(build_core(store, core_config(settings)), args.role)
    finally:
        await store.close()
    return 0


async def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    import signal

    from bot.telegram.worker import run_worker

    if not settings.telegram_enabled:
        print("dips worker sends Telegram messages: set DIPS_TELEGRAM_TOKEN", file=sys.stderr)
        return 2
    store = await open_cli_store(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # stop cleanly: record sends, hand back the rest
        loop.add_signal_handler(sig, stop.set)
    from bot.cli.schedule import run_scheduler

    scheduler = asyncio.create_task(run_scheduler(store, settings, stop))
    try:
        async with health.serving(store, settings, "the Telegram delivery worker"):
            await run_worker(store, settings, stop)
        await scheduler
    finally:
        scheduler.cancel()
        await store.close()
    return 0
