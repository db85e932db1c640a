"""The officers' channel notices about EOIs (a new one, a new version), built for the
delivery workers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.buttons import OfficerEoi, StageMove
from handlers.domain.stages import stage_label
from handlers.kernel.callbacks import CallbackData
from handlers.kernel.messages import Reply, buttons
from handlers.kernel.text import t
from storage import eois
from storage.models import Eoi, EoiVersion
from storage.versions import DETAILS, shown_details

FIELD = {"size_band": "size", "contact_email": "email"}  # a detail's label: eoi.field.<name>


class EoiVersions(CallbackData, prefix="evv"):
    """An EOI's versions, the original beside each change (handlers/officer/versions.py)."""

    eoi_id: int


async def new_eoi_notice(session: AsyncSession, eoi_ids: list[int]) -> list[Reply]:
    """The officers' channel notice for new EOIs: one reply each, with buttons to act on it."""
    replies = []
    for eoi_id in eoi_ids:
        e = await eois.get_eoi(session, eoi_id)
        if e is None:  # deleted since it was queued
            continue
        d = shown_details(e)
        replies.append(Reply(
            t("officer_eois.new_notice", reference=e.reference, organisation=d["org_name"],
              size=d["size_band"], city=d["city"], country=d["country"], title=e.challenge.title,
              ref=e.challenge.ref, summary=e.summary[:500]),
            buttons([(t("button.details"), OfficerEoi(e.id)),
                     (stage_label("exploration"), StageMove(e.id, f"exploration@{e.stage}")),
                     (stage_label("not-selected"), StageMove(e.id, f"not-selected@{e.stage}"))])))
    return replies


def version_notice(eoi: Eoi, version: EoiVersion, before: list[EoiVersion]) -> Reply:
    """The officers' channel notice for a new version: what changed, beside the original."""
    original, previous = before[0], before[-1]
    changes = [t("versions.detail_change", field=t(f"eoi.field.{FIELD.get(key, key)}"),
                 old=getattr(previous, key) or "-", new=getattr(version, key) or "-")
               for key in DETAILS if getattr(previous, key) != getattr(version, key)]
    if version.summary != previous.summary:
        changes += [t("versions.original", number=original.number, text=original.summary[:700]),
                    t("versions.now", number=version.number, text=version.summary[:700])]
    text = t(f"versions.notice.{version.kind}", reference=eoi.reference,
             title=eoi.challenge.title, stage=stage_label(eoi.stage), number=version.number,
             changes="\n".join(changes))
    return Reply(text, buttons([(t("versions.button"), EoiVersions(eoi.id)),
                                (t("button.details"), OfficerEoi(eoi.id))]),
                 None, t(f"versions.title.{version.kind}"))
