"""Assembling the core for a process: store, catalogue seed, FAQ and matcher."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from content.challenges import ChallengeSpec, load_catalogue, shipped_catalogue
from handlers.kernel.core import Core, CoreConfig
from handlers.kernel.router import Router
from storage import challenges
from storage.audit import audit
from storage.store import Store

log = logging.getLogger(__name__)


async def seed_catalogue(store: Store) -> int:
    """A store that has never held a challenge gets the shipped sample catalogue."""
    try:
        async with store.session() as session:
            if await challenges.count_challenges(session):
                return 0
            created, _, _ = await challenges.upsert_challenges(
                session, [dataclasses.asdict(spec) for spec in shipped_catalogue()]
            )
    except IntegrityError:  # a replica starting at the same moment seeded it first...
        async with store.session() as session:
            if not await challenges.count_challenges(session):
                raise  # ...or not: the shipped catalogue itself is at fault
        return 0
    log.info("seeded the store with %d sample challenges", created)
    return created


async def seed_demo_catalogue(store: Store) -> int:
    """Serving commands: only the embedded demonstration store (SQLite) is seeded with the
    sample challenges; a shared PostgreSQL store is seeded only by `dips challenges seed-samples`."""
    return await seed_catalogue(store) if store.dialect == "sqlite" else 0


async def seed_samples(store: Store, actor: str) -> tuple[int, int, int]:
    """`dips challenges seed-samples`: add (or refresh) the sample challenges on any store; a
    sample an admin has since published or closed keeps its status."""
    async with store.session() as session:
        counts = await challenges.upsert_challenges(
            session, [dataclasses.asdict(spec) for spec in shipped_catalogue()], keep_status=True)
        await audit(session, actor, "challenges_seed_samples", "samples", created=counts[0])
    return counts


@dataclasses.dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int
    kept: list[tuple[str, str, str]]  # (ref, status kept, status in the file)
    open_samples: list[str]  # sample challenges still open after the import
    closed_samples: list[str]  # sample challenges this import closed


async def import_catalogue(store: Store, path: Path, actor: str, *, statuses: bool = False,
                           close_samples: bool = False,
                           each: Callable[[list[Any]], Iterable[Any]] = iter) -> ImportResult:
    """Validate the whole file first, then upsert it in one transaction (all or nothing).

    An existing challenge that is published or closed keeps its status unless `statuses`; a
    real catalogue (not samples) leaves the open sample challenges open unless `close_samples`."""
    specs: list[ChallengeSpec] = load_catalogue(path)  # raises CatalogueError listing every problem
    kept: list[tuple[str, str, str]] = []
    async with store.session() as session:
        created, updated, unchanged = await challenges.upsert_challenges(
            session, [dataclasses.asdict(s) for s in specs], keep_status=not statuses, kept=kept,
            each=each)
        samples: list[str] = []
        closed: list[str] = []
        if not all(s.sample for s in specs):
            samples = [c.ref for c in await challenges.open_samples(
                session, besides=[s.ref for s in specs])]
            if close_samples:
                for ref in samples:
                    await challenges.set_status(session, ref, "closed")
                closed, samples = samples, []
        await audit(session, actor, "challenges_import", str(path.name), created=created,
                    updated=updated, kept_status=[k[0] for k in kept], closed_samples=closed)
    return ImportResult(created, updated, unchanged, kept, samples, closed)


def routers() -> list[Router]:
    """Every feature's router, in the order their free-text fallbacks don't matter."""
    from handlers.admin import audit, broadcast, faq_review
    from handlers.officer import assessing, cases, criteria, dips, drafting, eois, reports, stages, versions
    from handlers.officer import challenges as officer_challenges
    from handlers.officer import partners as officer_partners
    from handlers.officer import workshops as officer_workshops
    from handlers.sme import (
        alerts,
        assist,
        case_reply,
        eoi_form,
        follow,
        language,
        menu,
        my_eois,
        partner_intros,
        partners,
        privacy,
    )
    from handlers.sme import challenges as sme_challenges
    from handlers.sme import workshops as sme_workshops

    return [menu.router, eoi_form.router, my_eois.router, sme_challenges.router, assist.router,
            alerts.router, privacy.router, case_reply.router, dips.router, eois.router, stages.router,
            officer_challenges.router, reports.router, cases.router, broadcast.router,
            audit.router, versions.router, faq_review.router, drafting.router, assessing.router,
            criteria.router, officer_workshops.router, sme_workshops.router,
            language.router, partners.router, partner_intros.router,
            officer_partners.router, follow.router]


def build_core(store: Store, config: CoreConfig | None = None, *, with_faq: bool = True,
               with_matching: bool = True) -> Core:
    answerer = index = None
    if with_faq:
        from handlers.engines.faq.multilingual import load_answerer

        answerer = load_answerer()
    if with_matching:
        from handlers.engines.matching.catalogue import CatalogueIndex

        index = CatalogueIndex()
    return Core(store, config, answerer=answerer, index=index, routers=routers())
