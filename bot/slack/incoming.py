"""Reading Slack requests: who pressed or typed, and in which channel."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slack_bolt.request.internals import parse_body

from handlers.kernel.messages import Speaker

PLATFORM = "slack"


def starts(prefix: str) -> re.Pattern[str]:
    """Bolt's matcher for every action id that begins with `prefix`."""
    return re.compile("^" + re.escape(prefix))


def speaker_of(body: dict[str, Any]) -> tuple[Speaker, str | None]:
    user = body.get("user", {})
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    if (body.get("container") or {}).get("type") == "view":
        channel = None  # pressed in App Home: answer by direct message
    return Speaker(PLATFORM, user.get("id", ""), chat_id=channel,
                   display_name=user.get("username") or user.get("name")), channel


MAX_BODY = 1024 * 1024  # bytes; Slack's payloads are far smaller


def malformed(body: str, headers: Mapping[str, str]) -> str | None:
    """Why a request to the events endpoint cannot be Slack's, or None when it may be.

    Checked before Bolt sees the request: Bolt raises (a 500 and a traceback) on a body that
    is not a JSON object or a form with a JSON-object payload, and on a non-numeric timestamp.
    """
    timestamp = headers.get("X-Slack-Request-Timestamp")
    if timestamp is not None and not (timestamp.isascii() and timestamp.isdigit()
                                      and len(timestamp) <= 12):
        return "a timestamp that is not a number"
    content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower() or None
    try:
        parsed = parse_body(body, content_type)
    except (ValueError, RecursionError):
        return "a body that is not JSON where JSON belongs"
    if not isinstance(parsed, dict):
        return f"a JSON {type(parsed).__name__} where an object belongs"
    return None
