"""The impact report against a hand count on a seeded store, its CSV, charts, PDF and CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import struct
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from pypdf import PdfReader

from handlers.domain.impact import build_report, fold, is_uk, partner_city
from handlers.domain.impact_chart import chart_png
from storage import challenges
from storage.models import AuditEntry, Eoi, Identity, Organisation, StageChange
from storage.store import Store

ROOT = Path(__file__).resolve().parents[1]


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


CHALLENGES = [
    ("air-quality", "Environment", "open"), ("food-hubs", "Public Health", "open"),
    ("libraries", "Culture", "open"), ("old-one", "Transport", "closed"),
]
ORGS = [  # name, city, country
    ("Acme Ltd", "Birmingham", "United Kingdom"), ("Gävle Tech", "Gavle", "Sweden"),
    ("Tartu Data", "TARTU", "Estonia"), ("Nyír Soft", "Nyíregyháza", "Hungary"),
    ("Genova Srl", "Genova", "Italy"), ("Paris SAS", "Paris", "France"), ("Leeds Co", "Leeds", "UK"),
]
# org index, challenge ref, created, [(stage, at, actor)], current stage
EOIS = [
    (0, "air-quality", "2025-01-10", [("exploration", "2025-02-01", "slack:UOFF1"),
                                      ("accelerator", "2025-03-01", "slack:UOFF1")]),
    (0, "food-hubs", "2025-02-15", []),
    (1, "air-quality", "2025-01-20", [("exploration", "2025-02-05", "console:off2"),
                                      ("not-selected", "2025-03-10", "console:off2")]),
    (2, "food-hubs", "2025-02-20", []),
    (3, "air-quality", "2025-03-05", [("withdrawn", "2025-03-06", "telegram:sme3")]),
    (4, "old-one", "2024-12-01", [("exploration", "2024-12-15", "slack:UOFF1")]),
    (5, "food-hubs", "2025-03-20", [("exploration", "2025-03-25", "slack:UOFF3"),
                                    ("accelerator", "2025-04-01", "slack:UOFF3"),
                                    ("prototype", "2025-04-10", "slack:UOFF3")]),
    (6, "food-hubs", "2025-05-01", []),
]
AUDIT = [("slack:UOFF1", "stage_change", "2025-02-01"), ("slack:UOFF1", "stage_change", "2025-03-01"),
         ("slack:UOFF3", "stage_change", "2025-03-25"), ("slack:UOFF3", "stage_change", "2025-04-10"),
         ("slack:UOFF1", "stage_change", "2024-12-15"), ("cli", "export", "2025-02-02")]
ROLES = [("slack", "UOFF1", "officer"), ("console", "off2", "admin"), ("slack", "UOFF3", "sme")]


async def seed(store: Store) -> dict[str, int]:
    """The store the hand count below was made on; returns {"<ref>/<org>": eoi id}."""
    ids: dict[str, int] = {}
    async with store.session() as session:
        await challenges.upsert_challenges(session, [
            {"ref": ref, "title": ref.replace("-", " ").title(), "department": dept,
             "summary": f"The {ref} challenge.", "tags": ["test"], "status": status, "opens": None,
             "closes": None, "budget": None, "contact": None, "url": None, "sample": False}
            for ref, dept, status in CHALLENGES])
        by_ref = {c.ref: c for c in await challenges.list_challenges(session)}
        orgs, smes = [], []
        for i, (name, city, country) in enumerate(ORGS):
            org = Organisation(name=name, size_band="small", city=city, country=country)
            session.add(org)
            await session.flush()
            sme = Identity(platform="telegram", external_id=f"sme{i}", chat_id=str(1000 + i),
                           role="sme", active=True, organisation_id=org.id)
            session.add(sme)
            orgs.append(org)
            smes.append(sme)
        for platform, user, role in ROLES:
            session.add(Identity(platform=platform, external_id=user, role=role, active=True))
        await session.flush()
        for org_i, ref, created, changes in EOIS:
            eoi = Eoi(organisation_id=orgs[org_i].id, challenge_id=by_ref[ref].id,
                      identity_id=smes[org_i].id, summary=f"{ORGS[org_i][0]} on {ref}",
                      stage=changes[-1][0] if changes else "submitted",
                      created_at=at(created), updated_at=at(created))
            session.add(eoi)
            await session.flush()
            ids[f"{ref}/{org_i}"] = eoi.id
            session.add(StageChange(eoi_id=eoi.id, from_stage=None, to_stage="submitted",
                                    actor=f"telegram:sme{org_i}", at=at(created)))
            previous = "submitted"
            for stage, when, actor in changes:
                session.add(StageChange(eoi_id=eoi.id, from_stage=previous, to_stage=stage,
                                        actor=actor, at=at(when)))
                previous = stage
        for actor, action, when in AUDIT:
            session.add(AuditEntry(actor=actor, action=action, target="x", detail={}, at=at(when)))
    return ids


async def test_figures_match_the_hand_count(store: Store) -> None:
    await seed(store)
    async with store.session() as session:
        report = await build_report(session, date(2025, 1, 1), date(2025, 4, 1))
    # Cohort: the six EOIs submitted from 1 Jan to 31 Mar 2025 (not Dec 2024, not May 2025).
    assert report.eois == 6
    assert report.smes_engaged == 5  # Acme (two EOIs), Gävle Tech, Tartu Data, Nyír Soft, Paris SAS
    assert report.departments == ["Environment", "Public Health"] and report.departments_engaged == 2
    # UOFF1 and UOFF3 (revoked since, but stage changes are officer-only) from the audit log,
    # off2 (admin) from stage changes alone; the SME's withdrawal and "cli" don't count.
    assert report.officers_engaged == 3
    assert report.partner_cities == {"Gävle": 1, "Nyíregyháza": 1, "Tartu": 1}  # Genova: Dec 2024
    assert report.partner_city_smes == 3
    assert report.other_countries == {"Estonia": 1, "France": 1, "Hungary": 1, "Sweden": 1}
    assert report.other_country_smes == 4
    # Reached before 1 April: Paris SAS's accelerator step on 1 April is outside the period.
    assert report.funnel == {"submitted": 6, "exploration": 3, "accelerator": 1, "prototype": 0,
                             "pre-commercialisation": 0}
    assert report.current == {"submitted": 2, "accelerator": 1, "prototype": 1, "not-selected": 1,
                              "withdrawn": 1}
    assert [(p.month, p.active, p.new, p.cumulative) for p in report.over_time] == [
        ("2025-01", 2, 2, 2), ("2025-02", 2, 1, 3), ("2025-03", 2, 2, 5)]
    # Running totals: departments (Environment, then Public Health), officers by their first
    # action (UOFF1 1 Feb, off2 5 Feb, UOFF3 25 Mar), partner-city SMEs (Gävle, Tartu, Nyír).
    assert [(p.departments, p.officers, p.partner_smes) for p in report.over_time] == [
        (1, 0, 1), (2, 2, 2), (2, 3, 3)]


async def test_whole_history_and_open_ended_periods(store: Store) -> None:
    await seed(store)
    async with store.session() as session:
        everything = await build_report(session)
        later = await build_report(session, since=date(2025, 4, 1))
    assert everything.eois == 8 and everything.smes_engaged == 7
    assert everything.partner_city_smes == 4 and everything.other_country_smes == 5  # Leeds is "UK"
    assert everything.departments_engaged == 3  # Transport via the 2024 EOI
    assert everything.funnel["prototype"] == 1
    assert later.eois == 1 and later.smes_engaged == 1 and later.officers_engaged == 1  # UOFF3's 10 Apr


async def test_empty_store_gives_zeros_and_a_chart(store: Store) -> None:
    async with store.session() as session:
        report = await build_report(session)
    assert report.smes_engaged == 0 and report.over_time == [] and report.funnel["submitted"] == 0
    assert chart_png(report).startswith(b"\x89PNG")


def test_city_and_country_matching() -> None:
    assert fold(" NYÍREGYHÁZA ") == "nyiregyhaza"
    assert [partner_city(c) for c in ("gävle", "GAVLE", "Genova", "genoa", "Tartu", "Birmingham")] == [
        "Gävle", "Gävle", "Genoa", "Genoa", "Tartu", None]
    assert is_uk("U.K.") and is_uk("England") and is_uk("united kingdom") and not is_uk("Ukraine")


async def test_csv_and_png(store: Store) -> None:
    await seed(store)
    async with store.session() as session:
        report = await build_report(session, date(2025, 1, 1), date(2025, 4, 1))
    rows = list(csv.reader(io.StringIO(report.to_csv().decode())))
    assert rows[0] == ["measure", "key", "value"]
    assert ["smes_engaged", "", "5"] in rows and ["funnel", "exploration", "3"] in rows
    assert ["partner_city", "Gävle", "1"] in rows and ["smes_cumulative", "2025-03", "5"] in rows
    assert ["officers_cumulative", "2025-02", "2"] in rows
    assert ["partner_smes_cumulative", "2025-03", "3"] in rows
    png = chart_png(report)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (2000, 1500)  # 10 x 7.5 inches at 200 dpi: print resolution
    assert json.loads(json.dumps(report.to_dict()))["funnel"]["accelerator"] == 1


async def test_cli_impact(store: Store, db_url: str, tmp_path: Path) -> None:
    await seed(store)
    env = {**os.environ, "DIPS_DATABASE_URL": db_url}
    env.pop("DIPS_SLACK_BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "impact", "--since", "2025-01-01", "--until", "2025-04-01",
         "--json", "--csv", str(tmp_path / "i.csv"), "--chart", str(tmp_path / "i.png"),
         "--pdf", str(tmp_path / "i.pdf")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["smes_engaged"] == 5 and data["since"] == "2025-01-01" and data["officers_engaged"] == 3
    assert (tmp_path / "i.png").read_bytes().startswith(b"\x89PNG")
    csv_bytes = (tmp_path / "i.csv").read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads "Gävle" as written
    assert "smes_engaged,,5" in csv_bytes.decode("utf-8-sig")
    pages = PdfReader(tmp_path / "i.pdf").pages
    assert len(pages) == 1 and "SMEs engaged: 5" in pages[0].extract_text()
    text = subprocess.run([sys.executable, "-m", "bot.cli", "impact"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert text.returncode == 0 and "SMEs engaged: 7" in text.stdout
    bad = subprocess.run([sys.executable, "-m", "bot.cli", "impact", "--since", "31/01/2025"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2


# ---- the charts and the one-page report, read back ----

async def test_the_charts_show_every_outcome_and_engagement_by_month(store: Store) -> None:
    from matplotlib.text import Text

    from handlers.domain.impact_chart import chart_figure

    await seed(store)
    async with store.session() as session:
        report = await build_report(session, date(2025, 1, 1), date(2025, 4, 1))
    figure = chart_figure(report)
    funnel, over_time = figure.axes
    assert figure.get_suptitle() == "DIPS impact report, from 01 Jan 2025 to 01 Apr 2025"
    labels = [tick.get_text() for tick in funnel.get_yticklabels()]
    widths = [round(bar.get_width()) for bar in funnel.patches]
    assert dict(zip(labels, widths, strict=True)) == {
        "Submitted (invitation of solutions)": 6, "Exploration": 3, "Business accelerator": 1, "Prototype": 0,
        "Pre-commercialisation": 0, "Not selected": 1, "Withdrawn": 1}
    assert funnel.get_xlabel() == "Expressions of interest"
    assert [tick.get_text() for tick in over_time.get_xticklabels()] == ["Jan 2025", "Feb 2025", "Mar 2025"]
    lines = {line.get_label(): list(line.get_ydata()) for line in over_time.get_lines()}
    assert lines == {"SMEs": [2, 3, 5], "Council departments": [1, 2, 2], "Officers": [0, 2, 3],
                     "SMEs from BETTER partner cities": [1, 2, 3]}
    assert over_time.get_ylabel() == "Running total"
    assert any("Birmingham City Council" in text.get_text() for text in figure.findobj(Text))


async def test_the_pdf_is_one_page_with_the_three_measures_and_the_charts(store: Store) -> None:
    from handlers.domain.impact_pdf import report_pdf

    await seed(store)
    async with store.session() as session:
        report = await build_report(session, date(2025, 1, 1), date(2025, 4, 1))
    reader = PdfReader(io.BytesIO(report_pdf(report, date(2025, 4, 2))))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    for expected in (
        "DIPS impact report, from 01 Jan 2025 to 01 Apr 2025", "Prepared on 02 April 2025",
        "1. SMEs engaged in innovative procurement with the council",
        "SMEs engaged: 5 (with 6 expressions of interest)",
        "2. Council service departments and officers engaged",
        "Council departments engaged: 2 (Environment, Public Health)", "Officers engaged: 3",
        "3. SMEs from the BETTER partnership engaged internationally",
        "SMEs from BETTER partner cities: 3 (Gävle 1, Nyíregyháza 1, Tartu 1)",
        "Not selected", "Withdrawn", "Jan 2025", "Mar 2025",
    ):
        assert expected in text, expected
    assert reader.metadata is not None and reader.metadata.title.startswith("DIPS impact report")
