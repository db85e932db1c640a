"""Partners across cities, for SMEs: offering oneself as a partner on a challenge (a flow
declared once, PARTNER) and one challenge's partnering page (`/partners REF`, or the button on
its card). Browsing and introductions are in handlers/sme/partner_intros.py."""

from __future__ import annotations

from handlers.domain import partners as rules
from handlers.kernel.callbacks import CANCEL_ROW, FlowChoice, Resume
from handlers.kernel.context import Ctx
from handlers.kernel.flows import Ask, Flow, Invalid, Parse, Step, field
from handlers.kernel.messages import Row
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.kernel.validation import check_email, check_text, clean
from handlers.sme.buttons import (
    OPEN_LIST,
    Interest,
    IntroWithdraw,
    NamePartner,
    PartnerBrowse,
    PartnerOffer,
    PartnersOf,
    PartnerWithdraw,
)
from handlers.sme.challenges import visible_challenge
from storage import partners, people
from storage.models import Challenge
from storage.partner_models import PartnerIntro

TEXT_MIN, TEXT_MAX = 10, 500

router = Router("sme.partners")


def city_label(key: str) -> str:
    return t(f"partners.city.{key if key in rules.CITIES else 'other'}")


# ---- the flow: city, what they offer, what partner they look for, contact, confirm ----

def asks(key: str, *rows: Row) -> Ask:
    async def ask(ctx: Ctx) -> None:
        ctx.say(t(f"partners.ask.{key}", title=ctx.data.get("title", ""), low=TEXT_MIN,
                  high=TEXT_MAX), *rows, CANCEL_ROW)
    return ask


def text_answer(what: str, low: int, high: int) -> Parse:
    def parse(ctx: Ctx, text: str) -> str:
        value, error = check_text(clean(text), t(f"partners.what.{what}"), low, high)
        if error:
            raise Invalid(error)
        return str(value)
    return parse


def email_answer(ctx: Ctx, text: str) -> str:
    value, error = check_email(clean(text))
    if error:
        raise Invalid(error)
    return str(value)


async def read_city(ctx: Ctx, text: str) -> None:
    said = clean(text)
    if not said:
        ctx.say(t("partners.choose_city"))
        await ctx.ask()
        return
    ctx.data["city"] = text if ctx.pressed and text in rules.CITIES else rules.city_key(said)
    await ctx.next()


async def read_seeking(ctx: Ctx, text: str) -> None:
    ctx.data["seeking"] = text_answer("seeking", TEXT_MIN, TEXT_MAX)(ctx, text)
    await ctx.next("confirm" if ctx.data.get("email") else "org_name")


async def ask_confirm(ctx: Ctx) -> None:
    ctx.say(t("partners.confirm", title=ctx.data.get("title", ""), card=card_text(ctx.data)),
            [(t("partners.make_discoverable"), FlowChoice("confirm", "yes"))], CANCEL_ROW)


def card_text(data: dict) -> str:
    return t("partners.card", city=city_label(data.get("city", "other")),
             offer=data.get("offer", ""), seeking=data.get("seeking", ""),
             organisation=data.get("org_name", ""), contact=data.get("contact_name", ""),
             email=data.get("email", ""))


async def read_confirm(ctx: Ctx, text: str) -> None:
    # Only the button makes the listing (typed text never publishes anything), and only with
    # every answer there (state from an older version may lack one: ask from the start).
    if not ctx.pressed or text != "yes":
        ctx.say(t("partners.use_buttons"))
        await ctx.ask()
        return
    challenge = await visible_challenge(ctx, ctx.data.get("ref", ""))
    if challenge is None or not challenge.is_open(ctx.today):
        ctx.finish()
        ctx.say(t("partners.closed"), [(t("button.open_challenges"), OPEN_LIST)])
        return
    data = ctx.data
    if any(not data.get(k) for k in ("city", "offer", "seeking", "org_name", "contact_name",
                                     "email")):
        ctx.step = PARTNER.steps[0].name
        await ctx.ask()
        return
    await partners.save_listing(ctx.session, ctx.identity.id, challenge.id, {
        "city": data["city"], "offer": data["offer"], "seeking": data["seeking"],
        "org_name": data["org_name"], "contact_name": data["contact_name"],
        "contact_email": data["email"]})
    ctx.finish()
    ctx.say(t("partners.listed", title=challenge.title),
            [(t("partners.browse"), PartnerBrowse(challenge.id))],
            [(t("partners.page_button"), PartnersOf(challenge.ref[:60]))])


PARTNER = router.flow(Flow("partner", action="partner", title="partners.form_title", steps=(
    Step("city", asks("city", *[[(city_label(c), FlowChoice("city", c)) for c in pair]
                                for pair in (rules.CITIES[:3], rules.CITIES[3:])]),
         read_city, asides=True),
    field("offer", asks("offer"), text_answer("offer", TEXT_MIN, TEXT_MAX), "offer"),
    Step("seeking", asks("seeking"), read_seeking, asides=True, guard=True),
    field("org_name", asks("org_name"), text_answer("org_name", 2, 200), "org_name"),
    field("contact_name", asks("contact_name"), text_answer("contact_name", 2, 200),
          "contact_name"),
    field("email", asks("email"), email_answer, "email"),
    Step("confirm", ask_confirm, read_confirm),
)))


