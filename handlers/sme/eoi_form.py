"""The expression-of-interest conversation, and an SME's own EOIs (list, edit, withdraw)."""

from __future__ import annotations

import re

from content.privacy import privacy
from handlers.kernel.core import Core, Ctx, Handler
from handlers.kernel.validation import check_email, check_text, check_website, clean, parse_id
from storage import challenges, deliveries, eois, people
from storage.models import Challenge, Eoi, eoi_reference

FLOW = "eoi"
EDIT_FLOW = "eoi-edit"
SUMMARY_MIN, SUMMARY_MAX = 20, 1500

SIZES = {
    "micro": "Micro (fewer than 10 staff)",
    "small": "Small (10 to 49 staff)",
    "medium": "Medium (50 to 249 staff)",
    "large": "Large (250 staff or more)",
}
COUNTRIES = ("United Kingdom", "Sweden", "Estonia", "Hungary", "Italy")
_COUNTRY_ALIASES = {"uk": "United Kingdom", "gb": "United Kingdom", "england": "United Kingdom",
                    "great britain": "United Kingdom", "britain": "United Kingdom",
                    "scotland": "United Kingdom", "wales": "United Kingdom",
                    "northern ireland": "United Kingdom", "united kingdom": "United Kingdom"}

STAGES = ("submitted", "exploration", "accelerator", "prototype", "pre-commercialisation")
END_STAGES = ("not-selected", "withdrawn")
STAGE_LABELS = {
    "submitted": "Submitted (invitation of solutions)",
    "exploration": "Exploration",
    "accelerator": "Business accelerator",
    "prototype": "Prototype",
    "pre-commercialisation": "Pre-commercialisation",
    "not-selected": "Not selected",
    "withdrawn": "Withdrawn",
}

# Fields an SME can change on the summary before submitting: step -> label.
EDITABLE = {"org_name": "Organisation name", "size": "Size", "country": "Country",
            "city": "City", "website": "Website", "contact_name": "Your name",
            "email": "Email", "summary": "Proposed solution"}

CANCEL_ROW = [("Cancel", "cancel:")]


# ---- prompts: one per step, so a step can be asked again after a problem or a stale button ----

async def prompt(ctx: Ctx) -> None:
    step, title = ctx.step, ctx.data.get("title", "the challenge")
    if step == "profile":
        ctx.say(f"Registering interest in \u201c{title}\u201d. I have these details from last time:\n\n"
                f"{_profile_text(ctx.data)}\n\nUse them, or update them first?",
                [("Use these details", "f:profile:use"), ("Update them", "f:profile:update")],
                CANCEL_ROW)
    elif step == "org_name":
        ctx.say(f"Let's register your interest in \u201c{title}\u201d. It takes about two minutes; "
                "type /cancel at any time.\n\nWhat is your organisation's name?", CANCEL_ROW)
    elif step == "size":
        ctx.say("How many people does your organisation employ?",
                *[[(label, f"f:size:{key}")] for key, label in SIZES.items()], CANCEL_ROW)
    elif step == "country":
        ctx.say("Which country is your organisation based in? Choose one or type it.",
                [(c, f"f:country:{c}") for c in COUNTRIES[:3]],
                [(c, f"f:country:{c}") for c in COUNTRIES[3:]], CANCEL_ROW)
    elif step == "city":
        ctx.say("And which town or city?", CANCEL_ROW)
    elif step == "website":
        ctx.say("What is your website? (optional)", [("Skip", "f:website:-")], CANCEL_ROW)
    elif step == "contact_name":
        ctx.say("Who should officers contact about this? Please type your full name.", CANCEL_ROW)
    elif step == "email":
        ctx.say("What email address should officers use?", CANCEL_ROW)
    elif step == "summary":
        ctx.say(f"In a few sentences, what solution would you propose for \u201c{title}\u201d? "
                f"({SUMMARY_MIN} to {SUMMARY_MAX} characters)", CANCEL_ROW)
    elif step == "consent":
        p = privacy()
        ctx.say(p.consent, [("I agree", "f:consent:yes"), ("No, thanks", "f:consent:no")],
                [("Read the privacy notice", "f:consent:notice")])
    elif step == "confirm":
        ctx.say(f"Please check your expression of interest:\n\n{_summary_text(ctx.data)}",
                [("Submit", "f:confirm:submit")],
                [("Edit something", "f:confirm:edit"), ("Cancel", "cancel:")])
    elif step == "edit":
        keys = list(EDITABLE)
        ctx.say("What would you like to change?",
                *[[(EDITABLE[k], f"f:edit:{k}") for k in keys[i:i + 2]] for i in range(0, 8, 2)],
                [("Back to the summary", "f:edit:back")])


