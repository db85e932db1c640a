"""Benchmark the matcher: 10,000 synthetic open challenges of realistic length.

Usage: PYTHONPATH=. .venv/bin/python bench/bench_match.py [--challenges 10000] [--queries 400]
       [--vocab dense|tail] [--no-meaning]

Challenges get a 4-8 word title, a 20-40 word summary and 3-12 tags. `--vocab dense` (the
default) draws every word from ~400 council-topic words, Zipf-like, as a real catalogue reuses
the same few hundred words: postings are long, which is what makes a query expensive.
`--vocab tail` is the older mode: a quarter of the words from 20,000 made-up words, so most
tags are distinct and the typo vocabulary is large. Queries mix short tag queries, typo'd
phrases, long informal descriptions and things nothing fits. Prints index build time, median /
p99 ms per query, the meaning index's build, and the process's peak memory (RSS).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time
from dataclasses import dataclass
from datetime import date

from handlers.engines import semantic
from handlers.engines.matching.index import Matcher

TOPICS = """air quality pollution sensors schools transport mobility bikes scooters buses trams
parking charging electric vehicles roads potholes highways bridges lighting waste recycling
litter bins flytipping graffiti noise nuisance housing tenants repairs damp mould heating
insulation retrofit energy solar heat pumps homelessness rough sleeping benefits debt council
tax payments libraries museums parks trees biodiversity flooding drainage rivers climate
adaptation carbon emissions health wellbeing loneliness older people carers disability
dementia children families schools fostering adoption youth employment skills apprentices
careers training digital inclusion broadband devices accessibility consultation planning
maps licensing markets food growers allotments farms nutrition obesity smoking alcohol drugs
safety crime antisocial behaviour domestic abuse safeguarding victims volunteers community
events culture tourism heritage business rates procurement contracts data analytics
dashboards forecasting booking scheduling routing logistics fleet drones cameras monitoring
alerts chatbots portals apps platforms""".split()  # noqa: SIM905
# More of a council's everyday topic words, for the dense vocabulary.
MORE_TOPICS = """adults social care support independent living home visits hospital discharge
reablement equipment telecare falls prevention medication reminders nursing homes domiciliary
mental crisis counselling peer advice information signposting neighbourhoods estates tenancy
rents arrears evictions temporary accommodation hostels allocations lettings landlords
enforcement inspections hygiene takeaways licensing taxis pubs alcohol gambling trading
standards scams consumer pest control dogs animals cemeteries bereavement registration births
marriages elections voting census libraries reading literacy numeracy languages english
refugees asylum migrants integration translation interpreting schools admissions attendance
exclusions special needs transport pupils teachers nurseries childcare early years
playgrounds sports leisure centres swimming pools cycling walking routes footpaths canals
towpaths green spaces wildlife pollinators hedges verges grass cutting street cleaning
gritting winter weather heatwaves cooling shelters emergencies resilience evacuation sirens
fire safety tower blocks cladding sprinklers lifts accessibility ramps hearing visual
impairment wheelchair blue badges concessionary passes fares tickets journeys timetables
stops shelters signage wayfinding congestion traffic lights junctions speed cameras
collisions pedestrians crossings parking permits fines appeals complaints feedback surveys
engagement participation budgets grants funding charities volunteers donations foodbanks
pantries surplus meals cooking kitchens growing compost orchards markets traders stalls
high streets shops vacant units regeneration investment jobs fairs""".split()  # noqa: SIM905
FILLER = """the a of to and for with in on by that help residents council people local city
improve better support new way make easier find services public officers across""".split()  # noqa: SIM905
TEMPLATES = [
    "we make {a} {b} for {c}",
    "{a} {b}",
    "{a}",
    "app that helps {c} with {a} and {b}",
    "our start-up builds {a} {b} tools for councils and {c} groups",
    "{a} {b} {c} {d}",
]


@dataclass(frozen=True)
class Synthetic:
    ref: str
    title: str
    department: str
    summary: str
    tags: tuple[str, ...]
    status: str = "open"
    closes: date | None = date(2099, 12, 31)


def made_up_words(rng: random.Random, n: int) -> list[str]:
    """Pronounceable nonsense words: the long tail of names and jargon in real briefs."""
    consonants, vowels = "bcdfghjklmnprstvwz", "aeiou"
    out: set[str] = set()
    while len(out) < n:
        out.add("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(rng.randint(2, 4))))
    return sorted(out)


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1 :]  # drop a letter
    if kind == 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swap two
    return word[:i] + rng.choice("aeiourst") + word[i + 1 :]  # wrong letter


def build_catalogue(rng: random.Random, n: int, vocab: str = "dense") -> list[Synthetic]:
    dense = vocab == "dense"
    topics = list(dict.fromkeys(TOPICS + MORE_TOPICS)) if dense else TOPICS
    tail = [] if dense else made_up_words(rng, 20_000)
    # Zipf-like: a few topic words are everywhere, most words are rarer.
    topic_weights = [1 / (r + 1) ** 0.8 for r in range(len(topics))]
    challenges = []
    for i in range(n):

        def word() -> str:
            if tail and rng.random() < 0.25:
                return rng.choice(tail)
            return rng.choices(topics, topic_weights)[0]

        tags = tuple(
            dict.fromkeys(
                " ".join(word() for _ in range(rng.choice((1, 1, 2, 2, 3))))
                for _ in range(rng.randint(5, 12))
            )
        )
        summary = " ".join(
            rng.choice(FILLER) if rng.random() < 0.4 else word() for _ in range(rng.randint(20, 40))
        )
        title = " ".join(word() for _ in range(rng.randint(4, 8)))
        challenges.append(Synthetic(f"c{i:05d}", title.capitalize(), "Dept", summary, tags))
    return challenges


def build_queries(rng: random.Random, challenges: list[Synthetic], n: int) -> list[str]:
    queries = []
    for _ in range(n):
        c = rng.choice(challenges)
        pool = [w for t in c.tags for w in t.split()] + c.title.lower().split()
        picks = [rng.choice(pool) for _ in range(4)]
        if rng.random() < 0.4:
            picks = [typo(rng, w) for w in picks]
        if rng.random() < 0.1:
            picks = ["blockchain", "handbags", "crypto", "games"]  # nothing fits
        template = rng.choice(TEMPLATES)
        queries.append(template.format(a=picks[0], b=picks[1], c=picks[2], d=picks[3]))
    return queries


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--challenges", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--vocab", choices=("dense", "tail"), default="dense")
    ap.add_argument("--no-meaning", action="store_true", help="leave the meaning fallback out")
    args = ap.parse_args()
    if not args.no_meaning:
        semantic.model()  # loaded once per process, before anything is timed
    rng = random.Random(args.seed)
    catalogue = build_catalogue(rng, args.challenges, args.vocab)
    queries = build_queries(rng, catalogue, args.queries)
    words = [len(c.summary.split()) for c in catalogue]
    tags = [len(c.tags) for c in catalogue]
    vocabulary = {w for c in catalogue for w in f"{c.title} {c.summary} {' '.join(c.tags)}".lower().split()}
    print(
        f"{len(catalogue)} open challenges ({args.vocab} vocabulary, {len(vocabulary)} distinct words):"
        f" summary {min(words)}-{max(words)} words, {min(tags)}-{max(tags)} tags; {len(queries)} queries"
    )

    builds, cpu = [], []
    for _ in range(3):
        started, started_cpu = time.perf_counter(), time.process_time()
        matcher = Matcher(catalogue, meaning=not args.no_meaning)
        builds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    print(
        f"index build: first {builds[0]:.3f} s (cold word memo), best {min(builds):.3f} s,"
        f" median {statistics.median(builds):.3f} s of 3; CPU median {statistics.median(cpu):.3f} s"
    )

    # Cold: each query seen for the first time (typo corrections not yet cached).
    matcher = Matcher(catalogue, meaning=not args.no_meaning)
    if not args.no_meaning:
        started = time.perf_counter()
        matcher.meaning()  # what CatalogueIndex's worker thread does right after the build
        print(f"meaning index build (embeddings of every challenge): {time.perf_counter() - started:.3f} s")
    times, empty = [], 0
    for q in queries:
        started = time.perf_counter()
        found = matcher.match(q)
        times.append((time.perf_counter() - started) * 1000)
        empty += not found
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(
        f"per query (cold): median {statistics.median(times):.2f} ms, p99 {p99:.2f} ms, "
        f"max {times[-1]:.2f} ms; {empty} of {len(queries)} answered 'nothing fits'"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak process memory (RSS): {rss:.0f} MB{'' if args.no_meaning else ', model loaded'}")


if __name__ == "__main__":
    main()
