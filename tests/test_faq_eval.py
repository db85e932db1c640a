"""FAQ quality bars, in process: the shared dev set and the private holdout sets.

Bars (issue 3): >= 90% of in-scope questions get an acceptable id, >= 90% of out-of-scope ones
get no FAQ answer, <= 5% of in-scope questions get a wrong id (a hand-off is not wrong).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from handlers.engines.faq.answerer import Answerer
from handlers.engines.faq.multilingual import load_answerer

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"  # copies of ../shared/eval, see data/README.md
MIN_IN, MIN_OUT, MAX_WRONG = 0.90, 0.90, 0.05


@pytest.fixture(scope="module")
def answerer() -> Answerer:
    return load_answerer()


def score(answerer: Answerer, cases: list[dict]) -> tuple[float, float, float, list[str]]:
    """In-scope accuracy, out-of-scope refusal rate, wrong rate and the misses (for messages)."""
    ins = outs = right_in = right_out = wrong = 0
    misses: list[str] = []
    for case in cases:
        result = answerer.answer(case["q"])
        got = result.entry.id if result.kind == "answer" and result.entry else None
        if case["ids"]:
            ins += 1
            if got in case["ids"] or (got is None and case.get("or_none")):
                right_in += 1
                continue
            wrong += got is not None
        else:
            outs += 1
            if got is None:
                right_out += 1
                continue
        misses.append(f"{case['q']!r} -> {got} ({result.kind}), want {case['ids']}")
    return right_in / ins, right_out / max(outs, 1), wrong / ins, misses


def check(answerer: Answerer, path: Path) -> None:
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    acc_in, acc_out, wrong, misses = score(answerer, cases)
    report = f"in {acc_in:.1%} out {acc_out:.1%} wrong {wrong:.1%}\n" + "\n".join(misses)
    assert acc_in >= MIN_IN, report
    assert acc_out >= MIN_OUT, report
    assert wrong <= MAX_WRONG, report


def test_dev_set_meets_the_bars(answerer: Answerer) -> None:
    check(answerer, DATA / "faq_dev.yaml")


@pytest.mark.parametrize("name", ["faq_holdout.yaml", "faq_holdout2.yaml", "faq_holdout3.yaml"])
def test_private_holdout_meets_the_bars(answerer: Answerer, name: str) -> None:
    check(answerer, HERE / name)