@router.button(PartnerOffer, action="partner")
async def offer(ctx: Ctx, pressed: PartnerOffer) -> None:
    if ctx.flow is not None:
        ctx.say(t("kernel.busy"), [(t("button.carry_on"), Resume())])
        return
    challenge = await visible_challenge(ctx, pressed.ref)
    if challenge is None or not challenge.is_open(ctx.today):
        ctx.say(t("partners.closed"), [(t("button.open_challenges"), OPEN_LIST)])
        return
    data: dict = {"ref": challenge.ref, "title": challenge.title}
    org, contact = await people.get_profile(ctx.session, ctx.identity)
    if org is not None and contact is not None:  # shared only once both sides agree
        data.update(org_name=org.name, contact_name=contact.name, email=contact.email,
                    city=rules.city_key(org.city))
    await ctx.begin(PARTNER, **data)


@router.button(PartnerWithdraw, action="partner")
async def withdraw_listing(ctx: Ctx, pressed: PartnerWithdraw) -> None:
    listing = await partners.get_listing(ctx.session, pressed.listing_id)
    if listing is None or listing.identity_id != ctx.identity.id:
        ctx.say(t("partners.not_available"))
        return
    listing.active = False
    # Requests not yet answered lapse; agreed introductions stand until a side withdraws.
    for intro in await partners.intros_of(ctx.session, ctx.identity.id, listing.challenge_id):
        if intro.listing_id == listing.id and intro.status == "pending":
            await partners.set_intro_status(ctx.session, intro, "withdrawn", "lister")
            await partners.drop_pending(ctx.session, intro.id, ("partner_intro",))
    ctx.say(t("partners.listing_withdrawn", title=listing.challenge.title),
            [(t("partners.page_button"), PartnersOf(listing.challenge.ref[:60]))])


# ---- one challenge's partnering page ----

@router.button(PartnersOf, action="partners")
async def partners_button(ctx: Ctx, pressed: PartnersOf) -> None:
    await partners_command(ctx, pressed.ref)


@router.command("partners")
async def partners_command(ctx: Ctx, args: str) -> None:
    """`/partners REF`: my listing and introductions on a challenge, and a way to browse."""
    ref = clean(args).split()[0] if clean(args) else ""
    if not ref:
        await my_partnering(ctx)
        return
    challenge = await visible_challenge(ctx, ref)
    if challenge is None:
        ctx.say(t("challenges.not_found", ref=ref[:64]), [(t("button.open_challenges"), OPEN_LIST)])
        return
    await show_page(ctx, challenge)


async def show_page(ctx: Ctx, challenge: Challenge) -> None:
    listing = await partners.listing_of(ctx.session, ctx.identity.id, challenge.id)
    lines = [t("partners.intro_text")]
    rows: list[list] = []
    if listing is not None and listing.active:
        lines += ["", t("partners.you_are_listed"), card_text(
            {"city": listing.city, "offer": listing.offer, "seeking": listing.seeking,
             "org_name": listing.org_name, "contact_name": listing.contact_name,
             "email": listing.contact_email})]
        rows.append([(t("partners.withdraw_listing"), PartnerWithdraw(listing.id))])
    elif challenge.is_open(ctx.today):
        rows.append([(t("partners.offer_button"), PartnerOffer(challenge.ref[:58]))])
    intros = await partners.intros_of(ctx.session, ctx.identity.id, challenge.id)
    if intros:
        lines += ["", t("partners.your_intros")]
    for n, intro in enumerate(intros[:10], 1):
        lines.append(intro_line(ctx, intro, n))
        rows += intro_rows(ctx, intro, n)
    if await rules.interested(ctx.session, ctx.identity, challenge):
        rows.append([(t("partners.browse"), PartnerBrowse(challenge.id))])
    elif challenge.is_open(ctx.today):
        lines += ["", t("partners.interest_first", title=challenge.title)]
        rows.append([(t("button.register_interest"), Interest(challenge.ref))])
    ctx.say("\n".join(lines), *rows, title=t("partners.page_title", title=challenge.title))


def intro_line(ctx: Ctx, intro: PartnerIntro, n: int) -> str:
    asked = intro.requester_id == ctx.identity.id
    other = city_label(intro.listing.city if asked else intro.requester_city)
    return t("partners.intro_line", n=n, status=t(f"partners.status.{intro.status}"),
             city=other, direction=t("partners.you_asked" if asked else "partners.they_asked"))


def intro_rows(ctx: Ctx, intro: PartnerIntro, n: int) -> list[list]:
    if intro.status == "accepted":
        return [[(t("partners.name_partner_n", n=n), NamePartner(intro.id)),
                 (t("partners.withdraw_consent_n", n=n), IntroWithdraw(intro.id))]]
    if intro.status == "pending" and intro.requester_id == ctx.identity.id:
        return [[(t("partners.withdraw_request_n", n=n), IntroWithdraw(intro.id))]]
    return []


async def my_partnering(ctx: Ctx) -> None:
    """`/partners` alone: the challenges where I'm listed or have introductions."""
    seen: dict[str, str] = {}
    for listing in await partners.listings_of(ctx.session, ctx.identity.id):
        seen[listing.challenge.ref] = listing.challenge.title
    for intro in await partners.intros_of(ctx.session, ctx.identity.id):
        seen[intro.listing.challenge.ref] = intro.listing.challenge.title
    if not seen:
        ctx.say(t("partners.usage"), [(t("button.open_challenges"), OPEN_LIST)])
        return
    ctx.say(t("partners.yours"), *[[(title[:60], PartnersOf(ref[:60]))]
                                   for ref, title in list(seen.items())[:10]])
