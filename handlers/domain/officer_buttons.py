"""Button kinds of the officers' early-stage tools that open a form where the platform has
them (Slack modals, bot/slack/forms.py); elsewhere their press shows the typed format.
Declared here, not in the feature, so the Slack renderer can tell them apart without
importing a chat feature."""

from __future__ import annotations

from handlers.kernel.callbacks import CallbackData


class DraftNew(CallbackData, prefix="drn"):
    """Draft a challenge."""


class DraftEdit(CallbackData, prefix="dre"):
    ref: str


class DraftSendBack(CallbackData, prefix="drb"):
    ref: str


class AssessEoi(CallbackData, prefix="asx"):
    """Score an EOI against its challenge's criteria."""

    eoi_id: int


# prefix -> the form kind (handlers/officer/forms.py) a press opens.
FORM_KINDS = {DraftNew.prefix: "draft", DraftEdit.prefix: "draft",
              DraftSendBack.prefix: "sendback", AssessEoi.prefix: "score"}


class WorkshopNew(CallbackData, prefix="wsn"):
    """Create an exploration workshop for a challenge."""

    ref: str


FORM_KINDS[WorkshopNew.prefix] = "workshop"


class WorkshopAnswer(CallbackData, prefix="wsa"):
    """An SME's answer to a workshop invitation: yes | no | maybe (handlers/sme/workshops.py)."""

    invite_id: int
    answer: str


class FeedbackOpen(CallbackData, prefix="fbo"):
    """Review the feedback for an EOI just marked not selected (handlers/officer/assessing.py)."""

    eoi_id: int


class BroadcastPreview(CallbackData, prefix="bcp"):
    """The announcement's preview for a challenge (offered when a dated approval publishes it;
    handlers/admin/broadcast.py)."""

    ref: str