def _profile_text(data: dict) -> str:
    org, contact = data.get("org", {}), data.get("contact", {})
    lines = [f"Organisation: {org.get('name', '')} ({SIZES.get(org.get('size_band', ''), '?')})",
             f"Based in: {org.get('city', '')}, {org.get('country', '')}",
             f"Website: {org.get('website') or 'none given'}",
             f"Contact: {contact.get('name', '')}, {contact.get('email', '')}"]
    return "\n".join(lines)


def _summary_text(data: dict) -> str:
    return (f"Challenge: {data.get('title', '')}\n{_profile_text(data)}\n\n"
            f"Proposed solution:\n{data.get('summary', '')}")


async def advance(ctx: Ctx, next_step: str) -> None:
    """Go to the next step, or back to the summary when the SME is editing one field."""
    if ctx.data.pop("editing", False):
        next_step = "confirm"
    ctx.goto(FLOW, next_step)
    await prompt(ctx)


def problem(ctx: Ctx, text: str) -> None:
    ctx.say(text, CANCEL_ROW)


# ---- starting ----

async def open_challenge(ctx: Ctx, ref: str) -> Challenge | None:
    """The challenge if an SME may register interest in it now; otherwise explain why not."""
    ref = clean(ref).lower()[:64]
    challenge = await challenges.get_challenge(ctx.session, ref) if ref else None
    if challenge is None or (challenge.status == "draft" and ctx.role == "sme"):
        ctx.say(f"I can't find an open challenge called \u201c{ref}\u201d.",
                [("See open challenges", "chl:0")])
        return None
    if not challenge.is_open(ctx.today):
        ctx.say(f"\u201c{challenge.title}\u201d is closed and no longer takes expressions of "
                "interest. Have a look at the challenges that are open now.",
                [("See open challenges", "chl:0")])
        return None
    return challenge


async def start(ctx: Ctx, ref: str) -> None:
    """Begin an EOI on challenge `ref` (from /interest REF or a Register interest button)."""
    if ctx.flow is not None:
        if ctx.flow == FLOW and ctx.data.get("ref") == ref:
            await prompt(ctx)
            return
        ctx.say("You're in the middle of something else. Carry on with it, or drop it and start "
                "this instead?", [("Carry on", "resume:"), ("Start this instead", f"sw:{ref}")])
        return
    challenge = await open_challenge(ctx, ref)
    if challenge is None:
        return
    org, contact = await people.get_profile(ctx.session, ctx.identity)
    if org is not None:
        existing = await eois.find_eoi(ctx.session, org.id, challenge.id)
        if existing is not None and existing.stage != "withdrawn":
            ctx.say(f"Your organisation has already registered interest in \u201c{challenge.title}"
                    f"\u201d: {existing.reference}, stage: {STAGE_LABELS[existing.stage]}.",
                    [("View it", f"my:{existing.id}")])
            return
    data: dict = {"ref": challenge.ref, "title": challenge.title}
    if org is not None and contact is not None:
        data["org"] = {"name": org.name, "size_band": org.size_band, "country": org.country,
                       "city": org.city, "website": org.website}
        data["contact"] = {"name": contact.name, "email": contact.email}
        ctx.goto(FLOW, "profile", **data)
    else:
        ctx.goto(FLOW, "org_name", org={}, contact={}, **data)
    await prompt(ctx)


