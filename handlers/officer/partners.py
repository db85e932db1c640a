"""Officers' view of partnering on a challenge: `/dips partners REF` (Slack, the console), with
the partnerships formed and the partners EOIs name, and the same as CSV (the export)."""

from __future__ import annotations

import csv
import io

from handlers.domain.export import csv_safe
from handlers.domain.partners import contact_card, international
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Attachment
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.kernel.validation import clean
from storage import challenges, partners
from storage.partner_models import PartnerIntro

router = Router("officer.partners")
PARTNERSHIP_FIELDS = ("challenge", "kind", "id", "organisation", "city", "partner",
                      "partner_city", "status", "international", "eoi", "at")


@router.command("partners", action="partnerships", dips=True, top=False)
async def partnerships(ctx: Ctx, args: str) -> None:
    ref = clean(args).split()[0].lower()[:64] if clean(args) else ""
    challenge = await challenges.get_challenge(ctx.session, ref) if ref else None
    if challenge is None:
        ctx.say(t("partnerships.usage", ref=ref))
        return
    listings = await partners.challenge_listings(ctx.session, challenge.id)
    intros = await partners.challenge_intros(ctx.session, challenge.id)
    named = await partners.named_partners(ctx.session, challenge.id)
    formed = [i for i in intros if i.status == "accepted"]
    by_city: dict[str, int] = {}
    for listing in listings:
        if listing.active:
            by_city[listing.city] = by_city.get(listing.city, 0) + 1
    lines = [t("partnerships.listed", count=sum(by_city.values()),
               cities=", ".join(f"{c} {n}" for c, n in sorted(by_city.items())) or "-"),
             t("partnerships.intros", count=len(intros), pending=_count(intros, "pending"),
               declined=_count(intros, "declined"), withdrawn=_count(intros, "withdrawn")),
             "", t("partnerships.formed", count=len(formed))]
    for intro in formed[:20]:
        lines.append(t("partnerships.formed_line", organisation=intro.listing.org_name,
                       city=intro.listing.city, partner=await _requester_name(ctx, intro),
                       partner_city=intro.requester_city,
                       date=intro.decided_at or intro.created_at))
    lines += ["", t("partnerships.named", count=len(named))]
    lines += [t("partnerships.named_line", reference=e.reference, partner=p.partner_name,
                city=p.partner_city) for p, e in named[:20]]
    rows = [{"challenge": challenge.ref, "kind": "introduction", "id": i.id,
             "organisation": i.listing.org_name, "city": i.listing.city, "partner": "",
             "partner_city": i.requester_city, "status": i.status,
             "international": international(i.listing.city, i.requester_city), "eoi": "",
             "at": (i.decided_at or i.created_at).isoformat()} for i in intros]
    rows += [{"challenge": challenge.ref, "kind": "eoi_partner", "id": p.id,
              "organisation": e.org_name or "", "city": p.own_city, "partner": p.partner_name,
              "partner_city": p.partner_city, "status": "named",
              "international": international(p.own_city, p.partner_city), "eoi": e.reference,
              "at": p.at.isoformat()} for p, e in named]
    ctx.say("\n".join(lines), title=t("partnerships.title", title=challenge.title),
            attachment=Attachment(f"dips-partners-{challenge.ref}.csv", _csv(rows), "text/csv"))


async def _requester_name(ctx: Ctx, intro: PartnerIntro) -> str:
    """The asking SME's organisation, shown to officers once both sides agreed."""
    requester = await partners.identity(ctx.session, intro.requester_id)
    if requester is None:
        return "?"
    listing = await partners.listing_of(ctx.session, requester.id, intro.listing.challenge_id)
    return (await contact_card(ctx.session, requester, listing))[0]


def _count(intros: list[PartnerIntro], status: str) -> int:
    return sum(1 for i in intros if i.status == status)


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PARTNERSHIP_FIELDS)
    writer.writeheader()
    writer.writerows({k: csv_safe(v) for k, v in row.items()} for row in rows)
    return out.getvalue().encode("utf-8")
