"""Who may do what: one table of actions, checked by the kernel on every dispatch.

Every command, button kind and flow is registered with the action it performs (see
handlers/kernel/router.py); the kernel checks this table each time one runs, including one
handler handing over to another and every step of a flow. `tests/test_permissions.py` checks
that the table and the registry list the same actions.
"""

from __future__ import annotations

from handlers.kernel.text import t

SME, OFFICER, ADMIN = "sme", "officer", "admin"
EVERYONE = frozenset({SME, OFFICER, ADMIN})
STAFF = frozenset({OFFICER, ADMIN})
ADMINS = frozenset({ADMIN})
ROLES_IN_ORDER = (SME, OFFICER, ADMIN)

# action -> roles allowed to perform it
PERMISSIONS: dict[str, frozenset[str]] = {
    # everyone: the menu, challenges, EOIs, alerts, questions, personal data
    "start": EVERYONE,
    "help": EVERYONE,
    "menu": EVERYONE,
    "cancel": EVERYONE,
    "resume": EVERYONE,
    "challenges": EVERYONE,
    "challenge": EVERYONE,
    "match": EVERYONE,
    "find": EVERYONE,
    "interest": EVERYONE,
    "my": EVERYONE,
    "subscribe": EVERYONE,
    "unsubscribe": EVERYONE,
    "follow": EVERYONE,  # a challenge's deadline reminders
    "unfollow": EVERYONE,
    "ask": EVERYONE,
    "human": EVERYONE,
    "reply": EVERYONE,
    "privacy": EVERYONE,
    "mydata": EVERYONE,
    "forget": EVERYONE,
    "language": EVERYONE,  # the language the assistant writes in (officers' Slack stays English)
    "dismiss": EVERYONE,  # Cancel on a preview: nothing to undo
    "workshop_answer": EVERYONE,  # an invited SME's answer (only theirs: checked on the invite)
    # partners across cities: each handler checks the listing or introduction is the user's
    "partners": EVERYONE,  # a challenge's partnering page, browsing the discoverable SMEs
    "partner": EVERYONE,  # offering oneself as a partner, withdrawing the listing
    "introduce": EVERYONE,  # asking for, answering, withdrawing an introduction; naming a partner
    # council officers (and admins)
    "dips": STAFF,
    "eois": STAFF,
    "eoi": STAFF,
    "stage": STAFF,
    "undo": STAFF,  # an officer's own latest stage move, within the undo window
    "questions": STAFF,
    "export": STAFF,
    "impact": STAFF,
    "dashboard": STAFF,
    "draft": STAFF,  # draft a challenge, edit it, submit it for approval
    "assess": STAFF,  # score an EOI of their departments' challenges
    "ranking": STAFF,
    "criteria": STAFF,  # see and weigh their departments' challenges' assessment criteria
    "feedback": STAFF,  # review, then send, feedback to an SME not selected
    "workshop": STAFF,  # exploration workshops: create, invite, attendance
    "partnerships": STAFF,  # /dips partners REF: the partnerships formed on a challenge
    # admins
    "audit": ADMINS,
    "publish": ADMINS,
    "broadcast": ADMINS,
    "approve": ADMINS,  # approve or send back a draft challenge (never one's own)
    "faq_review": ADMINS,  # accept (as a draft file) or reject officers' FAQ suggestions
}


def allowed(role: str, action: str) -> bool:
    return role in PERMISSIONS.get(action, frozenset())


def who_may(action: str) -> str:
    """Who to name in a refusal: the least role that may perform the action."""
    return t("kernel.who_officers") if allowed(OFFICER, action) else t("kernel.who_admins")


def is_staff(role: str) -> bool:
    """Officers and admins: they also see draft challenges and the staff menu."""
    return role in STAFF
