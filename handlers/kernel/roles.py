"""Who may do what: one table, checked in the core for every platform."""

from __future__ import annotations

SME, OFFICER, ADMIN = "sme", "officer", "admin"
EVERYONE = frozenset({SME, OFFICER, ADMIN})
STAFF = frozenset({OFFICER, ADMIN})
ADMINS = frozenset({ADMIN})
ROLES_IN_ORDER = (SME, OFFICER, ADMIN)

# command or action -> roles allowed to run it
PERMISSIONS: dict[str, frozenset[str]] = {
    "start": EVERYONE,
    "help": EVERYONE,
    "menu": EVERYONE,
    "cancel": EVERYONE,
    "challenges": EVERYONE,
    "challenge": EVERYONE,
    "match": EVERYONE,
    "find": EVERYONE,
    "interest": EVERYONE,
    "my": EVERYONE,
    "subscribe": EVERYONE,
    "unsubscribe": EVERYONE,
    "ask": EVERYONE,
    "human": EVERYONE,
    "privacy": EVERYONE,
    "mydata": EVERYONE,
    "forget": EVERYONE,
    "eois": STAFF,
    "eoi": STAFF,
    "stage": STAFF,
    "questions": STAFF,
    "dips": STAFF,  # the officers' /dips entry (Slack slash command, console)
    "export": STAFF,
    "impact": STAFF,
    "dashboard": STAFF,
    "audit": ADMINS,
    "publish": ADMINS,
    "broadcast": ADMINS,
}


def allowed(role: str, action: str) -> bool:
    return role in PERMISSIONS.get(action, frozenset())
