"""Slack modals for the officers' tools (handlers/officer/forms.py): drafting a challenge,
sending a draft back, scoring an EOI.

A form button (action id `dips_form_N`) or `/dips draft` opens the modal straight after the
acknowledgement (trigger ids last 3 s). On submission every field is checked before the modal
closes: a problem comes back as `response_action: errors` under its field, and nothing is
written; answers that pass become the matching `/dips` subcommand, checked again by the core.
When no form is offered (no permission, another department, nothing there) the press or
command goes to the core, which explains.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.incoming import PLATFORM, speaker_of, starts
from bot.slack.render import FORM_ACTION, fit, section
from handlers.domain.officer_buttons import FORM_KINDS
from handlers.kernel.messages import Incoming, Speaker
from handlers.officer.forms import OfficerForm, form_for, problems, to_args

if TYPE_CHECKING:
    from bot.slack.adapter import SlackAdapter

log = logging.getLogger(__name__)

FORM_CALLBACK = "dips_form"


def form_modal(form: OfficerForm, metadata: dict[str, Any]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [section(fit(form.intro, 2900))] if form.intro else []
    for field in form.fields:
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": field.key,
                                   "multiline": field.multiline, "max_length": field.max_length}
        if field.initial:
            element["initial_value"] = field.initial[:field.max_length]
        block: dict[str, Any] = {"type": "input", "block_id": field.key, "element": element,
                                 "optional": field.optional,
                                 "label": {"type": "plain_text", "text": field.label[:2000]}}
        if field.hint:
            block["hint"] = {"type": "plain_text", "text": field.hint[:2000]}
        blocks.append(block)
    return {
        "type": "modal", "callback_id": FORM_CALLBACK,
        "title": {"type": "plain_text", "text": form.title[:24]},
        "submit": {"type": "plain_text", "text": form.submit[:24]},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({**metadata, "k": form.kind, "x": form.context})[:3000],
        "blocks": blocks,
    }


async def open_form(adapter: SlackAdapter, client: AsyncWebClient, trigger_id: str,
                    speaker: Speaker, channel: str | None, kind: str, context: str) -> bool:
    """Open the form if one is offered; False when the core should answer instead."""
    try:
        form = await form_for(adapter.core, speaker, kind, context)
        if form is None:
            return False
        await client.views_open(trigger_id=trigger_id, view=form_modal(form, {"c": channel}))
        return True
    except Exception:
        log.exception("could not open the %s form", kind)
        return False


def register(adapter: SlackAdapter) -> None:
    app = adapter.app

    @app.action({"type": "block_actions", "action_id": starts(FORM_ACTION)})
    async def on_form_button(ack: Any, body: dict[str, Any], action: dict[str, Any],
                             client: AsyncWebClient, respond: Any) -> None:
        await ack()
        speaker, channel = speaker_of(body)
        data = str(action.get("value", ""))
        prefix, _, context = data.partition(":")
        kind = FORM_KINDS.get(prefix)
        if kind and await open_form(adapter, client, str(body.get("trigger_id", "")), speaker,
                                    channel, kind, context):
            return
        await adapter._work(speaker, channel, respond if body.get("response_url") else None,
                            Incoming(speaker, button=data))

    @app.view(FORM_CALLBACK)
    async def on_form_submitted(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            meta = {}
        kind, context = str(meta.get("k", "")), str(meta.get("x", ""))
        state = view.get("state", {}).get("values", {})
        values = {block: str((fields.get(block) or {}).get("value") or "")
                  for block, fields in state.items() if isinstance(fields, dict)}
        found = problems(kind, values, adapter.core.clock())
        if found:  # shown under each field; the modal stays open and nothing is written
            await ack(response_action="errors", errors={k: v[:150] for k, v in found.items()})
            return
        await ack()
        user = body.get("user", {})
        speaker = Speaker(PLATFORM, user.get("id", ""), display_name=user.get("username"))
        await adapter._work(speaker, meta.get("c"), None,
                            Incoming(speaker, command="dips", args=to_args(kind, context, values)))
