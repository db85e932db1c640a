"""Housekeeping: `dips db upgrade`, `dips roles grant|revoke`, `dips privacy purge`."""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import open_cli_store
from bot.settings import Settings


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import current_revision

    store = await open_cli_store(settings)
    print(f"database is at revision {await current_revision(store.engine)}")
    await store.close()
    return 0


async def cmd_roles(args: argparse.Namespace, settings: Settings) -> int:
    from storage import departments, people
    from storage.audit import audit

    platform, _, user = args.who.partition(":")
    if platform not in ("telegram", "slack", "console") or not user:
        print("who must look like slack:U123ABC or telegram:123456", file=sys.stderr)
        return 2
    role = args.role if args.action == "grant" else "sme"
    named = [" ".join(d.split())[:200] for d in getattr(args, "department", None) or []]
    if named and role != "officer":
        print("--department is for officers; admins see every department", file=sys.stderr)
        return 2
    store = await open_cli_store(settings)
    async with store.session() as session:
        known = {d.casefold(): d for d in await departments.known_departments(session)}
        identity = await people.set_role(session, platform, user, role)
        kept = await departments.set_departments(
            session, identity.id, [known.get(d.casefold(), d) for d in named])
        await audit(session, "cli", f"role_{args.action}", args.who, role=args.role,
                    departments=kept)
    await store.close()
    unknown = [d for d in kept if d.casefold() not in known]
    print(f"{args.who} is now {role}" + (f" in {', '.join(kept)}" if kept else ""))
    if unknown:
        print(f"note: no challenge names {', '.join(unknown)} yet")
    if role == "officer" and not kept:
        print("note: no department named, so this officer sees every department's EOIs "
              "and questions; name them with --department")
    return 0


async def cmd_privacy_purge(args: argparse.Namespace, settings: Settings) -> int:
    """Erase SMEs with no activity for longer than the retention period."""
    from datetime import timedelta

    from storage import privacy
    from storage.audit import audit
    from storage.models import utcnow

    days = args.older_than if args.older_than is not None else settings.retention_days
    if days < 1:
        print("--older-than must be at least 1 day", file=sys.stderr)
        return 2
    store = await open_cli_store(settings)
    async with store.session() as session:
        stale = await privacy.stale_identities(session, utcnow() - timedelta(days=days))
    if stale and not args.yes:
        print(f"{len(stale)} SME(s) have had no activity for {days} days.")
        if input("Erase their personal data? This can't be undone. [y/N] ").strip().lower() != "y":
            await store.close()
            print("nothing was erased")
            return 1
    async with store.session() as session:
        for identity in stale:
            await privacy.erase(session, await session.merge(identity), erased_by="retention")
        await audit(session, "cli", "privacy_purge", None, days=days, erased=len(stale))
    await store.checkpoint()
    await store.close()
    print(f"erased the personal data of {len(stale)} SME(s) inactive for {days} days")
    return 0
