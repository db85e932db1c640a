"""The FAQ: `dips ask` and `dips faq suggestions`."""

from __future__ import annotations

import argparse
import json

from bot.cli.common import input_lines, open_cli_store
from bot.settings import Settings


async def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """What the assistant would do with each message as a new SME's first: the decision
    (handlers.engines.routing), with the FAQ's answer and the challenges matched."""
    from handlers.app import seed_catalogue
    from handlers.engines.faq.formatting import format_answer
    from handlers.engines.faq.multilingual import load_answerer
    from handlers.engines.matching.catalogue import CatalogueIndex
    from handlers.engines.routing import decide

    answerer = load_answerer()
    store = await open_cli_store(settings)
    try:
        await seed_catalogue(store)
        async with store.session() as session:
            matcher = await CatalogueIndex().matcher(session)
    finally:
        await store.close()

    def match(text: str) -> list:
        return matcher.match(text, limit=5)

    for question in input_lines(args):
        decision = decide(question, answerer, match)
        if args.json:
            print(json.dumps(decision.as_json(question, format_answer), ensure_ascii=False),
                  flush=False)
        elif decision.action == "answer":
            print("\n\n".join(f"{e.title}\n\n{format_answer(e)}" for e in decision.answers))
        elif decision.action == "match":
            print("\n".join(f"{m.score:.2f}  {m.ref:28} {m.title}" for m in decision.challenges)
                  or "match: no open challenge fits that well.")
        elif decision.alternatives:
            print(f"{decision.action}: closest questions: "
                  + ", ".join(e.id for e in decision.alternatives))
        else:
            print(f"{decision.action}: no FAQ answer"
                  + (f" ({decision.reason})." if decision.reason else "."))
    return 0


async def cmd_faq_suggestions(args: argparse.Namespace, settings: Settings) -> int:
    from storage.cases import suggestions

    store = await open_cli_store(settings)
    try:
        async with store.session() as session:
            rows = await suggestions(session, args.status)
    finally:
        await store.close()
    for row in rows:
        if args.json:
            print(json.dumps({"id": row.id, "status": row.status, "case": row.case_id,
                              "by": row.suggested_by, "at": row.at.isoformat(),
                              "question": row.question, "answer": row.answer}, ensure_ascii=False))
        else:
            print(f"#{row.id} [{row.status}] case {row.case_id or '-'}, by {row.suggested_by}, "
                  f"{row.at:%Y-%m-%d}\n  Q: {row.question}\n  A: {row.answer}")
    if not rows and not args.json:
        print("No FAQ suggestions" + (f" with status {args.status}." if args.status else " yet."))
    return 0
