"""FAQ answerer benchmark: start-up time and time per question.

Run from the repository root:  .venv/bin/python bench/bench_faq.py [--repeat 5]

Measures (a) loading and indexing the shipped knowledge base, (b) answering with it, and
(c) the same with 2,000 synthetic entries (12 questions and 6 keywords each, words drawn from a
Zipf-like mix of ~8,000 made-up words and the real KB vocabulary). Questions are the dev and
holdout questions plus typo'd and synthetic ones. The typo-correction cache is cleared before
every question, so each figure is a cold answer (the worst case).
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import random
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from content.faq import FaqEntry, load_knowledge_base  # noqa: E402
from handlers.engines.faq.answerer import Answerer  # noqa: E402
from handlers.engines.routing import decide  # noqa: E402

SHARED = ROOT.parent / "shared"


def questions() -> list[str]:
    found: list[str] = []
    for path in (SHARED / "eval" / "faq_dev.yaml", ROOT / "tests" / "faq_holdout.yaml"):
        if path.is_file():
            found += [c["q"] for c in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]]
    return found or ["what is sbri", "how long is standstill", "council tax", "hello"]


def typo(text: str, rng: random.Random) -> str:
    """Drop, swap or double one letter in one longer word."""
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 5]
    if not long_words:
        return text
    i = rng.choice(long_words)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    words[i] = rng.choice([w[:j] + w[j + 1 :], w[:j] + w[j + 1] + w[j] + w[j + 2 :], w[:j] + w[j] + w[j:]])
    return " ".join(words)


def synthetic_entries(n: int, real: list[FaqEntry], rng: random.Random) -> list[FaqEntry]:
    letters_c, letters_v = "bcdfghklmnprstvwz", "aeiou"
    made_up = {
        "".join(rng.choice(letters_c) + rng.choice(letters_v) for _ in range(rng.randint(2, 5)))
        for _ in range(8000)
    }
    real_words = sorted({w.lower() for e in real for q in e.questions for w in q.split()})
    vocab = sorted(made_up) + real_words
    cum = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(vocab))))
    rng.shuffle(vocab)

    def phrase(lo: int, hi: int) -> str:
        return " ".join(rng.choices(vocab, cum_weights=cum, k=rng.randint(lo, hi)))

    return [
        FaqEntry(
            id=f"syn-{i:04d}",
            title=phrase(2, 5),
            answer=phrase(40, 80),
            questions=tuple(phrase(3, 9) for _ in range(12)),
            keywords=tuple(phrase(1, 2) for _ in range(6)),
            source="synthetic",
            reviewed=datetime.date(2026, 11, 25),
        )
        for i in range(n)
    ]


def time_answers(answerer: Answerer, qs: list[str], repeat: int) -> list[float]:
    times: list[float] = []
    for _ in range(repeat):
        for q in qs:
            answerer._corrections.clear()  # cold: every unknown word is corrected afresh
            start = time.perf_counter()
            answerer.answer(q)
            times.append((time.perf_counter() - start) * 1000)
    return times


def routing_messages() -> list[str]:
    """First messages from the routing dev set: long, friendly, several questions at once."""
    path = SHARED / "eval" / "routing_dev.yaml"
    if not path.is_file():
        path = ROOT / "tests" / "data" / "routing_dev.yaml"
    return [c["q"] for c in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]]


def time_decisions(answerer: Answerer, qs: list[str], repeat: int) -> list[float]:
    """The whole decision for a top-level message (handlers.engines.routing.decide): the FAQ
    read whole and once per question in it; matching left out (its own benchmark)."""
    times: list[float] = []
    for _ in range(repeat):
        for q in qs:
            answerer._corrections.clear()
            start = time.perf_counter()
            decide(q, answerer, None)
            times.append((time.perf_counter() - start) * 1000)
    return times


def multilingual(repeat: int) -> None:
    """The FAQ in six other languages: start-up with the question variants, and the whole
    decision per question of the multilingual dev and held-out sets."""
    from handlers.engines.faq.multilingual import load_answerer

    starts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        answerer = load_answerer()
        starts.append((time.perf_counter() - t0) * 1000)
    print(f"start-up, shipped KB + 6 languages: median {statistics.median(starts):.1f} ms")
    qs: list[str] = []
    for path in (ROOT / "tests" / "data" / "faq_multilingual_dev.yaml",
                 ROOT / "tests" / "faq_multilingual_holdout.yaml"):
        qs += [c["q"] for c in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]]
    times: list[float] = []
    for _ in range(repeat):
        for q in qs:
            for local in answerer._foreign.values():
                local._corrections.clear()
            start = time.perf_counter()
            decide(q, answerer, None)
            times.append((time.perf_counter() - start) * 1000)
    report("6 languages, decisions", times)


def report(label: str, times: list[float]) -> None:
    times = sorted(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(
        f"{label:<34} n={len(times):<5} median {statistics.median(times):.3f} ms"
        f"   p99 {p99:.3f} ms   max {times[-1]:.3f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--entries", type=int, default=2000)
    args = ap.parse_args()
    rng = random.Random(20261125)

    starts = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        real = load_knowledge_base()
        answerer = Answerer(real)
        starts.append((time.perf_counter() - t0) * 1000)
    print(
        f"start-up, shipped KB ({len(real)} entries): load + index median {statistics.median(starts):.1f} ms"
    )

    qs = questions()
    typoed = [typo(q, rng) for q in qs]
    report("shipped KB, questions", time_answers(answerer, qs, args.repeat))
    report("shipped KB, questions with a typo", time_answers(answerer, typoed, args.repeat))

    synthetic = synthetic_entries(args.entries, real, rng)
    t0 = time.perf_counter()
    big = Answerer(real + synthetic)
    build = (time.perf_counter() - t0) * 1000
    print(f"start-up, {len(real) + len(synthetic)} entries: index {build:.0f} ms")
    syn_qs = [typo(rng.choice(e.questions), rng) for e in rng.sample(synthetic, 200)]
    report(f"{len(real) + len(synthetic)} entries, real questions", time_answers(big, qs, args.repeat))
    report(f"{len(real) + len(synthetic)} entries, typo'd questions", time_answers(big, typoed, args.repeat))
    report(
        f"{len(real) + len(synthetic)} entries, synthetic questions", time_answers(big, syn_qs, args.repeat)
    )
    multilingual(args.repeat)
    messages = routing_messages()
    report(f"{len(real) + len(synthetic)} entries, decisions", time_decisions(big, qs, args.repeat))
    report(f"{len(real) + len(synthetic)} entries, first messages",
           time_decisions(big, messages, args.repeat))


if __name__ == "__main__":
    main()
