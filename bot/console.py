"""The terminal console: the core as an SME (or officer/admin) in a terminal or a pipe.

Buttons are shown as numbered choices; typing the number presses the button. When standard
input is not a terminal, plain lines are read from it, so a conversation can be scripted.
What the assistant sends later (a stage change, an officer's answer, a broadcast) appears in
the terminal as it arrives, as it would on Telegram: the console is its own delivery worker
for its one chat.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import sys
from typing import TextIO

from handlers.domain.outbound import from_payload
from handlers.kernel.core import Core
from handlers.kernel.messages import Button, Incoming, Reply, Speaker
from storage import deliveries, people

POLL_SECONDS = 1.0
log = logging.getLogger(__name__)


def parse_line(speaker: Speaker, line: str, choices: list[Button]) -> Incoming:
    """A number picks a shown button; `/cmd args` is a command; anything else is text."""
    stripped = line.strip()
    if stripped.isdigit() and 1 <= int(stripped) <= len(choices):
        return Incoming(speaker, button=choices[int(stripped) - 1].data)
    if stripped.startswith("/") and len(stripped) > 1:
        name, _, args = stripped[1:].partition(" ")
        return Incoming(speaker, command=name.split("@")[0].lower(), args=args)
    return Incoming(speaker, text=line)


def render(replies: list[Reply]) -> tuple[str, list[Button]]:
    """Plain text with numbered buttons, numbered across all replies of one turn."""
    out: list[str] = []
    choices: list[Button] = []
    for reply in replies:
        if reply.title:
            out.append(f"== {reply.title} ==")
        out.append(reply.text)
        for row in reply.buttons:
            cells = []
            for button in row:
                choices.append(button)
                cells.append(f"[{len(choices)}] {button.label}")
            out.append("   ".join(cells))
        if reply.attachment is not None:
            out.append(f"(file: {reply.attachment.filename}, {len(reply.attachment.content)} bytes)")
        out.append("")
    return "\n".join(out), choices


async def deliver_queued(core: Core, chat_id: str, stdout: TextIO) -> int:
    """Show what was queued for this console's chat since last time; returns how many."""
    worker = f"console-{os.getpid()}"
    async with core.store.session() as session:
        rows = await deliveries.claim(session, "console", worker, 20, chat_id=chat_id)
        if rows:
            text, _ = render([from_payload(r.payload) for r in rows])
            stdout.write(f"\n(new message)\n{text}\n")
            stdout.flush()
            await deliveries.mark_sent_many(session, [r.id for r in rows], worker)
    return len(rows)


async def _deliver_forever(core: Core, chat_id: str, stdout: TextIO) -> None:
    while True:
        try:
            await deliver_queued(core, chat_id, stdout)
        except Exception as exc:  # the store is away for a moment: try again at the next tick
            log.warning("could not show queued messages: %s", type(exc).__name__)
        await asyncio.sleep(POLL_SECONDS)


async def chat(core: Core, role: str = "sme", stdin: TextIO = sys.stdin,
               stdout: TextIO = sys.stdout) -> None:
    user = f"console-{getpass.getuser()}-{role}"
    speaker = Speaker("console", user, chat_id=user, display_name=getpass.getuser())
    async with core.store.session() as session:  # the console runs locally, so trust the role
        await people.set_role(session, "console", user, role)
    interactive = stdin.isatty()
    if interactive:
        stdout.write(f"DIPS Assistant console, as {role}. Numbers press buttons; "
                     "/help for commands; Ctrl-D or 'quit' to leave.\n\n")
    text, choices = render(await core.handle(Incoming(speaker, command="start")))
    stdout.write(text + "\n")
    stdout.flush()
    poller = asyncio.create_task(_deliver_forever(core, user, stdout))
    loop = asyncio.get_running_loop()
    try:
        while True:
            if interactive:
                stdout.write("> ")
                stdout.flush()
            # Read in a thread, so messages queued meanwhile still appear.
            line = await loop.run_in_executor(None, stdin.readline)
            if not line or line.strip().lower() in ("quit", "exit"):
                break
            if not line.strip():
                continue
            if not interactive:
                stdout.write(f"> {line.rstrip()}\n")
            text, choices = render(await core.handle(parse_line(speaker, line.rstrip("\n"), choices)))
            stdout.write(text + "\n")
            stdout.flush()
    finally:
        poller.cancel()
        await deliver_queued(core, user, stdout)  # nothing queued is left unshown
