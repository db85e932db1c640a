"""Data-protection rights in the conversation: the notice, a copy of one's data, erasure."""

from __future__ import annotations

import json

from content.privacy import privacy
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Attachment
from handlers.kernel.router import Router
from handlers.kernel.text import language, t
from storage import privacy as records
from storage.audit import audit

router = Router("sme.privacy")


class Forget(CallbackData, prefix="forget"):
    """The answer to \"Erase everything?\": yes or no."""

    answer: str = ""


@router.command("privacy")
async def notice(ctx: Ctx, args: str) -> None:
    ctx.say(t("privacy.notice", notice=privacy().notice(ctx.core.config.retention_days, language())),
            title=t("privacy.title"))


@router.command("mydata")
async def my_data(ctx: Ctx, args: str) -> None:
    data = await records.export(ctx.session, ctx.identity)
    content = json.dumps(data, indent=2, ensure_ascii=False, default=str).encode()
    ctx.say(t("privacy.my_data"),
            attachment=Attachment("dips-my-data.json", content, "application/json"))


@router.command("forget")
async def forget(ctx: Ctx, args: str) -> None:
    ctx.say(t("privacy.forget"),
            [(t("privacy.yes_erase"), Forget("yes")), (t("button.no_keep_it"), Forget("no"))])


@router.button(Forget, action="forget")
async def forget_button(ctx: Ctx, pressed: Forget) -> None:
    if pressed.answer != "yes":
        ctx.say(t("privacy.nothing_erased"))
        return
    await records.erase(ctx.session, ctx.identity, erased_by="self")
    await audit(ctx.session, "self", "erasure", f"{ctx.identity.platform} identity")
    ctx.forget_state()  # the state row went with the identity
    ctx.after_commit.append(ctx.core.store.checkpoint)  # no copy left in SQLite's log
    ctx.say(t("privacy.erased"))

