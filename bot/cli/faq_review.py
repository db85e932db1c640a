"""`dips faq suggestions accept|reject ID`: an admin's review of officers' FAQ suggestions.

Accepting writes a DRAFT knowledge-base file (`--drafts`, default data/faq-drafts/) for review;
nothing goes into the live FAQ (content/faq/) by itself.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from bot.cli.common import open_cli_store
from bot.cli.faq import cmd_faq_suggestions
from bot.settings import Settings

DRAFTS = Path("data") / "faq-drafts"


async def cmd_faq_suggestions_or_review(args: argparse.Namespace, settings: Settings) -> int:
    if args.decision is None:
        return await cmd_faq_suggestions(args, settings)
    if args.id is None:
        print("dips: usage: dips faq suggestions accept|reject ID", file=sys.stderr)
        return 2
    from handlers.domain.faq_review import NotPending, decide, draft_name

    store = await open_cli_store(settings)
    try:
        async with store.session() as session:
            row, draft = await decide(session, args.id, args.decision == "accept", "cli",
                                      date.today())
            if draft is not None:  # written before the decision commits: no accepted row
                folder = Path(args.drafts)  # without its file
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / draft_name(row)
                path.write_text(draft, encoding="utf-8")
    except NotPending:
        print(f"dips: no FAQ suggestion #{args.id} is waiting for review", file=sys.stderr)
        return 1
    finally:
        await store.close()
    if draft is None:
        print(f"rejected FAQ suggestion #{row.id}")
    else:
        print(f"accepted FAQ suggestion #{row.id} as a draft: {path} (not live: review it, "
              "then move it into content/faq/)")
    return 0
