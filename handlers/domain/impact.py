"""The impact report: the DIPS action plan's measures over a period [since, until).

Definitions (the same for Slack, the console and `dips impact`):
- SMEs engaged: distinct organisations with at least one EOI submitted in the period
  (a later withdrawal still counts: they engaged).
- Council departments engaged: distinct departments owning a challenge that received an EOI in
  the period. Officer actions alone don't count a department: the action plan measures the
  departments whose challenges drew SMEs in.
- Officers engaged: distinct people (platform:user) who did an officer action in the period:
  an audited action (stage changes, exports...) by someone holding the officer/admin role
  now or an officer-only action (so a since-revoked officer still counts), or a stage change
  after submission made by a current officer/admin. The command line ("cli") is no person.
- SMEs from the BETTER partner cities: engaged organisations whose city is Gävle, Tartu,
  Nyíregyháza or Genoa, matched without accents or case (Gavle, Nyiregyhaza, Genova too).
- SMEs from other countries: engaged organisations whose country is not the United Kingdom.
- Funnel: of the EOIs submitted in the period, how many reached each stage (or a later one)
  before `until`, counting each EOI's furthest stage after corrections: an undone move never
  counts, and a move back (a correction made before moves could be undone) withdraws the
  stages above it. Then how many had ended not selected or withdrawn by `until`; plus where
  they stand now.
- SMEs engaged over time: per calendar month of the period, organisations with an EOI that
  month, new ones (first EOI ever), and the running total since the period began.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.early_measures import EarlyStages, early_measures
from handlers.domain.export import csv_safe
from handlers.domain.stages import END_STAGES, STAGES, stage_label
from handlers.kernel.text import t
from storage import impact as queries

PARTNER_CITIES = {"gavle": "Gävle", "tartu": "Tartu", "nyiregyhaza": "Nyíregyháza",
                  "genoa": "Genoa", "genova": "Genoa"}
UK_NAMES = {"united kingdom", "uk", "u.k.", "gb", "great britain", "britain", "england",
            "scotland", "wales", "northern ireland", "united kingdom of great britain and "
            "northern ireland"}
# Audited actions only officers and admins can take (see handlers/roles.py).
OFFICER_ACTIONS = {"stage_change", "stage_undo", "export", "impact_export", "broadcast", "answer"}


def fold(text: str) -> str:
    """Lower case without accents, for matching city and country names."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


def partner_city(city: str) -> str | None:
    return PARTNER_CITIES.get(fold(city))


def is_uk(country: str) -> bool:
    return fold(country) in UK_NAMES


@dataclass
class MonthPoint:
    month: str  # YYYY-MM
    active: int  # organisations with an EOI that month
    new: int  # organisations whose first EOI ever was that month
    cumulative: int  # organisations engaged from the period's start to the month's end
    # Running totals from the period's start to the month's end, like `cumulative`:
    departments: int = 0  # departments whose challenges drew an EOI
    officers: int = 0  # officers engaged (their first officer action)
    partner_smes: int = 0  # SMEs from the BETTER partner cities


