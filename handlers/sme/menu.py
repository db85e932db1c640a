"""Welcome, help, the menu and cancel: the glue every audience shares."""

from __future__ import annotations

from handlers.kernel.callbacks import Cancel, Resume
from handlers.kernel.context import Ctx
from handlers.kernel.messages import Row
from handlers.kernel.roles import is_staff
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.sme.buttons import EOI_LIST, FIND, HUMAN, OPEN_LIST, SUBSCRIBE, MenuPick

router = Router("sme.menu")


def menu_rows(ctx: Ctx) -> tuple[Row, ...]:
    rows: tuple[Row, ...] = (
        [(t("menu.find"), FIND), (t("button.open_challenges"), OPEN_LIST)],
        [(t("button.my_eois"), EOI_LIST), (t("menu.ask"), MenuPick("ask"))],
        [(t("menu.alerts"), SUBSCRIBE), (t("button.talk_to_person"), HUMAN)],
    )
    if is_staff(ctx.role):
        rows += ([(t("menu.staff_eois"), MenuPick("eois")),
                  (t("menu.staff_questions"), MenuPick("questions"))],)
    return rows


@router.command("start")
async def start(ctx: Ctx, args: str) -> None:
    if ctx.flow is not None:  # coming back to an open form: name it, never a fresh start
        await menu(ctx, "")
        return
    if args:  # deep link from an announcement: /start <challenge-ref>
        from handlers.sme.challenges import details, visible_challenge

        ref = args.split()[0]
        if await visible_challenge(ctx, ref) is not None:
            await details(ctx, ref)
            return
    ctx.say(t("menu.welcome"), *menu_rows(ctx))


@router.command("help")
async def help_(ctx: Ctx, args: str) -> None:
    ctx.say(t("menu.help") + "\n" + t("language.help")
            + (t("menu.staff_help") if is_staff(ctx.role) else ""), *menu_rows(ctx))


@router.command("menu")
async def menu(ctx: Ctx, args: str) -> None:
    if ctx.flow is not None:
        ctx.say(t("menu.in_the_middle", form=ctx.core.describe(ctx)),
                [(t("button.carry_on"), Resume()), (t("menu.cancel_it"), Cancel())])
        return
    ctx.say(t("menu.what_next"), *menu_rows(ctx))


@router.command("cancel")
async def cancel(ctx: Ctx, args: str) -> None:
    if ctx.flow is None:
        ctx.say(t("menu.nothing_to_cancel"), *menu_rows(ctx))
        return
    ctx.finish()
    ctx.say(t("menu.cancelled"), *menu_rows(ctx))


@router.button(Cancel, action="cancel")
async def cancel_button(ctx: Ctx, _: Cancel) -> None:
    await cancel(ctx, "")


@router.button(MenuPick, action="menu")
async def menu_pick(ctx: Ctx, pick: MenuPick) -> None:
    """Each entry runs its command through the kernel, so its own permission is checked:
    a forged `menu:eois` from an SME is refused like a typed /eois."""
    if pick.target == "ask":
        ctx.say(t("menu.ask_prompt"))
    elif pick.target in ("find", "subscribe", "human", "eois", "questions"):
        await ctx.run(pick.target)
    else:
        await menu(ctx, "")
