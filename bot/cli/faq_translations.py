"""`dips faq translations`: each translated FAQ answer and whether an officer has reviewed it;
`--review ID LANG --by NAME` marks one reviewed (recorded in the audit log)."""

from __future__ import annotations

import argparse
import json
import sys

from bot.cli.common import open_cli_store
from bot.settings import Settings


async def cmd_faq_translations(args: argparse.Namespace, settings: Settings) -> int:
    from content.faq import load_knowledge_base
    from content.faq_i18n import load_language_packs
    from storage import faq_translations

    entries = load_knowledge_base()
    packs = load_language_packs({e.id for e in entries})
    store = await open_cli_store(settings)
    try:
        async with store.session() as session:
            if args.review:
                faq_id, language = args.review
                pack = packs.get(language)
                translation = pack.answers.get(faq_id) if pack is not None else None
                if translation is None:
                    print(f"dips: no {language!r} translation of FAQ entry {faq_id!r}",
                          file=sys.stderr)
                    return 1
                if not args.by or not args.by.strip():
                    print("dips: say who reviewed it: --by NAME", file=sys.stderr)
                    return 2
                await faq_translations.mark_reviewed(session, f"cli:{args.by.strip()}", faq_id,
                                                     language, translation.digest)
                print(f"marked the {language} translation of {faq_id} reviewed")
                return 0
            reviewed = await faq_translations.reviewed_digests(session)
    finally:
        await store.close()
    for entry in entries:
        for language in sorted(packs):
            translation = packs[language].answers.get(entry.id)
            if translation is None:
                state = "missing"
            elif translation.digest in reviewed.get((entry.id, language), set()):
                state = "reviewed"
            else:
                state = "not yet reviewed"
            if args.json:
                print(json.dumps({"faq_id": entry.id, "language": language, "state": state,
                                  "variants": len(packs[language].questions.get(entry.id, ()))}))
            elif state != "missing" or args.all:
                print(f"{entry.id:28} {language}  {state}")
    return 0
