"""The terminal console: the core as an SME (or officer/admin) in a terminal or a pipe.

Buttons are shown as numbered choices; typing the number presses the button. When standard
input is not a terminal, plain lines are read from it, so a conversation can be scripted.
"""

from __future__ import annotations

import getpass
import sys
from typing import TextIO

from handlers.kernel.core import Core
from handlers.kernel.messages import Button, Incoming, Reply, Speaker
from storage import people


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
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = stdin.readline()
        if not line or line.strip().lower() in ("quit", "exit"):
            break
        if not line.strip():
            continue
        if not interactive:
            stdout.write(f"> {line.rstrip()}\n")
        text, choices = render(await core.handle(parse_line(speaker, line.rstrip("\n"), choices)))
        stdout.write(text + "\n")
        stdout.flush()
