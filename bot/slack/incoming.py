"""Reading Slack requests: who pressed or typed, and in which channel."""

from __future__ import annotations

import re
from typing import Any

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