# ---- steps: each takes the typed text (or a pressed button's value when ctx.pressed) ----

async def step_profile(ctx: Ctx, text: str) -> None:
    if text == "use":
        await advance(ctx, "summary")
    elif text == "update":
        await advance(ctx, "org_name")
    else:
        ctx.say("Please choose one of the buttons.")
        await prompt(ctx)


async def step_org_name(ctx: Ctx, text: str) -> None:
    value, error = check_text(clean(text), "organisation name", 2, 200)
    if error:
        return problem(ctx, error)
    ctx.data["org"]["name"] = value
    await advance(ctx, "size")


def _size_from_text(text: str) -> str | None:
    text = text.lower()
    for key in SIZES:
        if key in text:
            return key
    number = re.search(r"\d[\d,]*", text)
    if number:
        staff = int(number.group().replace(",", ""))
        return "micro" if staff < 10 else "small" if staff < 50 else "medium" if staff < 250 else "large"
    return None


async def step_size(ctx: Ctx, text: str) -> None:
    size = text if ctx.pressed and text in SIZES else _size_from_text(clean(text))
    if size is None:
        ctx.say("Please choose a size, or type the number of staff.")
        return await prompt(ctx)
    if size == "large":
        ctx.finish()
        ctx.say("Thank you for your interest. DIPS is for small and medium-sized enterprises "
                "(fewer than 250 staff), so I can't register a large organisation. You could "
                "partner with, or subcontract to, an SME that registers. Nothing has been saved.",
                [("Main menu", "menu:")])
        return
    ctx.data["org"]["size_band"] = size
    await advance(ctx, "country")


async def step_country(ctx: Ctx, text: str) -> None:
    value, error = check_text(clean(text), "country", 2, 100)
    if error:
        return problem(ctx, error)
    ctx.data["org"]["country"] = _COUNTRY_ALIASES.get(value.lower().strip("."), value)
    await advance(ctx, "city")


async def step_city(ctx: Ctx, text: str) -> None:
    value, error = check_text(clean(text), "town or city", 2, 100)
    if error:
        return problem(ctx, error)
    ctx.data["org"]["city"] = value
    await advance(ctx, "website")


# "none yet", "not got one", "we don't have a website"...
NO_WEBSITE = re.compile(
    r"^(none|no|nope|not yet|not got|((i|we) )?(haven'?t|have not|don'?t|do not) (got|have))"
    r"(?=\s|$)")


async def step_website(ctx: Ctx, text: str) -> None:
    text = clean(text)
    said = text.lower().replace("\u2019", "'").strip(" .!")
    if said in ("-", "skip", "n/a", "na") or NO_WEBSITE.match(said):
        ctx.data["org"]["website"] = None
    else:
        value, error = check_website(text)
        if error:
            return ctx.say(error, [("Skip", "f:website:-")], CANCEL_ROW)
        ctx.data["org"]["website"] = value
    await advance(ctx, "contact_name")


async def step_contact_name(ctx: Ctx, text: str) -> None:
    value, error = check_text(clean(text), "name", 2, 200)
    if error:
        return problem(ctx, error)
    ctx.data["contact"]["name"] = value
    await advance(ctx, "email")


async def step_email(ctx: Ctx, text: str) -> None:
    value, error = check_email(clean(text))
    if error:
        return problem(ctx, error)
    ctx.data["contact"]["email"] = value
    await advance(ctx, "summary")


async def step_summary(ctx: Ctx, text: str) -> None:
    value, error = check_text(clean(text, keep_newlines=True), "description", SUMMARY_MIN,
                              SUMMARY_MAX)
    if error:
        return problem(ctx, error)
    ctx.data["summary"] = value
    consented = await people.has_consent(ctx.session, ctx.identity.id, privacy().version)
    await advance(ctx, "confirm" if consented or ctx.data.get("consent") else "consent")