@dataclass
class ImpactReport:
    since: date | None
    until: date | None
    smes_engaged: int
    departments_engaged: int
    officers_engaged: int
    partner_city_smes: int
    other_country_smes: int
    eois: int
    departments: list[str] = field(default_factory=list)
    partner_cities: dict[str, int] = field(default_factory=dict)
    other_countries: dict[str, int] = field(default_factory=dict)
    funnel: dict[str, int] = field(default_factory=dict)  # stage -> EOIs that reached it
    ended: dict[str, int] = field(default_factory=dict)  # not-selected/withdrawn -> EOIs ended so
    current: dict[str, int] = field(default_factory=dict)  # stage -> EOIs there now
    over_time: list[MonthPoint] = field(default_factory=list)
    early: EarlyStages = field(default_factory=EarlyStages)  # the early stages' own measures
    # Partners across cities (issue 18), each {city key: count}; see partnering() below.
    partnering: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["since"] = self.since.isoformat() if self.since else None
        data["until"] = self.until.isoformat() if self.until else None
        return data

    def period_text(self) -> str:
        if self.since and self.until:
            return t("impact.from_to", since=self.since, until=self.until)
        if self.since:
            return t("impact.since", since=self.since)
        if self.until:
            return t("impact.before", until=self.until)
        return t("impact.all_time")

    def to_text(self) -> str:
        """Plain text for any chat platform (adapters escape it)."""
        lines = [
            t("impact.smes_with_eois", count=self.smes_engaged, eois=self.eois),
            t("impact.departments", count=self.departments_engaged)
            + (f" ({', '.join(self.departments)})" if self.departments else ""),
            t("impact.officers", count=self.officers_engaged),
            t("impact.partner_cities", count=self.partner_city_smes)
            + _breakdown(self.partner_cities),
            t("impact.other_countries", count=self.other_country_smes)
            + _breakdown(self.other_countries),
            "", t("impact.funnel"),
        ]
        if any(self.partnering.values()):
            lines += ["", t("impact.partnering")]
            lines += [f"  {t(f'impact.partnering_{name}')}{_breakdown(counts)}"
                      for name, counts in self.partnering.items()]
        lines += [f"  {stage_label(s)}: {self.funnel.get(s, 0)}" for s in STAGES]
        lines += [f"  {stage_label(s)}: {self.ended.get(s, 0)}" for s in END_STAGES]
        if self.over_time:
            lines += ["", t("impact.by_month")]
            lines += [f"  {p.month}: {p.active} / {p.new} / {p.cumulative}" for p in self.over_time[-12:]]
        return "\n".join(lines + self._early_lines())

    def _early_lines(self) -> list[str]:
        e = self.early
        by_department = ", ".join(f"{d} {n}" for d, n in e.challenges_by_department.items())
        return ["", t("impact_early.title"),
                t("impact_early.defined", count=sum(e.challenges_by_department.values()),
                  departments=by_department or "-"),
                t("impact_early.to_publication", count=e.published_from_drafts,
                  days=e.median_days_to_publication if e.median_days_to_publication is not None
                  else "-"),
                t("impact_early.assessed", count=e.eois_assessed),
                t("impact_early.workshops", count=e.workshops_held, smes=e.smes_attending)]

    def to_csv(self) -> bytes:
        """measure,key,value rows: one flat table a spreadsheet can pivot."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["measure", "key", "value"])
        writer.writerow(["period", "since", self.since.isoformat() if self.since else ""])
        writer.writerow(["period", "until", self.until.isoformat() if self.until else ""])
        for name in ("smes_engaged", "departments_engaged", "officers_engaged", "partner_city_smes",
                     "other_country_smes", "eois"):
            writer.writerow([name, "", getattr(self, name)])
        for city, n in self.partner_cities.items():
            writer.writerow(["partner_city", csv_safe(city), n])
        for country, n in self.other_countries.items():
            writer.writerow(["other_country", csv_safe(country), n])
        for department in self.departments:
            writer.writerow(["department", csv_safe(department), 1])
        for name, counts in self.partnering.items():
            for city, n in counts.items():
                writer.writerow([name, city, n])
        for stage in STAGES:
            writer.writerow(["funnel", stage, self.funnel.get(stage, 0)])
        for stage in END_STAGES:
            writer.writerow(["funnel", stage, self.ended.get(stage, 0)])
        for stage, n in self.current.items():
            writer.writerow(["current_stage", stage, n])
        for p in self.over_time:
            writer.writerow(["smes_active", p.month, p.active])
            writer.writerow(["smes_new", p.month, p.new])
            writer.writerow(["smes_cumulative", p.month, p.cumulative])
            writer.writerow(["departments_cumulative", p.month, p.departments])
            writer.writerow(["officers_cumulative", p.month, p.officers])
            writer.writerow(["partner_smes_cumulative", p.month, p.partner_smes])
        for department, n in self.early.challenges_by_department.items():
            writer.writerow(["challenges_defined", csv_safe(department), n])
        writer.writerow(["published_from_drafts", "", self.early.published_from_drafts])
        writer.writerow(["median_days_draft_to_publication", "",
                         "" if self.early.median_days_to_publication is None
                         else self.early.median_days_to_publication])
        writer.writerow(["eois_assessed", "", self.early.eois_assessed])
        writer.writerow(["workshops_held", "", self.early.workshops_held])
        writer.writerow(["smes_attending_workshops", "", self.early.smes_attending])
        return out.getvalue().encode("utf-8")


def _breakdown(counts: dict[str, int]) -> str:
    return f" ({', '.join(f'{k} {v}' for k, v in counts.items())})" if counts else ""


def _midnight(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


async def build_report(session: AsyncSession, since: date | None = None,
                       until: date | None = None) -> ImpactReport:
    """Every figure over [since, until) (dates at 00:00 UTC; None means open-ended)."""
    start, end = _midnight(since), _midnight(until)
    rows = await queries.eois_in_period(session, start, end)
    orgs: dict[int, queries.EoiRow] = {}
    for row in rows:
        orgs.setdefault(row.organisation_id, row)
    partner: dict[str, int] = {}
    abroad: dict[str, int] = {}
    for row in orgs.values():
        if (city := partner_city(row.city)) is not None:
            partner[city] = partner.get(city, 0) + 1
        if not is_uk(row.country):
            name = row.country.strip() or t("impact.unknown_country")
            abroad[name] = abroad.get(name, 0) + 1
    departments = sorted({row.department for row in rows})

    staff = await queries.staff_identities(session)
    officers: dict[str, datetime] = {}  # who -> their first officer action in the period
    for actor, action, at in await queries.actors_in_period(session, start, end):
        if ":" in actor and (actor in staff or action in OFFICER_ACTIONS):
            officers[actor] = min(at, officers.get(actor, at))
    for actor, at in (await queries.stage_change_actors(session, start, end)).items():
        if actor in staff:
            officers[actor] = min(at, officers.get(actor, at))

    reached = await queries.stages_reached(session, [r.eoi_id for r in rows], end)
    furthest = {eoi_id: furthest_stage(stages) for eoi_id, stages in reached.items()}
    funnel = {stage: sum(1 for r in rows if furthest.get(r.eoi_id, 0) >= i)
              for i, stage in enumerate(STAGES)}
    last = [stages[-1] for stages in reached.values() if stages]
    ended = {stage: last.count(stage) for stage in END_STAGES}
    current: dict[str, int] = {}
    for row in rows:
        current[row.stage] = current.get(row.stage, 0) + 1

    return ImpactReport(
        since=since, until=until, smes_engaged=len(orgs), departments_engaged=len(departments),
        officers_engaged=len(officers), partner_city_smes=sum(partner.values()),
        other_country_smes=sum(abroad.values()), eois=len(rows), departments=departments,
        partner_cities=dict(sorted(partner.items())), other_countries=dict(sorted(abroad.items())),
        funnel=funnel, ended=ended, current={s: current[s] for s in (*STAGES, *END_STAGES) if s in current},
        over_time=_months(rows, start, officers), early=await early_measures(session, start, end),
        partnering=partnering(await queries.partnering_in_period(session, start, end)),
    )


PARTNERING = ("smes", "cross_city_intros", "partnerships", "international_eois")


def partnering(rows: queries.PartnerRows) -> dict[str, dict[str, int]]:
    """By city (Birmingham, the partner cities, other), over the period:
    - smes: distinct SMEs that listed themselves as a partner or asked for an introduction;
    - cross_city_intros: introductions asked between SMEs of two different cities, counted for
      each of the two; partnerships: those both sides agreed to (and neither withdrew);
    - international_eois: EOIs naming a partner from another country, by the EOI's city."""
    figures: dict[str, dict[str, set[Any]]] = {name: {} for name in PARTNERING}

    def add(name: str, city: str, item: Any) -> None:
        figures[name].setdefault(city, set()).add(item)

    for identity_id, city in rows.engaged:
        add("smes", city, identity_id)
    for n, (asking, listed, status) in enumerate(rows.intros):
        if asking != listed:
            for city in (asking, listed):
                add("cross_city_intros", city, n)
                if status == "accepted":
                    add("partnerships", city, n)
    for eoi_id, own, partner in rows.named:
        if own != partner and "other" not in (own, partner):
            add("international_eois", own, eoi_id)
    return {name: {city: len(items) for city, items in sorted(by_city.items())}
            for name, by_city in figures.items()}


