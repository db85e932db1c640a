"""Officers belong to departments: what an officer may see and move.

An officer sees and moves the EOIs and questions (cases) of their departments' challenges;
admins see everything. An officer with no department named (granted before departments
existed) keeps seeing everything until an admin names theirs with `dips roles grant`.
A question about no particular challenge is for every officer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage import departments
from storage.models import Eoi, Identity, Question


def normal(department: str) -> str:
    """Departments compare case-insensitively, white space collapsed."""
    return " ".join(department.split()).casefold()


@dataclass(frozen=True)
class Scope:
    """None: every department; else the normalised names of the officer's departments."""

    names: frozenset[str] | None

    def covers(self, department: str | None) -> bool:
        if self.names is None or department is None:
            return True
        return normal(department) in self.names

    def eois(self, rows: list[Eoi]) -> list[Eoi]:
        return [e for e in rows if self.covers(e.challenge.department)]


EVERYTHING = Scope(None)


async def scope_of(session: AsyncSession, identity: Identity) -> Scope:
    if identity.role != "officer":
        return EVERYTHING  # admins see all; SMEs never get this far (the roles table)
    named = await departments.departments_of(session, identity.id)
    return Scope(frozenset(normal(d) for d in named)) if named else EVERYTHING


async def may_see_eoi(session: AsyncSession, identity: Identity, eoi: Eoi) -> bool:
    return (await scope_of(session, identity)).covers(eoi.challenge.department)


async def may_see_case(session: AsyncSession, identity: Identity, case: Question) -> bool:
    scope = await scope_of(session, identity)
    if scope.names is None or case.challenge_id is None:
        return True
    return scope.covers(await departments.department_of_challenge(session, case.challenge_id))


async def visible_cases(session: AsyncSession, scope: Scope, rows: list[Question]) -> list[Question]:
    if scope.names is None:
        return rows
    return [q for q in rows if q.challenge_id is None or scope.covers(
        await departments.department_of_challenge(session, q.challenge_id))]
