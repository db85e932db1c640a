"""Rough edges a newcomer meets: proxies for Telegram, help for every command and option,
progress on long imports and exports (plain text when not a terminal)."""

from __future__ import annotations

import argparse
import io
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram.error import NetworkError

from bot.cli.common import progress
from bot.cli.main import build_parser
from bot.settings import Settings
from bot.telegram.transport import make_bot
from tests.fake_telegram import BOT, TOKEN

# ---- HTTPS_PROXY ----


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[str, list[str]]]:
    """An HTTP proxy that answers every Bot API call itself and records the URLs asked for."""
    seen: list[str] = []

    async def relay(request: web.Request) -> web.Response:
        seen.append(str(request.url))
        return web.json_response({"ok": True, "result": BOT})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", relay)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


async def test_the_telegram_transport_goes_through_the_configured_proxy(
        proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    url, seen = proxy
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    # A host that doesn't resolve: only the proxy can answer for it.
    bot = make_bot(Settings(telegram_token=TOKEN, telegram_api_url="http://api.telegram.invalid/bot"))
    async with bot:
        me = await bot.get_me()
    assert me.username == BOT["username"]
    assert seen and seen[0].startswith("http://api.telegram.invalid/bot")


async def test_no_proxy_names_hosts_reached_directly(
        proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    url, seen = proxy
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "localhost,.telegram.invalid")
    bot = make_bot(Settings(telegram_token=TOKEN, telegram_api_url="http://api.telegram.invalid/bot"))
    with pytest.raises(NetworkError):  # straight to a host that doesn't resolve
        async with bot:
            await bot.get_me()
    assert seen == []


# ---- help for every command, group and option ----

def _walk(parser: argparse.ArgumentParser, path: str) -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                if not helps.get(name):
                    missing.append(f"{path} {name}")
                missing += _walk(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction | argparse._VersionAction) and not action.help:
            missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    return missing


def test_every_command_group_and_option_has_help() -> None:
    assert _walk(build_parser(), "dips") == []


def test_the_help_walker_sees_a_gap() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    group = sub.add_parser("group").add_subparsers()
    group.add_parser("leaf", help="a leaf").add_argument("--bare")
    assert _walk(parser, "x") == ["x group", "x group leaf --bare"]


# ---- progress ----

class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_silent_for_quick_work_and_plain_lines_in_a_pipe() -> None:
    quick = io.StringIO()
    assert list(progress(list(range(5)), "exporting", out=quick)) == list(range(5))
    assert quick.getvalue() == ""  # done within a moment: nothing shown
    piped = io.StringIO()
    assert list(progress(list(range(3)), "exporting", "EOI", out=piped, after=0)) == [0, 1, 2]
    assert piped.getvalue().splitlines() == ["exporting: 0 of 3 EOIs", "exporting: 3 of 3 EOIs, done"]
    assert "\r" not in piped.getvalue()


def test_progress_on_a_terminal_is_a_live_bar() -> None:
    out = Terminal()
    assert list(progress(list(range(50)), "importing", "challenge", out=out, after=0)) == list(range(50))
    shown = out.getvalue()
    assert "importing:" in shown and "/50 [" in shown and "challenge/s" in shown and "\r" in shown



# ---- message defaults, set once ----

def test_message_defaults_are_set_once_on_the_application_and_the_workers_bot() -> None:
    import inspect

    from bot.telegram import adapter, render, worker
    from bot.telegram.adapter import build_application

    settings = Settings(telegram_token=TOKEN, telegram_api_url="http://127.0.0.1:9/bot")
    for bot in (build_application(settings).bot, make_bot(settings)):
        assert bot.defaults is not None
        assert bot.defaults.parse_mode == "HTML"
        assert bot.defaults.link_preview_options is not None
        assert bot.defaults.link_preview_options.is_disabled
    for module in (adapter, render, worker):  # the senders no longer repeat them
        source = inspect.getsource(module)
        assert "parse_mode=" not in source and "link_preview_options=" not in source
