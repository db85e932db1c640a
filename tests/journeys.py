"""An SME's whole way to an expression of interest, typed and pressed as a person would, for
the tests that reach the bot through different doors (a `dips run` process, webhook replicas)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.fake_telegram import FakeTelegram

# (text to type, or the label of a button to press; text the reply must contain) -> the reply
Act = Callable[[str, str], Awaitable[str]]


async def journey_to_eoi(fake: FakeTelegram, user: int, say: Act, press: Act, *, org: str,
                         website: str | None, contact: str, email: str) -> str:
    """From /start through the menu to a submitted EOI; returns its reference (EOI-nnnnnn)."""
    await say("/start", "Welcome to DIPS Assistant")
    await press("Open challenges", "Open challenges")
    ref = next(b["callback_data"][3:] for row in fake.last_keyboard(user) for b in row
               if b["callback_data"].startswith("ch:"))
    await say(f"/interest {ref}", "organisation's name")
    await say(org, "How many people")
    await press("Micro", "Which country")
    await say("UK", "town or city")
    await say("Birmingham", "website")
    if website is None:
        await press("Skip", "contact")
    else:
        await say(website, "contact")
    await say(contact, "email")
    await say(email, "solution")
    await say("A sensor network that shares its data openly with the council.", "")
    if "I agree" in str(fake.last_keyboard(user)):  # consent is asked once per wording
        await press("I agree", "check your expression of interest")
    done = await press("Submit", "EOI-")
    return done[done.index("EOI-"):][:10]
