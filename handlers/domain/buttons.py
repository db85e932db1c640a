"""Button kinds the domain puts on the messages it builds, declared once for every feature.

A notice or announcement built by handlers/domain carries these; the feature that answers a
press registers the kind on its router (handlers/officer, handlers/sme). Keeping them here lets
the domain build messages without importing a chat feature.
"""

from __future__ import annotations

from handlers.kernel.callbacks import CallbackData

# ---- cases (a case's notice and reminders; the answer sent to the SME) ----


class Claim(CallbackData, prefix="csc"):
    case_id: int


class Answer(CallbackData, prefix="csa"):
    case_id: int


class Close(CallbackData, prefix="csx"):
    case_id: int


class PublishPreview(CallbackData, prefix="csp"):
    case_id: int


class SuggestPreview(CallbackData, prefix="csf"):
    case_id: int


class SmeReply(CallbackData, prefix="csr"):
    """Under an officer's answer: the SME's next message goes to the case's thread."""

    case_id: int


# Case buttons whose press opens a form first where the platform has them (Slack modals):
# prefix -> the /dips subcommand the form's submission becomes.
FORM_BUTTONS = {Answer.prefix: "answer", PublishPreview.prefix: "clarify",
                SuggestPreview.prefix: "suggest"}

# ---- EOIs (the officers' new-EOI notice and EOI views) ----


class StageMove(CallbackData, prefix="stg"):
    """Move an EOI: `target` is "stage@stage-when-made", so an out-of-date button changes nothing."""

    eoi_id: int
    target: str


class OfficerEoi(CallbackData, prefix="oe"):
    eoi_id: int


# Button prefixes whose press should first ask the officer for a note (Slack opens a modal);
# the fields are then sent as Incoming(command=<value>,
# args="<button arg with : as space> note tell: message"), which previews the move.
# The modal has two fields, an internal note and a message to the SME: the message follows TELL.
NOTE_BUTTONS: dict[str, str] = {StageMove.prefix: "stage"}
TELL = "tell:"

# ---- challenges (announcements and clarifications sent to SMEs) ----


class ShowChallenge(CallbackData, prefix="ch"):
    """One challenge in full (handlers.sme.challenges)."""

    ref: str


class Interest(CallbackData, prefix="int"):
    """Register interest in a challenge: starts the EOI form (handlers.sme.eoi_form)."""

    ref: str


class StopAlerts(CallbackData, prefix="unsub"):
    """Stop challenge alerts (handlers.sme.alerts)."""


class FollowChallenge(CallbackData, prefix="fol"):
    """Follow a challenge: reminders before it closes (handlers.sme.follow)."""

    ref: str


class UnfollowChallenge(CallbackData, prefix="unf"):
    """Stop following a challenge (handlers.sme.follow)."""

    ref: str


class AlertMode(CallbackData, prefix="amode"):
    """Alerts as calls open (immediate) or one weekly digest (handlers.sme.follow)."""

    mode: str
