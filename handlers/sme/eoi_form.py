"""The expression-of-interest form: every step declared once, in FORM, in the order asked.

Adding a field is one entry in FORM (a `field(...)`: its question, how its answer is read and
checked, where it is stored; editable from the summary unless it says otherwise) plus its
sentences in content/wording/sme.yaml.
"""

from __future__ import annotations

import re

from content.privacy import privacy
from handlers.domain import eois as domain_eois
from handlers.domain.eois import Submission
from handlers.domain.stages import stage_label
from handlers.kernel.callbacks import CANCEL_ROW, CallbackData, Cancel, FlowChoice, Resume
from handlers.kernel.context import Ctx
from handlers.kernel.flows import Ask, Flow, Invalid, Parse, Step, field
from handlers.kernel.messages import Row
from handlers.kernel.roles import is_staff
from handlers.kernel.router import Router
from handlers.kernel.text import CountryName, LazyText, language, t
from handlers.kernel.validation import check_email, check_text, check_website, clean
from handlers.sme.buttons import EOI_LIST, FIND, OPEN_LIST, Interest, MenuPick, MyEois
from storage import challenges, eois, follows, people, versions
from storage.models import Challenge, eoi_reference

SUMMARY_MIN, SUMMARY_MAX = 20, 1500
SIZES = ("micro", "small", "medium", "large")
COUNTRIES = ("United Kingdom", "Sweden", "Estonia", "Hungary", "Italy")
_TERRITORY = {"United Kingdom": "GB", "Sweden": "SE", "Estonia": "EE", "Hungary": "HU", "Italy": "IT"}
_COUNTRY_ALIASES = {"uk": "United Kingdom", "gb": "United Kingdom", "england": "United Kingdom",
                    "great britain": "United Kingdom", "britain": "United Kingdom",
                    "scotland": "United Kingdom", "wales": "United Kingdom",
                    "northern ireland": "United Kingdom", "united kingdom": "United Kingdom"}
# "none yet", "not got one", "we don't have a website"...
NO_WEBSITE = re.compile(
    r"^(none|no|nope|not yet|not got|((i|we) )?(haven'?t|have not|don'?t|do not) (got|have))"
    r"(?=\s|$)")
FILLER = {"a", "an", "the", "of", "in", "for", "and", "to", "on", "please", "challenge"}

router = Router("sme.eoi_form")


class Switch(CallbackData, prefix="sw"):
    """Drop the open flow and start an EOI on `ref` instead."""

    ref: str


def choice(step: str, value: str) -> FlowChoice:
    return FlowChoice(step, value)


# ---- how each step is asked ----

def asks(key: str, *rows: Row, title: bool = False) -> Ask:
    """A step's question: the catalogue's sentence `eoi.ask.<key>` with its buttons."""
    async def ask(ctx: Ctx) -> None:
        values = {"title": ctx.data.get("title", "")} if title else {}
        text = t(f"eoi.ask.{key}", **values, low=SUMMARY_MIN, high=SUMMARY_MAX)
        if key == "summary" and language() != "en":  # what the officers will be able to read
            text += "\n\n" + t("language.officers_read_english")
        ctx.say(text, *rows, CANCEL_ROW)
    return ask


async def ask_profile(ctx: Ctx) -> None:
    ctx.say(t("eoi.ask.profile", title=ctx.data.get("title", ""), profile=profile_text(ctx.data)),
            [(t("eoi.use_details"), choice("profile", "use")),
             (t("eoi.update_details"), choice("profile", "update"))], CANCEL_ROW)


async def ask_consent(ctx: Ctx) -> None:
    ctx.say(privacy().consent(ctx.core.config.retention_days, language()),
            [(t("eoi.agree"), choice("consent", "yes")),
             (t("button.no_thanks"), choice("consent", "no"))],
            [(t("eoi.read_notice"), choice("consent", "notice"))])


async def ask_confirm(ctx: Ctx) -> None:
    ctx.say(t("eoi.ask.confirm", summary=summary_text(ctx.data)),
            [(t("eoi.submit"), choice("confirm", "submit"))],
            [(t("eoi.edit_something"), choice("confirm", "edit")), (t("button.cancel"), Cancel())])