async def step_consent(ctx: Ctx, text: str) -> None:
    if ctx.pressed and text == "notice":  # the full notice, then the same question again
        ctx.say(privacy().notice, title="Privacy notice")
        await prompt(ctx)
        return
    if text == "yes" or (not ctx.pressed and clean(text).lower() in ("yes", "y", "i agree", "agree")):
        ctx.data["consent"] = privacy().version
        await advance(ctx, "confirm")
    elif text == "no" or (not ctx.pressed and clean(text).lower() in ("no", "n")):
        ctx.finish()
        ctx.say("No problem: without your agreement I can't store an expression of interest, so "
                "nothing has been saved. You can still ask questions and browse challenges.",
                [("Main menu", "menu:")])
    else:
        ctx.say("Please press \u201cI agree\u201d or \u201cNo, thanks\u201d.")
        await prompt(ctx)


async def step_confirm(ctx: Ctx, text: str) -> None:
    if text == "submit":
        await submit(ctx)
    elif text == "edit":
        ctx.goto(FLOW, "edit")
        await prompt(ctx)
    else:
        ctx.say("Please use the buttons below to submit, edit or cancel.")
        await prompt(ctx)


async def step_edit(ctx: Ctx, text: str) -> None:
    if text == "back":
        ctx.goto(FLOW, "confirm")
    elif text in EDITABLE:
        ctx.goto(FLOW, text, editing=True)
    else:
        ctx.say("Please choose what to change with the buttons.")
    await prompt(ctx)


async def submit(ctx: Ctx) -> None:
    data = ctx.data
    challenge = await open_challenge(ctx, data["ref"])
    if challenge is None:
        ctx.finish()
        return
    returning = ctx.identity.organisation_id is not None
    org, contact = await people.save_profile(
        ctx.session, ctx.identity, dict(data["org"]),
        {"name": data["contact"]["name"], "email": data["contact"]["email"]},
    )
    if data.get("consent"):
        await people.record_consent(ctx.session, ctx.identity, data["consent"], contact.id)
    # Only a returning organisation can hold an EOI here already (a withdrawn one is
    # re-submitted under its old reference); a new one inserts without looking first.
    eoi = await eois.find_eoi(ctx.session, org.id, challenge.id) if returning else None
    try:
        if eoi is None:
            eoi = await eois.create_eoi(
                ctx.session, organisation_id=org.id, challenge_id=challenge.id,
                contact_id=contact.id, identity_id=ctx.identity.id, summary=data["summary"],
                actor=ctx.actor)
        elif eoi.stage != "withdrawn":
            raise eois.DuplicateEoi(eoi)
        else:
            eoi.summary, eoi.contact_id = data["summary"], contact.id
            await eois.change_stage(ctx.session, eoi, "submitted", ctx.actor, "re-submitted")
    except eois.DuplicateEoi as dup:
        ctx.finish()
        ctx.say(f"Your organisation has already registered interest in this challenge: "
                f"{dup.existing.reference}.", [("View it", f"my:{dup.existing.id}")])
        return
    await deliveries.enqueue_for_officers(ctx.session, "new_eoi", {"eoi_id": eoi.id})
    ctx.finish()
    ctx.say(f"Thank you! Your expression of interest in \u201c{challenge.title}\u201d is "
            f"registered.\n\nYour reference: {eoi_reference(eoi.id)}\n\nOfficers from "
            f"{challenge.department} will review it, and I'll tell you here when its stage "
            "changes.",
            [("My expressions of interest", "my:"), ("Find more challenges", "menu:find")])


# ---- an SME's own EOIs ----

