"""Reviewing officers' FAQ suggestions: an accepted one becomes a knowledge-base DRAFT file for
an admin to complete and move into content/faq/ by hand; it never goes straight into the live
FAQ. No chat wording: the callers (`/dips suggestions`, `dips faq suggestions`) say what
happened."""

from __future__ import annotations

from datetime import date

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from storage import cases
from storage.audit import audit
from storage.models import FaqSuggestion
from storage.privacy import ERASED


class NotPending(Exception):
    """No pending suggestion by that id (unknown, or accepted or rejected already)."""


def draft_name(row: FaqSuggestion) -> str:
    return f"suggestion-{row.id}.yaml"


def draft_yaml(row: FaqSuggestion, accepted_by: str, today: date) -> str:
    """The suggestion as a knowledge-base file (content/faq.py's format), marked as a draft."""
    entry = {"id": f"suggestion-{row.id}", "title": row.question[:120], "answer": row.answer,
             "questions": [row.question], "keywords": [],
             "source": f"DIPS officers' answer to case {row.case_id or '-'}", "reviewed": ""}
    header = (f"# DRAFT knowledge-base entry from FAQ suggestion #{row.id}, accepted by "
              f"{accepted_by} on {today.isoformat()}.\n"
              "# Not live: review the answer, add at least four more ways of asking under "
              "`questions`,\n# set `reviewed` to the review date, then move it into content/faq/.\n")
    return header + yaml.safe_dump({"entries": [entry]}, allow_unicode=True, sort_keys=False,
                                   width=100)


async def decide(session: AsyncSession, suggestion_id: int, accept: bool, actor: str,
                 today: date) -> tuple[FaqSuggestion, str | None]:
    """Accept (returning the draft's YAML) or reject a pending suggestion; audited. One whose
    question was erased (/forget) can only be rejected. Raises NotPending."""
    pending = {row.id: row for row in await cases.suggestions(session, "pending")}
    if suggestion_id not in pending or (accept and pending[suggestion_id].question == ERASED):
        raise NotPending(suggestion_id)
    row = await cases.decide_suggestion(session, suggestion_id,
                                        "accepted" if accept else "rejected")
    if row is None:  # decided a moment ago by someone else
        raise NotPending(suggestion_id)
    await audit(session, actor, "faq_suggestion_" + row.status, f"suggestion-{row.id}")
    return row, draft_yaml(row, actor, today) if accept else None
