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
  before `until`; plus where they stand now.
- SMEs engaged over time: per calendar month of the period, organisations with an EOI that
  month, new ones (first EOI ever), and the running total since the period began.
"""

from __future__ import annotations

import csv
import io
import struct
import unicodedata
import zlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.stages import END_STAGES, STAGES, stage_label
from storage import impact as queries

PARTNER_CITIES = {"gavle": "Gävle", "tartu": "Tartu", "nyiregyhaza": "Nyíregyháza",
                  "genoa": "Genoa", "genova": "Genoa"}
UK_NAMES = {"united kingdom", "uk", "u.k.", "gb", "great britain", "britain", "england",
            "scotland", "wales", "northern ireland", "united kingdom of great britain and "
            "northern ireland"}
# Audited actions only officers and admins can take (see handlers/roles.py).
OFFICER_ACTIONS = {"stage_change", "export", "impact_export", "broadcast", "answer"}


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
    current: dict[str, int] = field(default_factory=dict)  # stage -> EOIs there now
    over_time: list[MonthPoint] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["since"] = self.since.isoformat() if self.since else None
        data["until"] = self.until.isoformat() if self.until else None
        return data

    def period_text(self) -> str:
        if self.since and self.until:
            return f"from {self.since:%d %b %Y} to {self.until:%d %b %Y}"
        if self.since:
            return f"since {self.since:%d %b %Y}"
        if self.until:
            return f"before {self.until:%d %b %Y}"
        return "since the programme began"

    def to_text(self) -> str:
        """Plain text for any chat platform (adapters escape it)."""
        lines = [
            f"SMEs engaged: {self.smes_engaged} (with {self.eois} expressions of interest)",
            f"Council departments engaged: {self.departments_engaged}"
            + (f" ({', '.join(self.departments)})" if self.departments else ""),
            f"Officers engaged: {self.officers_engaged}",
            f"SMEs from BETTER partner cities: {self.partner_city_smes}"
            + _breakdown(self.partner_cities),
            f"SMEs from other countries: {self.other_country_smes}" + _breakdown(self.other_countries),
            "", "Funnel (EOIs that reached each stage):",
        ]
        lines += [f"  {stage_label(s)}: {self.funnel.get(s, 0)}" for s in STAGES]
        ended = [f"{stage_label(s).lower()}: {self.current.get(s, 0)}" for s in END_STAGES]
        lines.append("  Ended: " + ", ".join(ended))
        if self.over_time:
            lines += ["", "SMEs engaged by month (active / new / running total):"]
            lines += [f"  {p.month}: {p.active} / {p.new} / {p.cumulative}" for p in self.over_time[-12:]]
        return "\n".join(lines)

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
        for stage in STAGES:
            writer.writerow(["funnel", stage, self.funnel.get(stage, 0)])
        for stage, n in self.current.items():
            writer.writerow(["current_stage", stage, n])
        for p in self.over_time:
            writer.writerow(["smes_active", p.month, p.active])
            writer.writerow(["smes_new", p.month, p.new])
            writer.writerow(["smes_cumulative", p.month, p.cumulative])
        return out.getvalue().encode("utf-8")


def _breakdown(counts: dict[str, int]) -> str:
    return f" ({', '.join(f'{k} {v}' for k, v in counts.items())})" if counts else ""


def csv_safe(value: Any) -> Any:
    """Stop spreadsheet formula injection from user-typed text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


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
            name = row.country.strip() or "unknown"
            abroad[name] = abroad.get(name, 0) + 1
    departments = sorted({row.department for row in rows})

    staff = await queries.staff_identities(session)
    officers = {actor for actor, action in await queries.actors_in_period(session, start, end)
                if ":" in actor and (actor in staff or action in OFFICER_ACTIONS)}
    officers |= await queries.stage_change_actors(session, start, end) & staff

    reached = await queries.stages_reached(session, [r.eoi_id for r in rows], end)
    order = {stage: i for i, stage in enumerate(STAGES)}
    furthest = {eoi_id: max((order[s] for s in stages if s in order), default=0)
                for eoi_id, stages in reached.items()}
    funnel = {stage: sum(1 for r in rows if furthest.get(r.eoi_id, 0) >= i)
              for i, stage in enumerate(STAGES)}
    current: dict[str, int] = {}
    for row in rows:
        current[row.stage] = current.get(row.stage, 0) + 1

    return ImpactReport(
        since=since, until=until, smes_engaged=len(orgs), departments_engaged=len(departments),
        officers_engaged=len(officers), partner_city_smes=sum(partner.values()),
        other_country_smes=sum(abroad.values()), eois=len(rows), departments=departments,
        partner_cities=dict(sorted(partner.items())), other_countries=dict(sorted(abroad.items())),
        funnel=funnel, current={s: current[s] for s in (*STAGES, *END_STAGES) if s in current},
        over_time=_months(rows, start),
    )