async def my_eois(ctx: Ctx, arg: str = "") -> None:
    """List the organisation's EOIs, or show one (`arg` = EOI id)."""
    if (eoi_id := parse_id(arg)) is not None:
        return await show_eoi(ctx, eoi_id)
    org_id = ctx.identity.organisation_id
    rows = await eois.list_eois(ctx.session, organisation_id=org_id) if org_id else []
    if not rows:
        ctx.say("You haven't registered interest in any challenge yet.",
                [("Find challenges", "menu:find"), ("Open challenges", "chl:0")])
        return
    lines = [f"{e.reference}: {e.challenge.title}\n   Stage: {STAGE_LABELS.get(e.stage, e.stage)}"
             for e in rows]
    ctx.say("Your expressions of interest:\n\n" + "\n".join(lines),
            *[[(f"{e.reference} details", f"my:{e.id}")] for e in rows[:20]])


async def _own_eoi(ctx: Ctx, eoi_id: int) -> Eoi | None:
    eoi = await eois.get_eoi(ctx.session, eoi_id)
    if eoi is None or eoi.organisation_id != ctx.identity.organisation_id:
        ctx.say("I can't find that expression of interest among yours.", [("My EOIs", "my:")])
        return None
    return eoi


async def show_eoi(ctx: Ctx, eoi_id: int) -> None:
    eoi = await _own_eoi(ctx, eoi_id)
    if eoi is None:
        return
    rows = []
    if eoi.stage not in END_STAGES:
        rows.append([("Edit proposal", f"ed:{eoi.id}"), ("Withdraw", f"wd:{eoi.id}")])
    elif eoi.stage == "withdrawn" and eoi.challenge.is_open(ctx.today):
        rows.append([("Register again", f"int:{eoi.challenge.ref}")])
    rows.append([("All my EOIs", "my:")])
    contact = eoi.contact
    ctx.say(f"{eoi.reference}: {eoi.challenge.title}\nStage: {STAGE_LABELS.get(eoi.stage, eoi.stage)}\n"
            f"Registered: {eoi.created_at:%d %b %Y}\n"
            f"Contact: {contact.name + ', ' + contact.email if contact else 'none'}\n\n"
            f"Proposed solution:\n{eoi.summary}", *rows)


async def start_edit(ctx: Ctx, arg: str) -> None:
    if (eoi_id := parse_id(arg)) is None or (eoi := await _own_eoi(ctx, eoi_id)) is None:
        return
    if eoi.stage in END_STAGES:
        ctx.say(f"{eoi.reference} is {STAGE_LABELS[eoi.stage].lower()} and can't be edited.")
        return
    if ctx.flow is not None:
        ctx.say("Please finish or /cancel what you're doing first.", [("Carry on", "resume:")])
        return
    ctx.goto(EDIT_FLOW, "summary", eoi_id=eoi.id)
    ctx.say(f"Current proposal for {eoi.reference}:\n\n{eoi.summary}\n\nType the new version "
            f"({SUMMARY_MIN} to {SUMMARY_MAX} characters).", CANCEL_ROW)


async def prompt_edit(ctx: Ctx) -> None:
    ctx.say(f"Type the new version of your proposal ({SUMMARY_MIN} to {SUMMARY_MAX} "
            "characters).", CANCEL_ROW)


async def step_edit_summary(ctx: Ctx, text: str) -> None:
    value, error = check_text(clean(text, keep_newlines=True), "description", SUMMARY_MIN,
                              SUMMARY_MAX)
    if error:
        return problem(ctx, error)
    eoi = await _own_eoi(ctx, int(ctx.data.get("eoi_id", 0)))
    ctx.finish()
    if eoi is None or eoi.stage in END_STAGES:
        return
    eoi.summary = value
    ctx.say(f"Updated {eoi.reference}.", [("View it", f"my:{eoi.id}")])


async def ask_withdraw(ctx: Ctx, arg: str) -> None:
    if (eoi_id := parse_id(arg)) is None or (eoi := await _own_eoi(ctx, eoi_id)) is None:
        return
    if eoi.stage in END_STAGES:
        ctx.say(f"{eoi.reference} is already {STAGE_LABELS[eoi.stage].lower()}.")
        return
    ctx.say(f"Withdraw {eoi.reference} (\u201c{eoi.challenge.title}\u201d)? Officers will stop "
            "considering it.", [("Yes, withdraw it", f"wdy:{eoi.id}"), ("No, keep it", f"my:{eoi.id}")])


