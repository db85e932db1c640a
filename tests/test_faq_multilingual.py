"""The FAQ in Swedish, Estonian, Hungarian, Italian, Polish and Urdu (issue 18, item 2).

Bars (issue 18): >= 90% of in-scope questions answered right, >= 95% of out-of-scope ones given
no FAQ answer, <= 3% wrong; on the shared dev set and on the private held-out set, read through
the same decision `dips ask` makes (handlers.engines.routing.decide).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from content.faq import KnowledgeBaseError, load_knowledge_base
from content.faq_i18n import load_language_packs
from handlers.app import build_core, seed_catalogue
from handlers.engines.faq.languages import answer_language, detect_language
from handlers.engines.faq.multilingual import MultilingualAnswerer, load_answerer
from handlers.engines.routing import decide
from storage import faq_translations
from storage.models import AuditEntry
from tests.conftest import Chat
from tests.test_cli import run

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
MIN_IN, MIN_OUT, MAX_WRONG = 0.90, 0.95, 0.03


@pytest.fixture(scope="module")
def answerer() -> MultilingualAnswerer:
    return load_answerer()


def score(answerer: MultilingualAnswerer, cases: list[dict]) -> tuple[float, float, float, str]:
    ins = outs = right_in = right_out = wrong = 0
    misses: list[str] = []
    for case in cases:
        decision = decide(case["q"], answerer, lambda said: [])
        got = decision.answers[0].id if decision.action == "answer" else None
        if case["ids"]:
            ins += 1
            if got in case["ids"]:
                right_in += 1
                continue
            wrong += got is not None
        else:
            outs += 1
            if got is None:
                right_out += 1
                continue
        misses.append(f"{case['q']!r} -> {got}, want {case['ids']}")
    report = (f"in {right_in}/{ins} out {right_out}/{outs} wrong {wrong}\n" + "\n".join(misses))
    return right_in / ins, right_out / max(outs, 1), wrong / ins, report


@pytest.mark.parametrize("path", [DATA / "faq_multilingual_dev.yaml",
                                  HERE / "faq_multilingual_holdout.yaml"])
def test_questions_in_six_languages_meet_the_bars(answerer: MultilingualAnswerer,
                                                  path: Path) -> None:
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    acc_in, acc_out, wrong, report = score(answerer, cases)
    assert acc_in >= MIN_IN, report
    assert acc_out >= MIN_OUT, report
    assert wrong <= MAX_WRONG, report


def test_every_language_is_covered_by_the_held_out_set() -> None:
    cases = yaml.safe_load((HERE / "faq_multilingual_holdout.yaml").read_text("utf-8"))["cases"]
    found = [detect_language(c["q"]) for c in cases]
    assert set(found) >= {"sv", "et", "hu", "it", "pl", "ur"}
    # a few short messages with no telling word read as English; they must still be refused
    assert found.count("en") <= len(found) // 20
    assert sum(1 for c in cases if not c["ids"]) >= 12


@pytest.mark.parametrize(("text", "lang"), [
    ("Hur anmäler vi intresse för en utmaning?", "sv"),
    ("Kuidas huvi avaldada?", "et"),
    ("Hogyan lehet jelentkezni a programba?", "hu"),
    ("Come si partecipa al programma?", "it"),
    ("Jak zgłosić zainteresowanie?", "pl"),
    ("میں درخواست کیسے دوں؟", "ur"),
    ("how do I apply", "en"),
    ("stop sending me messages", "en"),
    ("مرحبا، هل يمكنني التقدم؟", "en"),  # Arabic, which we do not serve: not Urdu
])
def test_language_detection(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_a_stored_language_wins_over_the_message() -> None:
    assert answer_language("how do I apply", "sv-SE") == "sv"
    assert answer_language("Come si partecipa?", None) == "it"
    assert answer_language("Come si partecipa?", "de") == "it"  # not one we serve


def test_english_stays_on_the_english_engine(answerer: MultilingualAnswerer) -> None:
    result = answerer.answer("how long does the standstill period last")
    assert result.kind == "answer" and result.language == "en"
    assert result.entry is not None and result.entry.id == "proc-feedback"


def test_bad_translation_files_are_refused_with_every_problem(tmp_path: Path) -> None:
    (tmp_path / "sv.yaml").write_text(
        "language: sv\nentries:\n  no-such-entry: [a, b, c]\n  dips-about: [bara en]\n"
        "answers:\n  dips-about: {title: Om, answer: ''}\n", encoding="utf-8")
    (tmp_path / "de.yaml").write_text("language: de\nentries: {}\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_language_packs({e.id for e in load_knowledge_base()}, tmp_path)
    problems = "\n".join(caught.value.problems)
    assert "no-such-entry" in problems and "at least 3" in problems
    assert "non-empty 'title' and 'answer'" in problems and "de.yaml" in problems


def test_shipped_translations_cover_every_entry_in_every_language() -> None:
    entries = load_knowledge_base()
    packs = load_language_packs({e.id for e in entries})
    assert set(packs) == {"sv", "et", "hu", "it", "pl", "ur"}
    for pack in packs.values():
        assert set(pack.questions) == {e.id for e in entries}
        assert "dips-eligibility" in pack.answers


@pytest.fixture
async def chat(store):
    await seed_catalogue(store)
    return Chat(build_core(store))


async def test_a_swedish_question_is_answered_in_swedish_unreviewed_with_english_one_tap(
        chat, store) -> None:
    await chat.send("Får ett litet företag vara med i programmet? Vem kan delta?")
    assert "små och medelstora företag" in chat.text
    assert "Source:" in chat.text and "reviewed 2026-" in chat.text
    assert "not yet reviewed by a council officer" in chat.text
    await chat.press_label("English")
    assert "DIPS is for small and medium-sized enterprises" in chat.text
    assert "not yet reviewed" not in chat.text

    pack = chat.core.answerer.packs["sv"]
    async with store.session() as session:
        await faq_translations.mark_reviewed(session, "slack:U1", "dips-eligibility", "sv",
                                             pack.answers["dips-eligibility"].digest)
        await session.commit()
    await chat.send("Får ett litet företag vara med i programmet? Vem kan delta?")
    assert "Translation reviewed by a council officer" in chat.text


async def test_without_a_translation_the_english_answer_comes_with_a_note(chat) -> None:
    # Swedish now translates every entry, so take one translation out to reach this path.
    packs = chat.core.answerer.packs
    packs["sv"] = replace(packs["sv"], answers={
        k: v for k, v in packs["sv"].answers.items() if k != "proc-feedback"})
    await chat.send("Hur länge varar avtalsspärren efter tilldelningsbeslutet?")
    assert "not yet translated into your language" in chat.text
    assert "Source:" in chat.text


async def test_an_out_of_scope_question_in_urdu_gets_no_faq_answer(chat) -> None:
    await chat.send("برمنگھم میں بہترین بریانی کہاں ملتی ہے؟")
    assert "Source:" not in chat.text and chat.text


def test_cli_lists_translations_and_records_a_review_in_the_audit_log(store, db_url) -> None:
    listed = run(["faq", "translations"], db_url)
    assert listed.returncode == 0, listed.stderr
    assert "dips-eligibility             sv  not yet reviewed" in listed.stdout
    done = run(["faq", "translations", "--review", "dips-eligibility", "sv", "--by", "anna"],
               db_url)
    assert done.returncode == 0, done.stderr
    assert "dips-eligibility             sv  reviewed" in run(["faq", "translations"],
                                                             db_url).stdout
    missing = run(["faq", "translations", "--review", "dips-eligibility", "de", "--by", "a"],
                  db_url)
    assert missing.returncode == 1 and "no 'de' translation" in missing.stderr


async def test_review_is_an_audit_entry(store) -> None:
    async with store.session() as session:
        await faq_translations.mark_reviewed(session, "cli:anna", "dips-about", "it", "abc")
        await session.commit()
    async with store.session() as session:
        assert await faq_translations.is_reviewed(session, "dips-about", "it", "abc")
        assert not await faq_translations.is_reviewed(session, "dips-about", "it", "changed")
        rows = list(await session.scalars(select(AuditEntry)))
        assert [r.actor for r in rows] == ["cli:anna"]


async def test_an_sme_who_chose_swedish_gets_the_swedish_answer_to_an_english_question(
        chat) -> None:
    # /language stores the choice on the identity; the FAQ answer follows it, not the message
    await chat.send("/language sv")
    await chat.send("Who can take part in DIPS? Can a small business join?")
    assert "små och medelstora företag" in chat.text
    assert "DIPS is for small and medium-sized enterprises" not in chat.text
    await chat.press_label("engelska")  # the English stays one tap away, labelled in Swedish
    assert "DIPS is for small and medium-sized enterprises" in chat.text
