"""Slack translation for cases (handlers/domain/cases.py): thread replies, and the case forms as modals.

- A human message in the thread of a case's channel notice becomes `/dips answer thread:ID TEXT`.
- Answer, Publish and Suggest buttons open a modal built from the core's `Form`; its submission
  becomes the matching `/dips` subcommand. When the core offers no form (not an officer, the
  case is held by someone else, nothing to publish yet), the press goes to the core as a plain
  button, which explains why.
"""

from __future__ import annotations

import html
import json
import logging
import re
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.incoming import PLATFORM, speaker_of, starts
from bot.slack.render import CASE_ACTION, fit, plain
from handlers.domain.cases import Form, case_for_thread, case_form
from handlers.kernel.messages import Incoming, Speaker

if TYPE_CHECKING:
    from bot.slack.adapter import SlackAdapter

log = logging.getLogger(__name__)

CASE_CALLBACK = "dips_case"
# Message subtypes that are a person writing; edits, joins, bot posts and the like are not.
_HUMAN_SUBTYPES = {None, "thread_broadcast", "file_share"}


def plain_text(text: str) -> str:
    """Slack's message markup as plain text for another platform: links, mentions, entities."""
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"\2 (\1)", text)
    text = re.sub(r"<(mailto:)?([^|>]+)\|?[^>]*>",
                  lambda m: m.group(2) if not m.group(2).startswith(("@", "!", "#")) else (
                      "@someone" if m.group(2).startswith("@") else ""), text)
    return html.unescape(text)


def case_modal(form: Form, metadata: dict[str, Any]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [plain(fit(form.intro, 2900))]
    for field in form.fields:
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": field.key,
                                   "multiline": True, "max_length": field.max_length}
        if field.initial:
            element["initial_value"] = field.initial[:field.max_length]
        blocks.append({"type": "input", "block_id": field.key, "element": element,
                       "label": {"type": "plain_text", "text": field.label[:2000]}})
    return {
        "type": "modal", "callback_id": CASE_CALLBACK,
        "title": {"type": "plain_text", "text": form.title[:24]},
        "submit": {"type": "plain_text", "text": form.submit[:24]},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({**metadata, "sub": form.sub, "id": form.case_id,
                                        "f": [f.key for f in form.fields]})[:3000],
        "blocks": blocks,
    }


def register(adapter: SlackAdapter) -> None:
    """Add the case listeners to the adapter's Bolt app."""
    app = adapter.app

    @app.action({"type": "block_actions", "action_id": starts(CASE_ACTION)})
    async def on_case_button(ack: Any, body: dict[str, Any], action: dict[str, Any],
                             client: AsyncWebClient, respond: Any) -> None:
        await ack()
        speaker, channel = speaker_of(body)
        data = str(action.get("value", ""))
        respond_to = respond if body.get("response_url") else None
        try:
            form = await case_form(adapter.core, speaker, data)
            if form is not None:  # trigger ids last 3 s: open at once
                await client.views_open(trigger_id=body["trigger_id"],
                                        view=case_modal(form, {"c": channel}))
                return
        except Exception:
            log.exception("could not open the case form")
        await adapter._work(speaker, channel, respond_to, Incoming(speaker, button=data))

    @app.view(CASE_CALLBACK)
    async def on_case_submitted(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        await ack()
        user = body.get("user", {})
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            return
        values = view.get("state", {}).get("values", {})
        texts = [str((values.get(key, {}).get(key, {}) or {}).get("value") or "")
                 for key in meta.get("f", [])]
        form = Form(str(meta.get("sub", "")), int(meta.get("id", 0)), "", "", ())
        speaker = Speaker(PLATFORM, user.get("id", ""), display_name=user.get("username"))
        await adapter._work(speaker, meta.get("c"), None,
                            Incoming(speaker, command="dips", args=form.args(texts)))

    @app.event("message")
    async def on_message(ack: Any, event: dict[str, Any]) -> None:
        await ack()
        thread = event.get("thread_ts")
        if (not thread or thread == event.get("ts") or event.get("bot_id")
                or event.get("subtype") not in _HUMAN_SUBTYPES or not event.get("user")):
            return  # not a person's reply in a thread (DMs to the bot: officers use /dips)
        case_id = await case_for_thread(adapter.core, str(thread))
        text = plain_text(str(event.get("text") or "")).strip()
        if case_id is None or not text:
            return  # a thread that isn't a case (e.g. under a new-EOI notice)
        channel = event.get("channel")
        speaker = Speaker(PLATFORM, str(event["user"]), chat_id=channel)
        incoming = Incoming(speaker, command="dips", args=f"answer thread:{case_id} {text}")
        try:
            replies = await adapter.core.handle(incoming)
            await adapter.send(replies, channel=channel, user=speaker.user_id, thread_ts=thread)
        except Exception:
            log.exception("failed to pass on a thread reply from %s", speaker.user_id)
