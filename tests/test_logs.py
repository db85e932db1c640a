"""Logs are one JSON object per line and never carry a secret."""

from __future__ import annotations

import io
import json
import logging

from bot.logs import configure
from bot.settings import load_settings

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ"


def test_json_lines_with_extra_fields_and_masked_secrets(tmp_path):
    stream = io.StringIO()
    settings = load_settings({"DIPS_TELEGRAM_TOKEN": TOKEN, "DIPS_LOG_LEVEL": "INFO",
                              "DIPS_SLACK_BOT_TOKEN": "xoxb-secret-value",
                              "DIPS_SLACK_SIGNING_SECRET": "signing-secret-1"},
                             dotenv=tmp_path / "none")
    configure(settings, stream)
    log = logging.getLogger("dips.test")
    log.info("POST https://api.telegram.org/bot%s/getUpdates", TOKEN, extra={"update_id": 42})
    try:
        raise RuntimeError(f"failed with xoxb-secret-value and {TOKEN}")
    except RuntimeError:
        log.exception("handler error", extra={"update_id": 43})
    lines = stream.getvalue().splitlines()
    events = [json.loads(line) for line in lines]
    assert events[0]["update_id"] == 42 and "bot***/getUpdates" in events[0]["msg"]
    assert events[1]["update_id"] == 43 and "RuntimeError" in events[1]["exc"]
    assert TOKEN not in stream.getvalue() and "xoxb-secret-value" not in stream.getvalue()
    logging.getLogger().handlers.clear()
