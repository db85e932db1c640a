"""Officers' reviews of FAQ translations, kept in the audit log itself.

A review is an audit entry (action REVIEWED, target "<faq id>/<language>", detail with the
digest of the text reviewed), so marking a translation reviewed is audited by construction and
needs no table of its own; a translation edited after its review has a new digest and shows as
not yet reviewed again.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import audit
from storage.models import AuditEntry

REVIEWED = "faq_translation_reviewed"


def _target(faq_id: str, language: str) -> str:
    return f"{faq_id}/{language}"


async def reviewed_digests(session: AsyncSession) -> dict[tuple[str, str], set[str]]:
    """(faq id, language) -> digests of the texts an officer has reviewed."""
    rows = await session.scalars(select(AuditEntry).where(AuditEntry.action == REVIEWED))
    out: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        detail = row.detail or {}
        faq_id, language, digest = detail.get("faq_id"), detail.get("language"), detail.get("digest")
        if isinstance(faq_id, str) and isinstance(language, str) and isinstance(digest, str):
            out.setdefault((faq_id, language), set()).add(digest)
    return out


async def is_reviewed(session: AsyncSession, faq_id: str, language: str, digest: str) -> bool:
    rows = await session.scalars(select(AuditEntry).where(
        AuditEntry.action == REVIEWED, AuditEntry.target == _target(faq_id, language)))
    return any((row.detail or {}).get("digest") == digest for row in rows)


async def mark_reviewed(session: AsyncSession, actor: str, faq_id: str, language: str,
                        digest: str) -> None:
    await audit(session, actor, REVIEWED, _target(faq_id, language), faq_id=faq_id,
                language=language, digest=digest)