async def ask_edit(ctx: Ctx) -> None:
    names = [s.name for s in FORM.steps if s.name in EDITABLE]
    ctx.say(t("eoi.ask.edit"),
            *[[(t(f"eoi.field.{n}"), choice("edit", n)) for n in names[i:i + 2]]
              for i in range(0, len(names), 2)],
            [(t("eoi.back_to_summary"), choice("edit", "back"))])


def profile_text(data: dict) -> str:
    org, contact = data.get("org", {}), data.get("contact", {})
    size = org.get("size_band", "")
    return t("eoi.profile", name=org.get("name", ""),
             size=t(f"eoi.size.{size}") if size in SIZES else "?",
             city=org.get("city", ""), country=org.get("country", ""),
             website=org.get("website") or t("eoi.no_website"),
             contact=contact.get("name", ""), email=contact.get("email", ""))


def summary_text(data: dict) -> str:
    return t("eoi.summary", title=data.get("title", ""), profile=profile_text(data),
             proposal=data.get("summary", ""))


# ---- how each answer is read ----

def text_answer(what: str, low: int, high: int) -> Parse:
    def parse(ctx: Ctx, text: str) -> str:
        value, error = check_text(clean(text), t(f"eoi.what.{what}"), low, high)
        if error:
            raise Invalid(error)
        return str(value)
    return parse


def country_answer(ctx: Ctx, text: str) -> str:
    value = str(text_answer("country", 2, 100)(ctx, text))
    return _COUNTRY_ALIASES.get(value.lower().strip("."), value)


def website_answer(ctx: Ctx, text: str) -> str | None:
    text = clean(text)
    said = text.lower().replace("\u2019", "'").strip(" .!")
    if said in ("-", "skip", "n/a", "na") or NO_WEBSITE.match(said):
        return None
    value, error = check_website(text)
    if error:
        raise Invalid(error, [(t("eoi.skip"), choice("website", "-"))], CANCEL_ROW)
    return value


def email_answer(ctx: Ctx, text: str) -> str:
    value, error = check_email(clean(text))
    if error:
        raise Invalid(error)
    return str(value)


def size_from_text(text: str) -> str | None:
    text = text.lower()
    for key in SIZES:
        if key in text:
            return key
    number = re.search(r"\d[\d,]*", text)
    if number:
        staff = int(number.group().replace(",", ""))
        return "micro" if staff < 10 else "small" if staff < 50 else "medium" if staff < 250 else "large"
    return None


async def read_profile(ctx: Ctx, text: str) -> None:
    if text in ("use", "update"):
        ctx.data["updating"] = text == "update"
        await ctx.next("summary" if text == "use" else "org_name")
    else:
        ctx.say(t("eoi.choose_button"))
        await ctx.ask()


async def read_size(ctx: Ctx, text: str) -> None:
    size = text if ctx.pressed and text in SIZES else size_from_text(clean(text))
    if size is None:
        ctx.say(t("eoi.size_unread"))
        await ctx.ask()
    elif size == "large":
        ctx.finish()
        ctx.say(t("eoi.too_large"), [(t("button.main_menu"), MenuPick())])
    else:
        ctx.data["org"]["size_band"] = size
        await ctx.next()


async def read_summary(ctx: Ctx, text: str) -> None:
    value, error = check_text(clean(text, keep_newlines=True), t("eoi.what.summary"),
                              SUMMARY_MIN, SUMMARY_MAX)
    if error:
        raise Invalid(error)
    ctx.data["summary"] = value
    consented = await people.has_consent(ctx.session, ctx.identity.id, privacy().version)
    await ctx.next("confirm" if consented or ctx.data.get("consent") else "consent")


async def read_consent(ctx: Ctx, text: str) -> None:
    said = clean(text).lower()
    if ctx.pressed and text == "notice":  # the full notice, then the same question again
        ctx.say(privacy().notice(ctx.core.config.retention_days, language()), title=t("privacy.title"))
        await ctx.ask()
    elif text == "yes" or (not ctx.pressed and said in ("yes", "y", "i agree", "agree")):
        ctx.data["consent"] = privacy().version
        await ctx.next("confirm")
    elif text == "no" or (not ctx.pressed and said in ("no", "n")):
        ctx.finish()
        ctx.say(t("eoi.no_consent"), [(t("button.main_menu"), MenuPick())])
    else:
        ctx.say(t("eoi.press_consent"))
        await ctx.ask()