async def do_withdraw(ctx: Ctx, arg: str) -> None:
    if (eoi_id := parse_id(arg)) is None or (eoi := await _own_eoi(ctx, eoi_id)) is None:
        return
    if eoi.stage in END_STAGES:
        ctx.say(f"{eoi.reference} is already {STAGE_LABELS[eoi.stage].lower()}.")
        return
    await eois.change_stage(ctx.session, eoi, "withdrawn", ctx.actor, "withdrawn by the SME")
    ctx.say(f"{eoi.reference} is withdrawn. You can register again while the challenge is open.",
            [("My EOIs", "my:")])


async def switch(ctx: Ctx, ref: str) -> None:
    """Drop the current flow and start an EOI on `ref`."""
    ctx.finish()
    await start(ctx, ref)


ASIDE_MAX = 120  # a short typed line ending in "?" is a question; a long one may be an answer


def answers_asides(step: Handler) -> Handler:
    """A step that takes a short typed question ("what is social value?") as a question:
    answered from the FAQ where it can be, then the same step asked again; never stored."""
    async def guarded(ctx: Ctx, text: str) -> None:
        question = clean(text)
        if ctx.pressed or not question.endswith("?") or len(question) > ASIDE_MAX:
            await step(ctx, text)
            return
        result = ctx.core.answerer.answer(question) if ctx.core.answerer is not None else None
        if result is not None and result.kind == "answer":
            from handlers.sme.assist import answer  # here: assist -> menu -> this module

            await answer(ctx, result.entry, handoff=False)
        else:
            ctx.say("That sounds like a question. Ask it again once we've finished here, and I'll "
                    "answer it or pass it to an officer (or type /cancel to stop now).")
        ctx.say("If that was your answer, please type it without the question mark.")
        await prompt(ctx)
    return guarded


def register(core: Core) -> None:
    typed = {"org_name": step_org_name, "size": step_size, "country": step_country,
             "city": step_city, "website": step_website, "contact_name": step_contact_name,
             "email": step_email, "summary": step_summary}
    core.flow(FLOW, {
        "profile": step_profile, **{name: answers_asides(s) for name, s in typed.items()},
        "consent": step_consent, "confirm": step_confirm, "edit": step_edit,
    })
    core.flow(EDIT_FLOW, {"summary": step_edit_summary})
    core.button("int", start)
    core.button("sw", switch)
    core.button("my", my_eois)
    core.button("ed", start_edit)
    core.button("wd", ask_withdraw)
    core.button("wdy", do_withdraw)
    core.command("interest", interest_command)
    core.command("my", my_eois)


FILLER = {"a", "an", "the", "of", "in", "for", "and", "to", "on", "please", "challenge"}


async def interest_command(ctx: Ctx, args: str) -> None:
    """`/interest REF`, or words of a challenge's title ("/interest food hubs")."""
    wanted = clean(args).lower()[:200]
    if wanted:
        ref = wanted.split()[0]
        if await challenges.get_challenge(ctx.session, ref) is None:
            words = set(re.findall(r"[a-z0-9]+", wanted)) - FILLER
            titled = [c for c in await challenges.list_challenges(ctx.session, open_on=ctx.today)
                      if words and words <= set(re.findall(r"[a-z0-9]+", f"{c.title} {c.ref}".lower()))]
            if len(titled) > 1:
                ctx.say("Several open challenges fit that. Which one?",
                        *[[(c.title[:60], f"int:{c.ref}")] for c in titled[:8]])
                return
            if not titled:
                ctx.say(f"I can't find an open challenge called \u201c{wanted[:64]}\u201d.",
                        [("See open challenges", "chl:0")])
                return
            ref = titled[0].ref
        await start(ctx, ref)
    else:
        ctx.say("Which challenge? Pick one from the open challenges, then press "
                "\u201cRegister interest\u201d.", [("Open challenges", "chl:0")])
