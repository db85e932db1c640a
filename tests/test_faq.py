"""FAQ knowledge base (loader and validation) and answerer behaviour."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from content.faq import FaqEntry, KnowledgeBaseError, load_knowledge_base
from handlers.engines.faq.answerer import Answerer, FaqResult, load_answerer
from handlers.engines.faq.formatting import format_answer, result_json

SHARED = Path(__file__).resolve().parent / "data"  # copies of ../shared, see data/README.md

# The topic ids of ../shared/faq-topics.md, kept here too so the check runs without that folder.
TOPIC_IDS = {
    f"dips-{t}"
    for t in [
        "about", "stages", "partners", "departments", "eligibility", "how-to-apply", "after-eoi",
        "accelerator", "prototype", "precommercial", "funding", "design-thinking",
        "international", "deadlines", "subscribe", "withdraw", "data-protection", "contact",
    ]
} | {
    f"proc-{t}"
    for t in [
        "act-2023", "find-opportunities", "register-cdp", "thresholds", "below-threshold",
        "procedures", "market-engagement", "sme-definition", "social-value", "payment-terms",
        "feedback", "frameworks", "consortia", "lots", "evaluation", "exclusions",
        "cyber-essentials", "insurance", "sbri", "innovation-routes", "bid-tips",
        "clarifications", "conflicts", "kpis",
    ]
}  # fmt: skip


@pytest.fixture(scope="module")
def answerer() -> Answerer:
    return load_answerer()


def _good_entry(entry_id: str) -> str:
    return f"""
- id: {entry_id}
  title: A title
  answer: An answer.
  questions: [one question, two question, three question, four question, five question]
  keywords: [word]
  source: Somewhere (example.org)
  reviewed: 2026-11-25
"""


# --- knowledge base ---------------------------------------------------------------------------


def test_shipped_knowledge_base_has_exactly_the_topic_ids() -> None:
    ids = [e.id for e in load_knowledge_base()]
    assert len(ids) == len(set(ids))
    assert set(ids) == TOPIC_IDS


def test_topic_list_in_shared_matches() -> None:
    text = (SHARED / "faq-topics.md").read_text(encoding="utf-8")
    assert set(re.findall(r"^\| `?((?:dips|proc)-[a-z0-9-]+)`? \|", text, re.M)) == TOPIC_IDS


def test_shipped_entries_are_well_formed() -> None:
    for entry in load_knowledge_base():
        assert isinstance(entry, FaqEntry)
        assert entry.title and entry.source
        assert 8 <= len(entry.questions) <= 25, entry.id
        assert len(entry.answer) <= 900, entry.id
        assert entry.reviewed == datetime.date(2026, 11, 25)
        # No personal contact details: the team's contact is a setting, not KB text.
        assert not re.search(r"[\w.]+@[\w.]+|\b0\d{3}\b.*\d{3}|heather|elliott", entry.answer, re.I)


def test_loader_reads_a_single_file_and_a_bare_list(tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text("entries:" + _good_entry("a-one"), encoding="utf-8")
    bare = tmp_path / "bare.yml"
    bare.write_text(_good_entry("b-two"), encoding="utf-8")
    assert [e.id for e in load_knowledge_base(one)] == ["a-one"]
    entries = load_knowledge_base(tmp_path)
    assert [e.id for e in entries] == ["b-two", "a-one"]  # files in name order
    assert entries[1].questions[0] == "one question"
    assert entries[1].reviewed == datetime.date(2026, 11, 25)


def test_malformed_file_lists_every_problem(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "entries:"
        + _good_entry("ok-entry")
        + _good_entry("ok-entry")  # duplicate id
        + """
- id: Bad_ID
  title: Bad id
  answer: fine
  questions: [a, b, c, d, e]
  source: x
  reviewed: 2026-11-25
- id: no-source
  title: No source
  answer: fine
  questions: [a, b, c, d, e]
  reviewed: 2026-11-25
- id: few-questions
  title: Few
  answer: fine
  questions: [a, b]
  source: x
  reviewed: 2026-11-25
- id: long-answer
  title: Long
  answer: """
        + "x" * 1001
        + """
  questions: [a, b, c, d, e]
  source: x
  reviewed: 2026-13-45
  colour: blue