async def read_confirm(ctx: Ctx, text: str) -> None:
    if text == "submit":
        if ctx.data.get("updating") and "apply" not in ctx.data:
            others = await others_to_ask(ctx)
            if others:  # new details: for this EOI only, unless the SME says otherwise
                ctx.data["others"] = others
                await ctx.next("apply")
                return
        await submit(ctx)
    elif text == "edit":
        await ctx.next("edit")
    else:
        ctx.say(t("eoi.use_confirm_buttons"))
        await ctx.ask()


async def others_to_ask(ctx: Ctx) -> list[list]:
    """The SME's other open EOIs whose submitted details differ from the form's new ones."""
    new = versions.details_of(ctx.data["org"], ctx.data["contact"])
    return [[e.id, e.reference, e.challenge.title[:80]]
            for e in await domain_eois.other_open_eois(ctx.session, ctx.identity.organisation_id)
            if e.challenge.ref != ctx.data.get("ref") and versions.current_details(e) != new]


async def ask_apply(ctx: Ctx) -> None:
    lines = "\n".join(t("eoi.apply_line", reference=ref, title=title)
                      for _, ref, title in ctx.data.get("others", []))
    ctx.say(t("eoi.ask.apply", lines=lines),
            [(t("eoi.apply_no"), choice("apply", "no"))],
            [(t("eoi.apply_yes"), choice("apply", "yes"))], CANCEL_ROW)


async def read_apply(ctx: Ctx, text: str) -> None:
    said = clean(text).lower().strip(" .!")
    if text in ("yes", "no") or said in ("yes", "y", "no", "n"):
        ctx.data["apply"] = said.startswith("y")
        await submit(ctx)
    else:
        ctx.say(t("eoi.choose_button"))
        await ctx.ask()


async def read_edit(ctx: Ctx, text: str) -> None:
    if text in EDITABLE:
        ctx.data["editing"] = True  # the step goes back to the summary (FORM.return_to)
        ctx.step = text
    elif text == "back":
        ctx.step = "confirm"
    else:
        ctx.say(t("eoi.choose_change"))
    await ctx.ask()


# ---- the form: every step, in order ----

FORM = Flow("eoi", action="interest", return_to="confirm", title="eoi.form_title", steps=(
    Step("profile", ask_profile, read_profile),
    field("org_name", asks("org_name", title=True), text_answer("org_name", 2, 200), "org.name"),
    Step("size", asks("size", *[[(LazyText(f"eoi.size.{k}"), choice("size", k))] for k in SIZES]),
         read_size, asides=True, editable=True),
    field("country", asks("country",  # labelled in the SME's language, stored in English
                          [(CountryName(c, _TERRITORY[c]), choice("country", c)) for c in COUNTRIES[:3]],
                          [(CountryName(c, _TERRITORY[c]), choice("country", c)) for c in COUNTRIES[3:]]),
          country_answer, "org.country"),
    field("city", asks("city"), text_answer("city", 2, 100), "org.city"),
    field("website", asks("website", [(LazyText("eoi.skip"), choice("website", "-"))]),
          website_answer, "org.website"),
    field("contact_name", asks("contact_name"), text_answer("contact_name", 2, 200), "contact.name"),
    field("email", asks("email"), email_answer, "contact.email"),
    Step("summary", asks("summary", title=True), read_summary, asides=True, guard=True,
         editable=True),
    Step("consent", ask_consent, read_consent),
    Step("confirm", ask_confirm, read_confirm),
    Step("edit", ask_edit, read_edit),
    Step("apply", ask_apply, read_apply),
))
router.flow(FORM)
# The fields an SME can change from the summary before submitting (labels: eoi.field.<name>).
EDITABLE = tuple(s.name for s in FORM.steps if s.editable)


# ---- starting and submitting ----

async def open_challenge(ctx: Ctx, ref: str) -> Challenge | None:
    """The challenge if an SME may register interest in it now; otherwise explain why not."""
    ref = clean(ref).lower()[:64]
    challenge = await challenges.get_challenge(ctx.session, ref) if ref else None
    if challenge is None or (challenge.status == "draft" and not is_staff(ctx.role)):
        ctx.say(t("eoi.no_such_challenge", ref=ref), [(t("button.see_open_challenges"), OPEN_LIST)])
        return None
    if not challenge.is_open(ctx.today):
        ctx.say(t("eoi.challenge_closed", title=challenge.title),
                [(t("button.see_open_challenges"), OPEN_LIST)])
        return None
    return challenge


