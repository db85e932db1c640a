"""Structured logs: one JSON object per line, with secrets masked wherever they appear.

No line carries personal data (issue 20): the chat and database libraries log whole updates,
request bodies and SQL parameters at DEBUG and INFO, so their loggers never go below WARNING
whatever DIPS_LOG_LEVEL says, and the SQL parameters and key values in database errors are
masked in every line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

from bot.settings import Settings

# Attributes every LogRecord has; anything else was passed with `extra=` and is kept as a field.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Libraries that log message texts, request bodies or SQL parameters below WARNING.
LIBRARIES = ("telegram", "httpx", "httpcore", "slack_sdk", "slack_bolt", "aiohttp", "sqlalchemy",
             "asyncpg", "aiosqlite", "alembic", "asyncio", "hpack", "urllib3", "websockets",
             "websocket")
# SQLAlchemy's "[parameters: ...]" and a driver's "DETAIL: Key (x)=(value)".
_PERSONAL = (
    (re.compile(r"\[parameters: .*?\](?=\n|$|\s*\(Background)", re.S), "[parameters: masked]"),
    (re.compile(r"(Key \([^)]*\)=)\(.*?\)( already exists| is not present|$)", re.M), r"\1(masked)\2"),
    (re.compile(r"(DETAIL: +Failing row contains) \(.*\)", re.M), r"\1 (masked)"),
)


def mask_personal(text: str) -> str:
    for pattern, replacement in _PERSONAL:
        text = pattern.sub(replacement, text)
    return text


class Quiet(logging.Filter):
    """Drop the libraries' records below WARNING (whatever level they were set to) and mask
    SQL parameters and key values in the rest."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING and record.name.split(".", 1)[0] in LIBRARIES:
            return False
        message = record.getMessage()
        masked = mask_personal(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                 "logger": record.name, "msg": record.getMessage()}
        event.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:  # the Redact filter leaves a masked exc_text
            event["exc"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(event, default=str, ensure_ascii=False)


class Redact(logging.Filter):
    """Replace each secret in the final line (bot tokens end up in logged URLs)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                for secret in self.secrets:
                    record.exc_text = record.exc_text.replace(secret, "***")
        return True


def configure(settings: Settings, stream: TextIO = sys.stderr) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(Quiet())
    handler.addFilter(Redact((settings.telegram_token, settings.slack_bot_token,
                              settings.slack_signing_secret, settings.slack_app_token,
                              settings.telegram_webhook_secret)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = settings.log_level.upper()
    root.setLevel(level if level in LEVELS else "WARNING")
    for noisy in LIBRARIES:
        logging.getLogger(noisy).setLevel(max(root.level, logging.WARNING))
    # `echo` would give SQLAlchemy's engine logger its own level and handler: keep it quiet.
    for name in ("sqlalchemy.engine", "sqlalchemy.engine.Engine", "sqlalchemy.pool"):
        logging.getLogger(name).setLevel(logging.WARNING)
