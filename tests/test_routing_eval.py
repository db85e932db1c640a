"""What the assistant does with a first message, scored as ../shared/tools/eval_routing.py does,
in process: the shared routing dev set (copied to tests/data) with its catalogue.

Bars (issue 14): at least 90% right, at most 3% wrong FAQ answers. The wrong-answer bar holds;
the share right is 88.1% today (37/42, with the semantic matcher), short of the bar by one
case: today's figure is kept as a floor that must not fall, and raised as it improves.
"""

from __future__ import annotations

import collections
from datetime import date
from pathlib import Path

import pytest
import yaml

from content.challenges import load_catalogue
from handlers.engines.faq.answerer import Answerer, load_answerer
from handlers.engines.matching.index import Matcher
from handlers.engines.routing import decide

DATA = Path(__file__).resolve().parent / "data"  # copies of ../shared/eval, see data/README.md
MAX_WRONG = 0.03  # issue 14: the share right must reach 0.90
FLOOR = 0.95  # today's share right (40/42 = 95.2%): never lower


@pytest.fixture(scope="module")
def answerer() -> Answerer:
    return load_answerer()


def score(answerer: Answerer, catalogue: Path, cases_file: Path) -> tuple[float, float, list[str]]:
    """Share right, share of wrong FAQ answers, and the misses (for messages)."""
    matcher = Matcher(load_catalogue(catalogue), None, date.today())
    cases = yaml.safe_load(cases_file.read_text(encoding="utf-8"))["cases"]
    right, wrong, misses = collections.Counter(), 0, []
    for case in cases:
        got = decide(case["q"], answerer, lambda text: matcher.match(text, limit=5))
        want, also = case["action"], case.get("also", [])
        faq_id = got.answers[0].id if got.action == "answer" else None
        refs = [m.ref for m in got.challenges][:3]
        if got.action == "answer":
            ok = (want == "answer" or "answer" in also) and faq_id in case.get("ids", [])
            wrong += not ok
        elif got.action == "match" and want == "match":
            fits = bool(set(refs) & set(case["refs"])) if case["refs"] else not refs
            ok = fits or (not refs and case.get("or_none", False))
        else:
            ok = got.action == want or got.action in also
        right[want] += ok
        if not ok:
            misses.append(f"[{want}] {case['q'][:80]!r} -> {got.action} {faq_id or ''} {refs}")
    return sum(right.values()) / len(cases), wrong / len(cases), misses


def test_routing_dev_set_floor_and_wrong_answers(answerer: Answerer) -> None:
    right, wrong, misses = score(answerer, DATA / "routing_dev_challenges.yaml",
                                 DATA / "routing_dev.yaml")
    report = f"right {right:.1%} wrong FAQ answers {wrong:.1%}\n" + "\n".join(misses)
    assert wrong <= MAX_WRONG, report
    assert right >= FLOOR, report

