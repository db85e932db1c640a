"""Partners across cities: browsing a challenge's discoverable SMEs, asking for an
introduction, the listed SME's yes or no, withdrawing either way, and naming a partner on an
EOI. Contact details go out, through the delivery queue, only once both sides have agreed."""

from __future__ import annotations

from typing import Any

from handlers.domain import partners as rules
from handlers.domain.outbound import to_payload
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Reply, buttons
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.sme.buttons import (
    AskIntro,
    Interest,
    IntroAnswer,
    IntroWithdraw,
    MyEois,
    NamePartner,
    PartnerBrowse,
    PartnerOffer,
    PartnersOf,
)
from handlers.sme.partners import city_label
from storage import deliveries, eois, partners
from storage.models import Challenge, Identity
from storage.partner_models import PartnerIntro

PAGE = 5
router = Router("sme.partner_intros")


async def _send(ctx: Ctx, to: Identity | None, kind: str, intro: PartnerIntro, text: str,
                *rows: list[tuple[str, Any]]) -> None:
    """Queue a message about `intro` (its id kept, so a withdrawal can take it back)."""
    if to is not None:
        payload = {**to_payload(Reply(text, buttons(*rows))), "intro_id": intro.id}
        await deliveries.enqueue(ctx.session, to, kind, payload)


async def _may_browse(ctx: Ctx, challenge: Challenge) -> bool:
    if await rules.interested(ctx.session, ctx.identity, challenge):
        return True
    ctx.say(t("partners.interest_first", title=challenge.title),
            [(t("button.register_interest"), Interest(challenge.ref)),
             (t("partners.offer_button"), PartnerOffer(challenge.ref[:58]))])
    return False


@router.button(PartnerBrowse, action="partners")
async def browse(ctx: Ctx, pressed: PartnerBrowse) -> None:
    """The challenge's discoverable SMEs, five to a page (their contact details withheld)."""
    challenge = await partners.challenge_by_id(ctx.session, pressed.challenge_id)
    if challenge is None or challenge.status == "draft":
        ctx.say(t("partners.not_available"))
        return
    if not await _may_browse(ctx, challenge):
        return
    listed = await partners.active_listings(ctx.session, challenge.id, besides=ctx.identity.id)
    if not listed:
        ctx.say(t("partners.none_yet", title=challenge.title),
                [(t("partners.page_button"), PartnersOf(challenge.ref[:60]))])
        return
    pages = (len(listed) + PAGE - 1) // PAGE
    page = max(0, min(pressed.page, pages - 1))
    shown = listed[page * PAGE:(page + 1) * PAGE]
    lines = [t("partners.browse_line", n=n, city=city_label(x.city), offer=x.offer,
               seeking=x.seeking) for n, x in enumerate(shown, page * PAGE + 1)]
    rows: list[list[tuple[str, Any]]] = [
        [(t("partners.ask_intro_n", n=n), AskIntro(x.id))]
        for n, x in enumerate(shown, page * PAGE + 1)]
    nav = []
    if page > 0:
        nav.append((t("challenges.previous"), PartnerBrowse(challenge.id, page - 1)))
    if page < pages - 1:
        nav.append((t("challenges.next"), PartnerBrowse(challenge.id, page + 1)))
    ctx.say(t("partners.browse_page", page=page + 1, pages=pages, lines="\n\n".join(lines)),
            *rows, *([nav] if nav else []), title=t("partners.page_title", title=challenge.title))


@router.button(AskIntro, action="introduce")
async def ask_intro(ctx: Ctx, pressed: AskIntro) -> None:
    listing = await partners.get_listing(ctx.session, pressed.listing_id)
    if listing is None or not listing.active or listing.identity_id == ctx.identity.id:
        ctx.say(t("partners.not_available"))
        return
    challenge = listing.challenge
    if not await _may_browse(ctx, challenge):
        return
    existing = await partners.find_intro(ctx.session, listing.id, ctx.identity.id)
    if existing is not None and existing.status == "declined":  # a no stands: never re-asked
        ctx.say(t("partners.declined_before"))
        return
    if existing is not None and existing.status in ("pending", "accepted"):
        ctx.say(t("partners.already_asked", status=t(f"partners.status.{existing.status}")),
                [(t("partners.page_button"), PartnersOf(challenge.ref[:60]))])
        return
    city = await rules.own_city(ctx.session, ctx.identity, challenge.id)
    intro = await partners.add_intro(ctx.session, listing, ctx.identity.id, city)
    mine = await partners.listing_of(ctx.session, ctx.identity.id, challenge.id)
    about = (t("partners.they_offer", offer=mine.offer, seeking=mine.seeking) if mine
             else t("partners.they_registered"))
    await _send(ctx, await partners.identity(ctx.session, listing.identity_id), "partner_intro",
                intro, t("partners.request", title=challenge.title, city=city_label(city),
                         about=about),
                [(t("partners.accept"), IntroAnswer(intro.id, "yes")),
                 (t("partners.decline"), IntroAnswer(intro.id, "no"))])
    ctx.say(t("partners.asked", title=challenge.title),
            [(t("partners.withdraw_request"), IntroWithdraw(intro.id))])


