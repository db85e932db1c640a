"""The SMEs' languages (issue 18, items 1 and 3): every SME-facing sentence in Swedish,
Estonian, Hungarian, Italian, Polish and Urdu with the English placeholders; the language taken
from Telegram's language_code on first contact and changed with /language; whole EOIs through
the Telegram fake in Swedish and in Urdu (right to left, as plain text); notices queued by an
officer worded in the recipient's language; challenges' translated titles and summaries."""

from __future__ import annotations

import html
import json
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from sqlalchemy import select

from content.challenges import CatalogueError, parse_catalogue
from content.locale import (
    LANGUAGES,
    RLM,
    english,
    po_path,
    read_translations,
    supported,
)
from content.privacy import privacy
from content.wording import placeholders
from handlers.app import build_core, seed_catalogue
from handlers.domain.outbound import from_payload
from handlers.kernel.text import LRM, CountryName, moment, speaking, t
from handlers.sme.eoi_form import SUMMARY_MAX, SUMMARY_MIN
from storage import challenges, people
from storage.models import Delivery
from storage.store import Store
from tests.conftest import Chat
from tests.fake_telegram import FakeTelegram
from tests.test_eoi_flow import complete_eoi
from tests.test_telegram import USER, Harness, fake, make_core, open_ref, start_bot

__all__ = ["fake"]  # the Telegram harness's fixture
OTHERS = [code for code in LANGUAGES if code != "en"]
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")


def said(code: str, key: str, **values: object) -> str:
    with speaking(code):
        return t(key, **values)


def plain(text: str) -> str:
    """What a reader sees of Telegram HTML: entities decoded, direction marks invisible."""
    return html.unescape(re.sub(r"</?b>", "", text)).replace(RLM, "").replace(LRM, "")


# ---- the catalogues ----

@pytest.mark.parametrize("code", OTHERS)
def test_every_sme_sentence_exists_in_every_language_with_the_same_placeholders(code: str) -> None:
    found = read_translations(code)
    assert found.problems == []
    assert set(found.texts) == set(english())  # the wording file's keys and the privacy notice

    def fields(text: str) -> list[str]:  # each {name:format} exactly, formats included
        return sorted(re.findall(r"\{[^{}]*\}", text))

    for key, text in found.texts.items():
        assert placeholders(text) == placeholders(english()[key]), key
        assert fields(text) == fields(english()[key]), key
    # translated, not copied: a text may equal the English only if, placeholders aside, it has
    # at most one word ("Budget: {budget}", "{reference}: {title}")
    same = [k for k, text in found.texts.items() if text == english()[k]
            and len(re.findall(r"[^\W\d_]{3,}", re.sub(r"\{[^{}]*\}", "", text))) > 1]
    assert same == []


def test_the_english_source_is_the_sme_wording_and_the_privacy_texts() -> None:
    source = english()
    assert len(source) > 250 and "eoi.ask.org_name" in source and "privacy:notice" in source
    assert not any(key.startswith(("officer_eois.", "case.", "broadcast.")) for key in source)


def test_an_outdated_or_broken_translation_falls_back_to_english(tmp_path: Path) -> None:
    catalog = Catalog(locale="sv", domain="messages")
    catalog.add("An older English sentence.", "En äldre mening.", context="menu.what_next")
    catalog.add(english()["eoi.ask.size"], "Hur många?", context="eoi.ask.size", flags=["fuzzy"])
    catalog.add(english()["kernel.refused"], "Förlåt, {vad} bara för {who}.", context="kernel.refused")
    catalog.add(english()["button.cancel"], "Avbryt", context="button.cancel")
    path = po_path("sv", tmp_path)
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        write_po(handle, catalog)
    found = read_translations("sv", tmp_path)
    assert found.texts == {"button.cancel": "Avbryt"}
    assert "sv: menu.what_next translates an older English text" in found.problems
    assert "sv: eoi.ask.size is marked fuzzy" in found.problems
    assert any(p.startswith("sv: kernel.refused has placeholders") for p in found.problems)
    assert "sv: menu.find is not translated" in found.problems


