"""`/language`: the language the assistant writes to this person in (stored per identity).

Telegram's language_code sets it on first contact (handlers/kernel/core.py); this changes it,
with a button per language or `/language sv`. Officers' Slack stays English whatever is chosen.
"""

from __future__ import annotations

from content.locale import LANGUAGES, supported
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx
from handlers.kernel.router import Router
from handlers.kernel.text import language_name, speak_from_now, t
from storage import people

router = Router("sme.language")


class SetLanguage(CallbackData, prefix="lang"):
    """A language chosen from /language's buttons."""

    language: str


@router.command("language", aside=True)
async def choose(ctx: Ctx, args: str) -> None:
    if args.strip():
        code = supported(args.strip()) or next(
            (c for c, name in LANGUAGES.items() if name.lower() == args.strip().lower()), None)
        if code is not None:
            await _set(ctx, code)
            return
    ctx.say(t("language.choose", current=language_name(ctx.identity.language or "en")),
            *[[(name, SetLanguage(code)) for code, name in list(LANGUAGES.items())[i:i + 2]]
              for i in range(0, len(LANGUAGES), 2)])


@router.button(SetLanguage, action="language")
async def pressed(ctx: Ctx, choice: SetLanguage) -> None:
    code = supported(choice.language)
    if code is None:  # a forged or outdated button: ask again
        await choose(ctx, "")
        return
    await _set(ctx, code)


async def _set(ctx: Ctx, code: str) -> None:
    await people.set_language(ctx.session, ctx.identity, code)
    speak_from_now(code)  # the confirmation, and anything after it, in the new language
    ctx.say(t("language.set", language=language_name(code)))
