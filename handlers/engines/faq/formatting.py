"""The FAQ answer as an SME sees it, and the `dips ask --json` shape."""

from __future__ import annotations

from typing import Any

from content.faq import FaqEntry
from handlers.engines.faq.answerer import FaqResult


def result_json(question: str, result: FaqResult) -> dict[str, Any]:
    """The `dips ask --json` shape; faq_id and answer are null unless an FAQ answer is given."""
    entry = result.entry if result.kind == "answer" else None
    return {
        "question": question,
        "faq_id": entry.id if entry is not None else None,
        "score": round(float(result.score), 3),
        "answer": format_answer(entry) if entry is not None else None,
        "alternatives": [e.id for e in result.alternatives],
    }


def format_answer(entry: FaqEntry) -> str:
    """Plain-text answer with its source and review date (every answer shows both)."""
    return f"{entry.answer}\n\nSource: {entry.source} (reviewed {entry.reviewed.isoformat()})"