def test_t_writes_in_the_language_being_spoken() -> None:
    assert said("en", "button.cancel") == "Cancel"
    assert said("sv", "button.cancel") == "Avbryt"
    assert said("pl", "button.cancel") == "Anuluj"
    assert said("de", "button.cancel") == "Cancel"  # not offered: English
    assert said("it", "case.sent", id=3) == t("case.sent", id=3)  # officers' texts stay English
    assert said("sv", "challenges.closing_date", date=date(2027, 3, 31)) == "Sista dag: 31 mars 2027"
    assert said("hu", "challenges.closing_date", date=date(2027, 3, 31)).endswith("2027. március 31.")
    with speaking("it"):
        assert str(CountryName("Sweden", "SE")) == "Svezia"
    assert [supported(tag) for tag in ("sv", "pl-PL", "ur_PK", "EN-gb", "de", "", None)] == \
        ["sv", "pl", "ur", "en", None, None, None]


@pytest.mark.parametrize(("code", "day", "when"), [
    ("sv", "fredag 18 juni 2027", "kl. 17:00"), ("et", "reede, 18. juuni 2027", "kell 17:00"),
    ("hu", "2027. június 18., péntek", "17:00"), ("it", "venerdì 18 giugno 2027", "alle 17:00"),
    ("pl", "piątek, 18 czerwca 2027", "o 17:00"), ("ur", "جمعہ، 18 جون، 2027", "17:00")])
def test_dates_and_times_are_written_the_languages_way(code: str, day: str, when: str) -> None:
    """A deadline's weekday, date and hour, in the language's own forms and order (Babel's
    CLDR data): not an English weekday, and not the date where the hour should be."""
    at = datetime(2027, 6, 18, 17, 0, tzinfo=ZoneInfo("Europe/London"))
    text = plain(said(code, "calendar.reminder_48h", title="X", ref="x", date=at))
    assert day in text and when in text and "Friday" not in text
    with speaking(code):
        assert day in moment(at) and "17:00" in moment(at)


def test_urdu_lines_start_right_to_left_and_latin_values_keep_their_order() -> None:
    text = said("ur", "eoi.registered", title="Food hubs (pilot).", reference="EOI-000001",
                department="Public Health")
    lines = [line for line in text.split("\n") if line]
    assert all(line.startswith(RLM) for line in lines)
    assert f"{LRM}Food hubs (pilot).{LRM}" in text and f"{LRM}EOI-000001{LRM}" in text
    assert all(ARABIC_SCRIPT.search(line) for line in lines)
    mixed = said("ur", "eoi.profile", name="Acme", size="چھوٹی", city="Birmingham",
                 country="United Kingdom", website="acme.example", contact="Sam", email="s@a.example")
    assert "\u200eچھوٹی" not in mixed  # text already right to left is left as it is


# ---- Telegram: first contact, /language, whole EOIs ----

async def walk_eoi_in(bot: Harness, code: str, ref: str, title: str, department: str) -> str:
    """An SME's whole EOI through the Telegram fake, reading and pressing in `code`."""
    def expect(key: str, text: str, **values: object) -> None:
        assert plain(said(code, key, **values)) in plain(text), (key, text)

    expect("eoi.ask.org_name", await bot.say(f"/interest {ref}"), title=title)
    expect("eoi.ask.size", await bot.say("Acme Sensors Ltd"))
    expect("eoi.ask.country", await bot.press(said(code, "eoi.size.small")))
    with speaking(code):
        uk = str(CountryName("United Kingdom", "GB"))
    expect("eoi.ask.city", await bot.press(uk))
    expect("eoi.ask.website", await bot.say("Birmingham"))
    expect("eoi.ask.contact_name", await bot.press(said(code, "eoi.skip")))
    expect("eoi.ask.email", await bot.say("Sam Smith"))
    text = await bot.say("sam@example.com")
    expect("eoi.ask.summary", text, title=title, low=SUMMARY_MIN, high=SUMMARY_MAX)
    expect("language.officers_read_english", text)
    text = await bot.say("We run refrigerated electric vans that share surplus food between hubs.")
    assert plain(privacy().consent(730, code)) in plain(text)
    text = await bot.press(said(code, "eoi.agree"))
    assert plain(said(code, "eoi.ask.confirm", summary="")).strip() in plain(text)
    assert "Acme Sensors Ltd" in plain(text) and plain(said(code, "eoi.size.small")) in plain(text)
    text = await bot.press(said(code, "eoi.submit"))
    expect("eoi.registered", text, title=title, reference="EOI-000001", department=department)
    return text


