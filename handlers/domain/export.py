"""One export of expressions of interest, used by officers in chat and by `dips eoi`, and
spreadsheet-safe values for every CSV the assistant writes."""

from __future__ import annotations

import csv
import io
import unicodedata
from typing import Any

from storage.models import Eoi

EOI_FIELDS = ("reference", "challenge", "department", "organisation", "size_band", "country",
              "city", "website", "contact_name", "contact_email", "stage", "summary",
              "created_at", "updated_at")


def csv_safe(value: Any) -> Any:
    """Stop spreadsheet formula injection from user-typed text, look-alikes included (a
    full-width ＝ or a small ﹦ is read as = by spreadsheets that normalise it)."""
    if isinstance(value, str) and unicodedata.normalize("NFKC", value[:1])[:1] in (
            "=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def eoi_record(e: Eoi) -> dict[str, Any]:
    """An EOI as plain values, one per EOI_FIELDS (JSON lines and CSV rows alike)."""
    org, contact = e.organisation, e.contact
    return {"reference": e.reference, "challenge": e.challenge.ref,
            "department": e.challenge.department, "organisation": org.name,
            "size_band": org.size_band, "country": org.country, "city": org.city,
            "website": org.website, "contact_name": contact.name if contact else None,
            "contact_email": contact.email if contact else None, "stage": e.stage,
            "summary": e.summary, "created_at": e.created_at.isoformat(),
            "updated_at": e.updated_at.isoformat()}


def eoi_csv(rows: list[Eoi]) -> bytes:
    """EOIs as CSV, formula-safe (SME-typed text can't run in a spreadsheet)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EOI_FIELDS)
    writer.writeheader()
    writer.writerows({k: csv_safe("" if v is None else v) for k, v in eoi_record(e).items()}
                     for e in rows)
    return out.getvalue().encode("utf-8")
