"""One export of expressions of interest, used by officers in chat and by `dips eoi`, and
spreadsheet-safe values for every CSV the assistant writes."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from typing import Any

from storage.models import Eoi, EoiVersion, StageChange
from storage.versions import shown_details

EOI_FIELDS = ("reference", "challenge", "department", "organisation", "size_band", "country",
              "city", "website", "contact_name", "contact_email", "stage", "version", "summary",
              "created_at", "updated_at", "partners")


def csv_safe(value: Any) -> Any:
    """Stop spreadsheet formula injection from user-typed text, look-alikes included (a
    full-width ＝ or a small ﹦ is read as = by spreadsheets that normalise it)."""
    if isinstance(value, str) and unicodedata.normalize("NFKC", value[:1])[:1] in (
            "=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def eoi_record(e: Eoi, partners: list[str] | None = None) -> dict[str, Any]:
    """An EOI as plain values, one per EOI_FIELDS (JSON lines and CSV rows alike): the details
    as submitted (its latest version), never the SME's profile as it is today; `partners` are
    those it names ("Name (city)", from storage.partners.partner_names)."""
    d = shown_details(e)
    return {"reference": e.reference, "challenge": e.challenge.ref,
            "department": e.challenge.department, "organisation": d["org_name"],
            "size_band": d["size_band"], "country": d["country"], "city": d["city"],
            "website": d["website"], "contact_name": d["contact_name"],
            "contact_email": d["contact_email"], "stage": e.stage, "version": e.version,
            "summary": e.summary, "created_at": e.created_at.isoformat(),
            "updated_at": e.updated_at.isoformat(), "partners": "; ".join(partners or [])}


def eoi_csv(rows: Iterable[Eoi], partners: dict[int, list[str]] | None = None) -> bytes:
    """EOIs as CSV, formula-safe (SME-typed text can't run in a spreadsheet)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EOI_FIELDS)
    writer.writeheader()
    writer.writerows({k: csv_safe("" if v is None else v)
                      for k, v in eoi_record(e, (partners or {}).get(e.id)).items()}
                     for e in rows)
    return out.getvalue().encode("utf-8")


def eoi_detail(e: Eoi, versions: list[EoiVersion], history: list[StageChange]) -> dict[str, Any]:
    """An EOI in full (`dips eoi show`): its current record, what was submitted first, every
    version, and its history: stage moves and versions, oldest first."""
    events: list[dict[str, Any]] = [
        {"at": h.at.isoformat(), "event": "stage", "from": h.from_stage, "to": h.to_stage,
         "by": h.actor, "note": h.note} for h in history]
    events += [{"at": v.at.isoformat(), "event": "version", "number": v.number, "kind": v.kind,
                "stage": v.stage, "by": v.actor} for v in versions]
    events.sort(key=lambda event: (event["at"], event["event"] == "version"))
    return {**eoi_record(e), "submitted": _version(versions[0]) if versions else None,
            "versions": [_version(v) for v in versions], "history": events}


def _version(v: EoiVersion) -> dict[str, Any]:
    return {"number": v.number, "kind": v.kind, "stage": v.stage, "organisation": v.org_name,
            "size_band": v.size_band, "country": v.country, "city": v.city,
            "website": v.website, "contact_name": v.contact_name,
            "contact_email": v.contact_email, "summary": v.summary, "by": v.actor,
            "at": v.at.isoformat()}


RANKING_FIELDS = ("rank", "reference", "organisation", "stage", "score", "assessors", "spread",
                  "disagree")


def ranking_csv(rows: list[Any]) -> bytes:
    """A challenge's ranking (handlers.domain.assessment.Ranked rows, best first) as CSV."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=RANKING_FIELDS)
    writer.writeheader()
    for n, r in enumerate(rows, 1):
        writer.writerow({k: csv_safe(v) for k, v in {
            "rank": n if r.score is not None else "", "reference": r.eoi.reference,
            "organisation": shown_details(r.eoi)["org_name"] or "", "stage": r.eoi.stage,
            "score": f"{r.score:.2f}" if r.score is not None else "", "assessors": len(r.totals),
            "spread": f"{r.spread:.2f}", "disagree": "yes" if r.disagree else ""}.items()})
    return out.getvalue().encode("utf-8")