def _months(rows: list[queries.EoiRow], start: datetime | None) -> list[MonthPoint]:
    if not rows:
        return []
    first = min(r.created_at for r in rows)
    last = max(r.created_at for r in rows)
    year, month = (start or first).year, (start or first).month
    seen: set[int] = set()
    points = []
    while (year, month) <= (last.year, last.month):
        key = f"{year:04d}-{month:02d}"
        in_month = [r for r in rows if (r.created_at.year, r.created_at.month) == (year, month)]
        active = {r.organisation_id for r in in_month}
        new = {r.organisation_id for r in in_month
               if (r.first_eoi_at.year, r.first_eoi_at.month) == (year, month)}
        seen |= active
        points.append(MonthPoint(key, len(active), len(new), len(seen)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return points


# ---- the chart: a tiny PNG writer with a 3x5 pixel font, so no plotting library is needed ----

_GLYPHS = {
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111",
    "3": "111001111001111", "4": "101101111001001", "5": "111100111001111",
    "6": "111100111101111", "7": "111001001010010", "8": "111101111101111",
    "9": "111101111001111", "A": "010101111101101", "B": "110101110101110",
    "C": "011100100100011", "D": "110101101101110", "E": "111100110100111",
    "F": "111100110100100", "G": "011100101101011", "H": "101101111101101",
    "I": "111010010010111", "J": "001001001101010", "K": "101101110101101",
    "L": "100100100100111", "M": "101111111101101", "N": "110101101101101",
    "O": "010101101101010", "P": "110101110100100", "Q": "010101101110011",
    "R": "110101110101101", "S": "011100010001110", "T": "111010010010010",
    "U": "101101101101111", "V": "101101101101010", "W": "101101111111101",
    "X": "101101010101101", "Y": "101101010010010", "Z": "111001010100111",
    "-": "000000111000000", ":": "000010000010000", ".": "000000000000010",
    "/": "001001010100100", "(": "010100100100010", ")": "010001001001010",
    " ": "000000000000000",
}
WHITE, INK, BAR, BAR2, GRID = (255, 255, 255), (40, 40, 40), (0, 94, 165), (0, 150, 110), (220, 220, 220)


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(WHITE) * width * height)

    def rect(self, x: int, y: int, w: int, h: int, colour: tuple[int, int, int]) -> None:
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.width, x + w), min(self.height, y + h)
        if x1 <= x0:
            return
        line = bytes(colour) * (x1 - x0)
        for row in range(y0, y1):
            offset = (row * self.width + x0) * 3
            self.pixels[offset:offset + len(line)] = line

    def text(self, x: int, y: int, text: str, scale: int = 2, colour: tuple[int, int, int] = INK) -> int:
        """Draw upper-cased text; returns the x after it."""
        for ch in fold(text).upper():
            glyph = _GLYPHS.get(ch, _GLYPHS[" "])
            for i, bit in enumerate(glyph):
                if bit == "1":
                    self.rect(x + (i % 3) * scale, y + (i // 3) * scale, scale, scale, colour)
            x += 4 * scale
        return x

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(self.pixels[r * self.width * 3:(r + 1) * self.width * 3])
                       for r in range(self.height))

        def chunk(kind: bytes, data: bytes) -> bytes:
            return (struct.pack(">I", len(data)) + kind + data
                    + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def chart_png(report: ImpactReport, width: int = 720, height: int = 480) -> bytes:
    """The funnel (top) and SMEs engaged over time (bottom) as a PNG image."""
    canvas = _Canvas(width, height)
    canvas.text(12, 10, f"EOI funnel ({report.period_text()})")
    label_w, top = 200, 34
    biggest = max([*report.funnel.values(), 1])
    bar_space = width - label_w - 60
    for i, stage in enumerate(STAGES):
        y = top + i * 26
        n = report.funnel.get(stage, 0)
        canvas.text(12, y + 5, stage_label(stage).split(" (")[0])
        length = max(1, round(bar_space * n / biggest)) if n else 0
        canvas.rect(label_w, y, length, 20, BAR)
        canvas.text(label_w + length + 6, y + 5, str(n))
    middle = top + len(STAGES) * 26 + 16
    canvas.rect(0, middle - 8, width, 1, GRID)
    canvas.text(12, middle, "SMEs engaged over time (running total by month)")
    points = report.over_time[-24:]
    plot_top, plot_bottom = middle + 30, height - 30
    if not points:
        canvas.text(12, plot_top + 20, "No expressions of interest in this period")
        return canvas.png()
    peak = max(p.cumulative for p in points) or 1
    slot = (width - 40) // len(points)
    bar_w = max(2, slot - 6)
    for i, p in enumerate(points):
        x = 20 + i * slot
        h = round((plot_bottom - plot_top - 16) * p.cumulative / peak)
        canvas.rect(x, plot_bottom - h, bar_w, h, BAR2)
        canvas.text(x, plot_bottom - h - 8, str(p.cumulative), scale=1)
        every = max(1, (len(points) * 32) // (width - 40) + 1)
        if i % every == 0:
            canvas.text(x, plot_bottom + 6, p.month[2:], scale=1)
    canvas.rect(16, plot_bottom, width - 32, 1, INK)
    return canvas.png()