async def _bot_in(fake: FakeTelegram, store: Store, code: str) -> tuple[Harness, str, str, str]:
    ref = await open_ref(store)
    async with store.session() as session:
        challenge = await challenges.get_challenge(session, ref)
        assert challenge is not None
        title, department = challenge.title, challenge.department
    fake.languages[USER] = code
    return await start_bot(fake, make_core(store)), ref, title, department


async def language_of(store: Store, user: int = USER) -> str | None:
    async with store.session() as session:
        identity = await people.get_identity(session, "telegram", str(user))
    return None if identity is None else identity.language


async def test_a_whole_eoi_in_swedish(fake: FakeTelegram, store: Store) -> None:
    bot, ref, title, department = await _bot_in(fake, store, "sv")
    try:
        await walk_eoi_in(bot, "sv", ref, title, department)
    finally:
        await bot.adapter.stop()
    assert await language_of(store) == "sv"
    sent = fake.texts(USER)
    assert all(RLM not in text and LRM not in text for text in sent)
    assert not any("{" in text or "}" in text for text in sent)


async def test_a_whole_eoi_in_urdu_reads_right_to_left_as_plain_text(
        fake: FakeTelegram, store: Store) -> None:
    bot, ref, title, department = await _bot_in(fake, store, "ur")
    try:
        await walk_eoi_in(bot, "ur", ref, title, department)
    finally:
        await bot.adapter.stop()
    assert await language_of(store) == "ur"
    for call in fake.sent(USER):
        sent = call.params["text"]
        assert call.params.get("parse_mode") in (None, "HTML")
        assert "\ufffd" not in sent and "{" not in sent and "&amp;" not in sent
        assert "<" not in re.sub(r"</?b>", "", sent)  # no markup but the title's bold
        for line in sent.split("\n"):
            if line.strip():  # every line laid out right to left, and written in Urdu
                assert line.removeprefix("<b>").startswith(RLM), line
        assert ARABIC_SCRIPT.search(sent)
        for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:  # buttons in Urdu too (the user's own typed values aside)
                assert ARABIC_SCRIPT.search(button["text"]) or button["text"].isascii(), button


async def test_language_code_counts_on_first_contact_and_language_changes_it(
        fake: FakeTelegram, store: Store) -> None:
    fake.languages[USER] = "pl-PL"
    bot = await start_bot(fake, make_core(store))
    try:
        assert plain(said("pl", "menu.welcome")) in plain(await bot.say("/start"))
        fake.languages[USER] = "it"  # Telegram's setting changed later: their choice stands
        assert plain(said("pl", "menu.what_next")) in plain(await bot.say("/menu"))
        text = await bot.say("/language")
        assert plain(said("pl", "language.choose", current="polski")) in plain(text)
        labels = [b["text"] for row in fake.last_keyboard(USER) for b in row]
        assert labels == list(LANGUAGES.values())
        text = await bot.press("Svenska")
        assert plain(said("sv", "language.set", language="svenska")) in plain(text)
        assert await language_of(store) == "sv"
        assert "Avbryt" in await bot.say("/forget") or "Nej, behåll det" in str(
            fake.last_keyboard(USER))
        await bot.say("/language english")
        assert await language_of(store) == "en"
        await bot.deliver(fake.message(USER, "/mydata"))
        [doc] = fake.sent(USER, method="sendDocument")
        assert json.loads(doc.params["document"].content)["identity"]["language"] == "en"
        fake.languages[USER + 1] = "de"  # not offered: English, and remembered as such
        assert "Welcome" in await bot.say("/start", user=USER + 1)
        assert await language_of(store, USER + 1) == "en"
    finally:
        await bot.adapter.stop()


