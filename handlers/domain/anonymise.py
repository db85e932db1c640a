"""Anonymising a case's words before anyone else sees them: the asker's names, organisation
and contact details, and (in an SME's question) any email, phone number or link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage import people
from storage.models import Identity, Organisation, Question

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|io|co|uk|eu|"
                  r"info|biz|dev|app|ai|tech)\b(?:/\S*)?", re.IGNORECASE)
# Spelled out to dodge filters: "sam dot smith at acme dot co dot uk", "www dot acme dot com",
# "sam (at) acme [dot] com".
_DOT = r"\s*[\(\[]?\s*dot\s*[\)\]]?\s*"
_AT = r"\s*[\(\[]?\s*(?:at|@)\s*[\)\]]?\s*"
# "we are at acme dot com", "find us at ...": a place on the web, not someone's address.
_NOT_A_MAILBOX = {"are", "is", "am", "be", "was", "were", "us", "me", "them", "him", "her", "it",
                  "we", "you", "they", "look", "see", "find", "visit", "here", "there", "online",
                  "website", "site", "available", "based", "found", "work", "works"}
_SPELLED_EMAIL = re.compile(
    rf"\b(?!(?:{'|'.join(sorted(_NOT_A_MAILBOX))})\b)[\w'-]+(?:{_DOT}[\w'-]+)*{_AT}"
    rf"[\w-]+(?:{_DOT}[\w-]+)+\b", re.IGNORECASE)
_SPELLED_URL = re.compile(rf"\b(?:www{_DOT})?[\w-]+(?:{_DOT}[\w-]+)*{_DOT}"
                          r"(?:com|org|net|io|co|uk|eu|info|biz|dev|app|ai|tech)\b", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d ().-]{6,}\d(?![\w])")
_LEGAL = re.compile(r"[\s,]+(?:ltd|limited|llc|llp|plc|inc|gmbh|sas|sa|srl|spa|ab|oy|as|bv|"
                    r"cic|co)\.?$", re.IGNORECASE)


def _phone(match: re.Match[str]) -> str:
    # Dates and sums have fewer digits than any phone number.
    return "[phone]" if sum(c.isdigit() for c in match.group()) >= 9 else match.group()


def _strip(text: str, phrases: list[str], placeholder: str, case_sensitive: bool = False) -> str:
    for phrase in sorted({p.strip() for p in phrases if p and len(p.strip()) >= 2}, key=len,
                         reverse=True):
        flags = 0 if case_sensitive else re.IGNORECASE
        text = re.sub(rf"(?<!\w){re.escape(phrase)}(?!\w)", placeholder, text, flags=flags)
    return text


@dataclass(frozen=True)
class Asker:
    """What could identify the asker in their own words."""

    names: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()  # their own email addresses, phone numbers, website


def anonymise(text: str, asker: Asker, *, thorough: bool = True, patterns: bool = True) -> str:
    """The text with the asker's names, organisation, emails, phone numbers and links removed.

    `thorough` also strips single capitalised parts of the names (\u201cSam\u201d of Sam
    Smith, \u201cAcme\u201d of Acme Sensors Ltd); wording an officer edited skips that, so a
    word like \u201cWill\u201d they kept on purpose survives. Without `patterns`, other
    people's emails, phone numbers and links stay (an officer's answer cites the council's).
    """
    orgs = [*asker.organisations, *(_LEGAL.sub("", o) for o in asker.organisations)]
    text = _strip(text, list(asker.contacts), "[contact]")
    if patterns:
        text = _SPELLED_EMAIL.sub("[email]", text)
        text = _SPELLED_URL.sub("[link]", text)
        text = _EMAIL.sub("[email]", text)
        text = _URL.sub("[link]", text)
        text = _PHONE.sub(_phone, text)
    text = _strip(text, orgs, "[organisation]")
    text = _strip(text, list(asker.names), "[name]")
    if thorough:
        parts = [w for o in orgs[:1] + [_LEGAL.sub("", o) for o in asker.organisations]
                 for w in o.split()[:1] if len(w) >= 4]
        text = _strip(text, parts, "[organisation]", case_sensitive=True)
        parts = [w for n in asker.names for w in n.split() if len(w) >= 3]
        text = _strip(text, parts, "[name]", case_sensitive=True)
    return text


def scrub_answer(text: str, asker: Asker, thorough: bool = True) -> str:
    """An officer's answer keeps council links and addresses; only the asker's own details go."""
    return anonymise(text, asker, thorough=thorough, patterns=False)


async def asker_of(session: AsyncSession, case: Question) -> Asker:
    identity = await session.get(Identity, case.identity_id) if case.identity_id else None
    if identity is None:
        return Asker()
    names = [identity.display_name or ""]
    orgs: list[str] = []
    contacts: list[str] = []
    if identity.organisation_id:
        org = await session.get(Organisation, identity.organisation_id)
        if org is not None:
            orgs.append(org.name)
            contacts.append(org.website or "")
        for contact in await people.contacts_of(session, identity.organisation_id):
            names.append(contact.name)
            contacts += [contact.email, contact.phone or ""]
    return Asker(tuple(n for n in names if n), tuple(orgs), tuple(c for c in contacts if c))
