"""The FAQ: `dips ask` and `dips faq suggestions`."""

from __future__ import annotations

import argparse
import json

from bot.cli.common import input_lines, open_cli_store
from bot.settings import Settings


async def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.engines.faq.answerer import load_answerer
    from handlers.engines.faq.formatting import format_answer, result_json

    answerer = load_answerer()
    for question in input_lines(args):
        result = answerer.answer(question)
        if args.json:
            print(json.dumps(result_json(question, result), ensure_ascii=False), flush=False)
        elif result.kind == "answer" and result.entry is not None:
            print(f"{result.entry.title}\n\n{format_answer(result.entry)}")
        elif result.alternatives:
            print("Not sure; closest questions: " + ", ".join(e.id for e in result.alternatives))
        else:
            print(f"No FAQ answer ({result.kind}): an officer would be asked.")
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
