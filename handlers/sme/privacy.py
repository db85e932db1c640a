"""Data-protection rights in the conversation: the notice, a copy of one's data, erasure."""

from __future__ import annotations

import json

from content.privacy import privacy
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Attachment
from handlers.kernel.router import Router
from storage import privacy as records
from storage.audit import audit

router = Router("sme.privacy")


class Forget(CallbackData, prefix="forget"):
    """The answer to \"Erase everything?\": yes or no."""

    answer: str = ""


@router.command("privacy")
async def notice(ctx: Ctx, args: str) -> None:
    ctx.say(privacy().notice + "\n\n/mydata sends you a copy of everything we hold about you; "
            "/forget erases it.", title="Privacy notice")


@router.command("mydata")
async def my_data(ctx: Ctx, args: str) -> None:
    data = await records.export(ctx.session, ctx.identity)
    content = json.dumps(data, indent=2, ensure_ascii=False, default=str).encode()
    ctx.say("Here is everything DIPS Assistant holds about you, as a JSON file.",
            attachment=Attachment("dips-my-data.json", content, "application/json"))


@router.command("forget")
async def forget(ctx: Ctx, args: str) -> None:
    ctx.say("This erases your contact details, your organisation's details, your proposals, "
            "questions and alerts. Officers will no longer be able to contact you about your "
            "expressions of interest. It can't be undone. Erase everything?",
            [("Yes, erase my data", Forget("yes")), ("No, keep it", Forget("no"))])


@router.button(Forget, action="forget")
async def forget_button(ctx: Ctx, pressed: Forget) -> None:
    if pressed.answer != "yes":
        ctx.say("Nothing was erased.")
        return
    await records.erase(ctx.session, ctx.identity, erased_by="self")
    await audit(ctx.session, "self", "erasure", f"{ctx.identity.platform} identity")
    ctx.forget_state()  # the state row went with the identity
    ctx.say("Done: your personal data has been erased. If you write again, I'll treat you as "
            "a new user.")