@router.button(Interest, action="interest")
async def interest_button(ctx: Ctx, pressed: Interest) -> None:
    await start(ctx, pressed.ref)


async def start(ctx: Ctx, ref: str) -> None:
    """Begin an EOI on challenge `ref` (from /interest REF or a Register interest button)."""
    if ctx.flow is not None:
        if ctx.flow == FORM.name and ctx.data.get("ref") == ref:
            await ctx.ask()
            return
        ctx.say(t("eoi.switch_or_carry_on"),
                [(t("button.carry_on"), Resume()), (t("eoi.start_this"), Switch(ref[:60]))])
        return
    challenge = await open_challenge(ctx, ref)
    if challenge is None:
        return
    org, contact = await people.get_profile(ctx.session, ctx.identity)
    if org is not None:
        existing = await eois.find_eoi(ctx.session, org.id, challenge.id)
        if existing is not None and existing.stage != "withdrawn":
            ctx.say(t("eoi.already_registered", title=challenge.title,
                      reference=existing.reference, stage=stage_label(existing.stage)),
                    [(t("button.view_it"), MyEois(existing.id))])
            return
    # Starting the form follows the challenge: its deadline reminders reach this SME until
    # they register interest (an EOI's organisation never gets them).
    await follows.follow(ctx.session, ctx.identity.id, challenge.id)
    data: dict = {"ref": challenge.ref, "title": challenge.title}
    if org is not None and contact is not None:
        data["org"] = {"name": org.name, "size_band": org.size_band, "country": org.country,
                       "city": org.city, "website": org.website}
        data["contact"] = {"name": contact.name, "email": contact.email}
        await ctx.begin(FORM, "profile", **data)
    else:
        await ctx.begin(FORM, "org_name", org={}, contact={}, **data)


@router.button(Switch, action="interest")
async def switch(ctx: Ctx, pressed: Switch) -> None:
    ctx.finish()
    await start(ctx, pressed.ref)


async def submit(ctx: Ctx) -> None:
    data = ctx.data
    challenge = await open_challenge(ctx, data["ref"])
    if challenge is None:
        ctx.finish()
        return
    apply_to = tuple(other[0] for other in data.get("others", [])) if data.get("apply") else ()
    form = Submission(data["org"], data["contact"], data["summary"], data.get("consent"),
                      apply_to)
    try:
        eoi = await domain_eois.submit(ctx.session, ctx.identity, challenge, form, ctx.actor)
    except domain_eois.DuplicateEoi as dup:
        ctx.finish()
        ctx.say(t("eoi.duplicate", reference=dup.existing.reference),
                [(t("button.view_it"), MyEois(dup.existing.id))])
        return
    ctx.finish()
    ctx.say(t("eoi.registered", title=challenge.title, reference=eoi_reference(eoi.id),
              department=challenge.department),
            [(t("button.my_eois"), EOI_LIST), (t("eoi.find_more"), FIND)])


@router.command("interest")
async def interest_command(ctx: Ctx, args: str) -> None:
    """`/interest REF`, or words of a challenge's title ("/interest food hubs")."""
    wanted = clean(args).lower()[:200]
    if not wanted:
        ctx.say(t("eoi.which_challenge"), [(t("button.open_challenges"), OPEN_LIST)])
        return
    ref = wanted.split()[0]
    if await challenges.get_challenge(ctx.session, ref) is None:
        words = set(re.findall(r"[a-z0-9]+", wanted)) - FILLER
        titled = [c for c in await challenges.list_challenges(ctx.session, open_on=ctx.today)
                  if words and words <= set(re.findall(r"[a-z0-9]+", f"{c.title} {c.ref}".lower()))]
        if len(titled) > 1:
            ctx.say(t("eoi.several_fit"), *[[(c.title[:60], Interest(c.ref))] for c in titled[:8]])
            return
        if not titled:
            ctx.say(t("eoi.no_such_challenge", ref=wanted[:64]),
                    [(t("button.see_open_challenges"), OPEN_LIST)])
            return
        ref = titled[0].ref
    await start(ctx, ref)
