"""The SME-facing button kinds that more than one feature shows (each answered by one)."""

from __future__ import annotations

# Declared with the domain, which puts them on announcements and clarifications.
from handlers.domain.buttons import Interest as Interest
from handlers.domain.buttons import ShowChallenge as ShowChallenge
from handlers.domain.buttons import StopAlerts as StopAlerts
from handlers.kernel.callbacks import CallbackData


class MenuPick(CallbackData, prefix="menu"):
    """A main-menu entry: runs the command of that name through the kernel's check
    (handlers.sme.menu)."""

    target: str = ""


class OpenList(CallbackData, prefix="chl"):
    """The open challenges, a page at a time (handlers.sme.challenges)."""

    page: int = 0


class MyEois(CallbackData, prefix="my"):
    """The SME's EOIs, or one of them (handlers.sme.my_eois)."""

    eoi_id: int | None = None


class FaqAnswer(CallbackData, prefix="faq"):
    """One FAQ answer (handlers.sme.assist), in a language ("" = the SME's own, "en" = the
    authoritative English text)."""

    faq_id: str
    lang: str = ""


FIND = MenuPick("find")
HUMAN = MenuPick("human")
SUBSCRIBE = MenuPick("subscribe")
OPEN_LIST = OpenList(0)
EOI_LIST = MyEois()


class AskAbout(CallbackData, prefix="askc"):
    """Ask an officer about a challenge (handlers.sme.case_reply)."""

    ref: str