# ---- notices queued by officers: the recipient's language ----

async def test_an_officers_stage_move_reaches_the_sme_in_their_language(store: Store) -> None:
    await seed_catalogue(store)
    core = build_core(store, with_faq=False, with_matching=False)
    sme = Chat(core, user="sme1", platform="telegram")
    await complete_eoi(sme)
    async with store.session() as session:
        identity = await people.get_identity(session, "telegram", "sme1")
        assert identity is not None
        await people.set_language(session, identity, "pl")
        await people.set_role(session, "console", "off1", "officer")
    officer = Chat(core, user="off1")
    await officer.send("/stage EOI-000001 exploration")
    await officer.press_label("Confirm")
    assert "moved from" in officer.text  # the officer's own reply stays English
    async with store.session() as session:
        [notice] = await session.scalars(select(Delivery).where(Delivery.kind == "stage_change"))
        eoi_title = notice.payload["text"].split("(")[1]
    reply = from_payload(notice.payload)
    assert reply.text.startswith("Informacja o EOI-000001")
    assert said("pl", "stage.exploration") in reply.text and eoi_title


# ---- item 3: challenges' translations ----

CATALOGUE = {"challenges": [{
    "ref": "food-hubs-x", "title": "Sustainable food hubs", "department": "Public Health",
    "summary": "Hubs that share surplus food between community kitchens.", "tags": ["food"],
    "status": "open", "translations": {
        "sv": {"title": "Hållbara livsmedelsnav",
               "summary": "Nav som delar överbliven mat mellan kvarterskök."},
        "ur": {"title": "پائیدار خوراک کے مراکز"}}}]}


def test_the_catalogue_takes_optional_translations_and_refuses_bad_ones() -> None:
    [spec] = parse_catalogue(CATALOGUE)
    assert spec.translations is not None and spec.translations["ur"] == {
        "title": "پائیدار خوراک کے مراکز"}
    bad = {"challenges": [{**CATALOGUE["challenges"][0],
                           "translations": {"de": {"title": "x"}, "pl": {"body": "y"},
                                            "it": {"title": "t" * 201}}}]}
    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(bad)
    problems = raised.value.problems
    assert len(problems) == 3, problems
    assert any("translations.de" in p for p in problems)
    assert any("translations.pl" in p for p in problems)
    assert any("translations.it" in p and "at most 200" in p for p in problems)


async def test_a_challenge_is_shown_in_the_smes_language_or_in_english_with_a_note(
        store: Store) -> None:
    import dataclasses

    async with store.session() as session:
        await challenges.upsert_challenges(
            session, [dataclasses.asdict(s) for s in parse_catalogue(CATALOGUE)])
    core = build_core(store, with_faq=False, with_matching=False)
    for code, title, summary, note in (
            ("sv", "Hållbara livsmedelsnav", "Nav som delar överbliven mat", False),
            ("ur", "پائیدار خوراک کے مراکز", "Hubs that share surplus food", True),
            ("pl", "Sustainable food hubs", "Hubs that share surplus food", True),
            ("en", "Sustainable food hubs", "Hubs that share surplus food", False)):
        chat = Chat(core, user=f"sme-{code}")
        await chat.send(f"/language {code}")
        await chat.send("/challenge food-hubs-x")
        [reply] = chat.replies
        assert title in plain(reply.title or "") and summary in plain(reply.text), code
        assert (plain(said(code, "language.officers_read_english")) in plain(reply.text)) == note
        await chat.send("/challenges")
        assert title in plain(chat.text)
