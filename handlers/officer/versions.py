"""An EOI's versions for officers: `/dips versions ID`, the original beside each change."""

from __future__ import annotations

from handlers.domain.departments import may_see_eoi
from handlers.domain.notices import EoiVersions
from handlers.domain.stages import stage_label
from handlers.kernel.context import Ctx
from handlers.kernel.router import Router
from handlers.kernel.text import t
from handlers.kernel.validation import clean, parse_id
from storage import eois, versions
from storage.models import EoiVersion

router = Router("officer.versions")


def eoi_id_of(text: str) -> int | None:
    text = clean(text).upper().removeprefix("EOI-").lstrip("0") or "0"
    return parse_id(text) or None


def version_text(v: EoiVersion) -> str:
    none = t("my.no_contact")
    return "\n".join((
        t("versions.line", number=v.number, kind=t(f"versions.kind.{v.kind}"), at=v.at,
          stage=stage_label(v.stage), actor=v.actor),
        t("versions.body", organisation=v.org_name or none, size=v.size_band or "-",
          city=v.city or "-", country=v.country or "-", website=v.website or none,
          contact=v.contact_name or none, email=v.contact_email or "-", summary=v.summary)))


@router.command("versions", action="eoi", dips=True, top=False)
async def show_versions(ctx: Ctx, args: str) -> None:
    eoi_id = eoi_id_of(args)
    eoi = await eois.get_eoi(ctx.session, eoi_id) if eoi_id else None
    if eoi is None:
        ctx.say(t("versions.usage"))
        return
    if not await may_see_eoi(ctx.session, ctx.identity, eoi):
        ctx.say(t("departments.not_yours", reference=eoi.reference))
        return
    rows = await versions.versions(ctx.session, eoi.id)
    ctx.say("\n\n".join([t("versions.header", reference=eoi.reference, title=eoi.challenge.title,
                           stage=stage_label(eoi.stage), count=len(rows))]
                        + [version_text(v) for v in rows]))


@router.button(EoiVersions, action="eoi")
async def versions_button(ctx: Ctx, pressed: EoiVersions) -> None:
    await show_versions(ctx, str(pressed.eoi_id))