def furthest_stage(stages: list[str]) -> int:
    """The index in STAGES of the furthest stage an EOI reached, its moves given in order (undone
    ones already left out): a move back to an earlier stage corrects the ones above it."""
    order = {stage: i for i, stage in enumerate(STAGES)}
    position = furthest = 0
    for stage in stages:
        if stage not in order:  # not selected or withdrawn: the stage reached stands
            continue
        furthest = order[stage] if order[stage] < position else max(furthest, order[stage])
        position = order[stage]
    return furthest


def _months(rows: list[queries.EoiRow], start: datetime | None,
            officers: dict[str, datetime] | None = None) -> list[MonthPoint]:
    if not rows:
        return []
    officers = officers or {}
    first = min(r.created_at for r in rows)
    last = max([r.created_at for r in rows] + list(officers.values()))
    year, month = (start or first).year, (start or first).month
    seen: set[int] = set()
    departments: set[str] = set()
    partners: set[int] = set()
    points = []
    while (year, month) <= (last.year, last.month):
        key = f"{year:04d}-{month:02d}"
        in_month = [r for r in rows if (r.created_at.year, r.created_at.month) == (year, month)]
        active = {r.organisation_id for r in in_month}
        new = {r.organisation_id for r in in_month
               if (r.first_eoi_at.year, r.first_eoi_at.month) == (year, month)}
        seen |= active
        departments |= {r.department for r in in_month}
        partners |= {r.organisation_id for r in in_month if partner_city(r.city)}
        engaged = sum(1 for at in officers.values() if (at.year, at.month) <= (year, month))
        points.append(MonthPoint(key, len(active), len(new), len(seen), len(departments), engaged,
                                 len(partners)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return points