@router.button(IntroAnswer, action="introduce")
async def answer(ctx: Ctx, pressed: IntroAnswer) -> None:
    intro = await partners.get_intro(ctx.session, pressed.intro_id)
    if intro is None or intro.listing.identity_id != ctx.identity.id:
        ctx.say(t("partners.not_available"))
        return
    if intro.status != "pending" or pressed.answer not in ("yes", "no"):
        ctx.say(t("partners.no_longer_pending", status=t(f"partners.status.{intro.status}")))
        return
    title = intro.listing.challenge.title
    requester = await partners.identity(ctx.session, intro.requester_id)
    if pressed.answer == "no":
        await partners.set_intro_status(ctx.session, intro, "declined")
        await _send(ctx, requester, "partner_declined", intro,
                    t("partners.declined_them", title=title))
        ctx.say(t("partners.declined_you"))
        return
    await partners.set_intro_status(ctx.session, intro, "accepted")
    listing = intro.listing
    theirs = (await rules.contact_card(ctx.session, requester, await partners.listing_of(
        ctx.session, requester.id, listing.challenge_id)) if requester else None)
    if theirs is None:
        ctx.say(t("partners.not_available"))
        return
    ours = (listing.org_name, listing.contact_name, listing.contact_email, listing.city)
    for to, card in ((requester, ours), (ctx.identity, theirs)):
        await _send(ctx, to, "partner_contact", intro, contact_text(title, card),
                    [(t("partners.name_partner"), NamePartner(intro.id))],
                    [(t("partners.withdraw_consent"), IntroWithdraw(intro.id))])
    ctx.say(t("partners.accepted_you"))


def contact_text(title: str, card: tuple[str, str, str, str]) -> str:
    organisation, contact, email, city = card
    return t("partners.contact", title=title, organisation=organisation, contact=contact,
             email=email, city=city_label(city))


async def _one_of_mine(ctx: Ctx, intro_id: int) -> PartnerIntro | None:
    """An introduction this SME is a side of (asked, or was asked), else None and saying so:
    a forged or another SME's button gets what a gone one does."""
    intro = await partners.get_intro(ctx.session, intro_id)
    if intro is None or ctx.identity.id not in (intro.requester_id, intro.listing.identity_id):
        ctx.say(t("partners.not_available"))
        return None
    return intro


@router.button(IntroWithdraw, action="introduce")
async def withdraw(ctx: Ctx, pressed: IntroWithdraw) -> None:
    intro = await _one_of_mine(ctx, pressed.intro_id)
    if intro is None:
        return
    if intro.status in ("declined", "withdrawn"):
        ctx.say(t("partners.no_longer_pending", status=t(f"partners.status.{intro.status}")))
        return
    was = intro.status
    side = "requester" if ctx.identity.id == intro.requester_id else "lister"
    await partners.set_intro_status(ctx.session, intro, "withdrawn", side)
    # Messages not yet sent go back: the request, and contact details still in the queue.
    await partners.drop_pending(ctx.session, intro.id, ("partner_intro", "partner_contact"))
    other = intro.listing.identity_id if side == "requester" else intro.requester_id
    if was == "accepted":
        await _send(ctx, await partners.identity(ctx.session, other), "partner_withdrawn",
                    intro, t("partners.withdrawn_them", title=intro.listing.challenge.title))
    ctx.say(t("partners.withdrawn_you"))


@router.button(NamePartner, action="introduce")
async def name_partner(ctx: Ctx, pressed: NamePartner) -> None:
    intro = await _one_of_mine(ctx, pressed.intro_id)
    if intro is None:
        return
    if intro.status != "accepted":
        ctx.say(t("partners.no_longer_pending", status=t(f"partners.status.{intro.status}")))
        return
    challenge = intro.listing.challenge
    org_id = ctx.identity.organisation_id
    eoi = await eois.find_eoi(ctx.session, org_id, challenge.id) if org_id else None
    if eoi is None or eoi.stage == "withdrawn":
        ctx.say(t("partners.eoi_first", title=challenge.title),
                [(t("button.register_interest"), Interest(challenge.ref))])
        return
    asked = ctx.identity.id == intro.requester_id
    if asked:
        name, city = intro.listing.org_name, intro.listing.city
    else:
        requester = await partners.identity(ctx.session, intro.requester_id)
        if requester is None:
            ctx.say(t("partners.not_available"))
            return
        mine = await partners.listing_of(ctx.session, requester.id, challenge.id)
        name, _, _, city = await rules.contact_card(ctx.session, requester, mine)
    own = intro.requester_city if asked else intro.listing.city
    added = await partners.name_partner(ctx.session, eoi, intro, name, city, own, ctx.actor)
    ctx.say(t("partners.named" if added else "partners.already_named", name=name,
              reference=eoi.reference), [(t("button.view_it"), MyEois(eoi.id))])
