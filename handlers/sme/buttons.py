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


# ---- partners across cities (handlers.sme.partners, handlers.sme.partner_intros) ----

class PartnersOf(CallbackData, prefix="pt"):
    """One challenge's partnering: my listing, my introductions, browse (from its card)."""

    ref: str


class PartnerOffer(CallbackData, prefix="pto"):
    """Become discoverable as a possible partner on a challenge."""

    ref: str


class PartnerWithdraw(CallbackData, prefix="ptw"):
    listing_id: int


class PartnerBrowse(CallbackData, prefix="ptb"):
    challenge_id: int
    page: int = 0


class AskIntro(CallbackData, prefix="pti"):
    listing_id: int


class IntroAnswer(CallbackData, prefix="pta"):
    """The listed SME's yes or no to an introduction."""

    intro_id: int
    answer: str = ""


class IntroWithdraw(CallbackData, prefix="ptx"):
    """Either side withdraws a request or its consent to an introduction."""

    intro_id: int


class NamePartner(CallbackData, prefix="ptn"):
    """Name the other side of an accepted introduction as a partner on one's EOI."""

    intro_id: int