- just a string
""",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(tmp_path)
    problems = caught.value.problems
    message = str(caught.value)
    expected = [
        ("entry 2 (ok-entry)", "duplicate id"),
        ("entry 3 (Bad_ID)", "must match [a-z0-9-]+"),
        ("entry 4 (no-source)", "missing required field 'source'"),
        ("entry 5 (few-questions)", "2 question variants, at least 5"),
        ("entry 6 (long-answer)", "answer is 1001 characters"),
        ("entry 6 (long-answer)", "is not a date"),
        ("entry 6 (long-answer)", "unknown field 'colour'"),
        ("entry 7", "must be a mapping"),
    ]
    for where, what in expected:
        assert any(where in p and what in p and p.startswith("bad.yaml") for p in problems), (
            where,
            what,
            problems,
        )
    assert len(problems) == len(expected)
    assert message.splitlines() == problems


def test_problems_from_several_files_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("entries:" + _good_entry("same-id"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text("entries:" + _good_entry("same-id"), encoding="utf-8")
    (tmp_path / "c.yaml").write_text("entries: [unclosed", encoding="utf-8")
    (tmp_path / "d.yaml").write_text("title: no entries here", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(tmp_path)
    problems = caught.value.problems
    assert any(p.startswith("b.yaml entry 1 (same-id): duplicate id") and "a.yaml" in p for p in problems)
    assert any(p.startswith("c.yaml: cannot be read") for p in problems)
    assert any(p.startswith("d.yaml: expected 'entries:'") for p in problems)
    assert len(problems) == 3


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="no such file"):
        load_knowledge_base(tmp_path / "nope")
    with pytest.raises(KnowledgeBaseError, match=r"no \.yaml files"):
        load_knowledge_base(tmp_path)


# --- answerer -------------------------------------------------------------------------------


def _id(answerer: Answerer, text: str) -> str | None:
    result = answerer.answer(text)
    return result.entry.id if result.kind == "answer" and result.entry else None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("wat is an assesment summery", "proc-feedback"),
        ("cyber esentials", "proc-cyber-essentials"),
        ("standstil period", "proc-feedback"),
        ("insurence", "proc-insurance"),
        ("subcontracter", "proc-consortia"),
        ("social valeu weighting", "proc-social-value"),
        ("Procurement Act 2023: when did it START?", "proc-act-2023"),
    ],
)
def test_typos_and_case(answerer: Answerer, question: str, expected: str) -> None:
    assert _id(answerer, question) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("procedure open what is", "proc-procedures"),
        ("frameworks", "proc-frameworks"),
        ("framework", "proc-frameworks"),
        ("lots", "proc-lots"),
        ("dynamic markets", "proc-frameworks"),
        ("hello, how do i apply?", "dips-how-to-apply"),
        ("thanks! what is sbri", "proc-sbri"),
    ],
)
def test_word_order_plurals_and_greeting_prefix(answerer: Answerer, question: str, expected: str) -> None:
    assert _id(answerer, question) == expected


@pytest.mark.parametrize("text", ["hi", "Hello, how are you?", "thanks a lot!", "help", "cheers"])
def test_smalltalk(answerer: Answerer, text: str) -> None:
    result = answerer.answer(text)
    assert result.kind == "smalltalk" and result.entry is None


@pytest.mark.parametrize(
    "text", ["council tax", "How do I report a missed bin?", "parking permit", "housing repairs"]
)
def test_other_council_services(answerer: Answerer, text: str) -> None:
    result = answerer.answer(text)
    assert result.kind == "other_service" and result.entry is None


@pytest.mark.parametrize(
    "text", ["waste collection tender", "community benefits", "report a conflict of interest"]
)
def test_procurement_questions_are_not_other_service(answerer: Answerer, text: str) -> None:
    assert answerer.answer(text).kind != "other_service"


@pytest.mark.parametrize(
    "text",
    [
        "can you check my tender documents for mistakes",
        "what is the TUPE position when a contract transfers",
        "who is the prime minister",
    ],
)
def test_unknown_or_off_topic_goes_to_an_officer(answerer: Answerer, text: str) -> None:
    result = answerer.answer(text)
    assert result.kind == "handoff" and result.entry is None


@pytest.mark.parametrize("text", ["", "   ", "???", "\n"])
def test_empty(answerer: Answerer, text: str) -> None:
    assert answerer.answer(text) == FaqResult("empty", None, 0.0, ())


def _tiny_kb(tmp_path: Path) -> Path:
    (tmp_path / "kb.yaml").write_text(
        """entries:
- id: opening-hours
  title: Opening hours
  answer: We are open 9 to 5.
  questions: [when are you open, opening hours, what time do you open, hours, are you open]
  keywords: [open, hours]
  source: Sign on the door
  reviewed: 2026-01-02
- id: opening-days
  title: Opening days
  answer: Monday to Friday.
  questions: [when are you open, opening days, do you open on saturdays, days, are you open on weekdays]
  keywords: [open, days]
  source: Sign on the door
  reviewed: 2026-01-02
- id: parking-spaces
  title: Parking spaces
  answer: Behind the shop.
  questions: [where can i park, parking, is there a car park, parking spaces, space for my van]
  source: Sign on the door
  reviewed: 2026-01-02
""",
        encoding="utf-8",
    )
    return tmp_path


def test_suggest_offers_two_or_three_entries(tmp_path: Path) -> None:
    answerer = load_answerer(_tiny_kb(tmp_path))
    result = answerer.answer("when are you open?")  # hours or days: equally close
    assert result.kind == "suggest" and result.entry is None
    assert 2 <= len(result.alternatives) <= 3
    assert {e.id for e in result.alternatives[:2]} == {"opening-hours", "opening-days"}
    data = result_json("when are you open?", result)
    assert data["faq_id"] is None and data["answer"] is None
    assert data["alternatives"] == [e.id for e in result.alternatives]


def test_get_result_json_and_format(answerer: Answerer) -> None:
    entry = answerer.get("proc-kpis")
    assert entry is not None and answerer.get("nope") is None
    text = format_answer(entry)
    assert text.startswith(entry.answer)
    assert text.endswith(f"Source: {entry.source} (reviewed 2026-11-25)")
    answered = result_json("kpis?", answerer.answer("kpis?"))
    assert set(answered) == {"question", "faq_id", "score", "answer", "alternatives"}
    assert answered["faq_id"] == "proc-kpis" and answered["answer"] == text
    assert 0 < answered["score"] <= 1
    refused = result_json("council tax", answerer.answer("council tax"))
    assert refused["faq_id"] is None and refused["answer"] is None


def test_answerer_on_a_custom_knowledge_base(tmp_path: Path) -> None:
    answerer = load_answerer(_tiny_kb(tmp_path))
    assert _id(answerer, "openning hours") == "opening-hours"
    assert _id(answerer, "where do i park my van") == "parking-spaces"
    assert answerer.answer("bananas").kind == "handoff"


def test_answer_is_deterministic_and_scores_in_range(answerer: Answerer) -> None:
    for text in ["what is sbri", "gdpr", "closing date", "random words here"]:
        first, second = answerer.answer(text), answerer.answer(text)
        assert first == second
        assert 0.0 <= first.score <= 1.0
