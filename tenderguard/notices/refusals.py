"""Refusal letters: the company, optionally the community, and the agency hear that someone could not enter.

The seed's rule: a person refused for fever is reported to their unit (所在单位). The policy lists the reasons that
are notified (``[refusal_notices] reasons``), whether the residential community is told too, and whether the
agency may learn the reason (otherwise it reads 健康原因). The agency's letter exists so that it can arrange a
substitute or remote participation before the opening; it names the company, never the person's health data
beyond what the policy allows, and the person only masked.

**The reference number (文号).** Each notified refusal gets one number, shared by its letters:
``〔2026〕MY健通字第0001号`` — the year of the refusal, the centre's code and a serial counted per centre and year
from 1. The serial is stored on the screening the first time its letters are made (the gate takes it from a
per-centre, per-year counter in the same transaction), so the same letter made again carries the same number and a
number is never given twice, whatever the order in which days are notified. The letters are dated the day of the
refusal, not the day they are printed, and name the session's opening the person came for: a session postponed
since (延期开标) is named with its opening of the refusal day (see :func:`as_on`).

**The community's letter** needs the person's residence (街道/社区), asked at the desk (see
:mod:`tenderguard.domain.residence`); without one no community letter is made and the notice says so
(:attr:`RefusalNotice.community_missing`). Letters are plain text (``.txt``) and A4 PDFs on the centre's
letterhead with a stamp area (:mod:`tenderguard.notices.letter_pdf`), named ``{session}-{serial}-{recipient}``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

import attrs

from tenderguard.domain.catalogue import reason_tell
from tenderguard.domain.model import Agency, BidSession, Centre
from tenderguard.domain.residence import notified_refusal
from tenderguard.domain.screening import Screening
from tenderguard.identity import mask_name
from tenderguard.notices.typography import cn_date, cn_datetime, full_width
from tenderguard.policy import Policy
from tenderguard.render.environment import render_template

__all__ = ["RECIPIENTS", "RefusalLetter", "RefusalNotice", "as_on", "reference_number", "refusal_notices",
           "refused_on"]

#: Who a letter goes to, in the order they are written.
RECIPIENTS = ("company", "community", "agency")


def reference_number(centre: Centre, year: int, serial: int) -> str:
    """The letters' 文号: ``〔2026〕MY健通字第0001号``."""
    return f"〔{year}〕{centre.code}健通字第{serial:04d}号"


def refused_on(screening: Screening, centre: Centre) -> dt.date:
    """The centre's day of the refusal (its last step; the day it was opened if no step is kept)."""
    at = max((r.at for r in screening.records), default=screening.opened_at)
    return centre.day_of(at)


def as_on(session: BidSession, day: dt.date, centre: Centre, openings: Iterable[dt.datetime] = ()) -> BidSession:
    """The session as people screened on ``day`` came for it: opening on ``day`` if it did before a postponement.

    ``openings`` are the openings it had before its last postponement (its history); ``postponed_from`` is
    looked at first. A session that did not open on ``day`` at any of them is returned as it is now.
    """
    if session.day(centre) == day:
        return session
    was = next((o for o in (session.postponed_from, *openings) if o is not None and centre.day_of(o) == day), None)
    return session if was is None else attrs.evolve(session, opens_at=was.astimezone(centre.tz))


@attrs.frozen
class RefusalLetter:
    """One letter: to whom (``company``, ``community`` or ``agency``), its text file name, text and 文号.

    The text's blocks (separated by blank lines) are the title, the 文号, the addressee, the paragraphs, and the
    signature (the centre and the date, one line each); the PDF prints the same blocks on the letterhead.
    """

    recipient: str
    filename: str
    text: str
    reference: str
    letterhead: str

    @property
    def pdf_filename(self) -> str:
        """The PDF's file name: the text's with ``.pdf``."""
        return self.filename.removesuffix(".txt") + ".pdf"

    def blocks(self) -> list[str]:
        """The text's blocks (title, 文号, addressee, paragraphs…, signature), without surrounding blank lines."""
        return [block.strip() for block in re.split(r"\n\s*\n", self.text) if block.strip()]


@attrs.frozen
class RefusalNotice:
    """The letters about one refused screening, its 文号 and the day of the refusal.

    ``community_missing`` is True when the policy tells the community but no residence was recorded at the desk,
    so no community letter could be addressed.
    """

    screening_id: str
    session: str
    reason: str
    reference: str
    serial: int
    refused_on: dt.date
    holder: str
    letters: tuple[RefusalLetter, ...]
    community_missing: bool = False


def _reason_text(reason: str) -> str:
    """The finding, without what the desk told the person to do, punctuated as Chinese prose."""
    text = reason_tell(reason)
    return full_width(re.split("[,，;；]", text, maxsplit=1)[0])


def _letter(recipient: str, stem: str, common: Mapping[str, str], **context: str) -> RefusalLetter:
    """One letter rendered from ``notices/refusal-{recipient}.txt``."""
    text = render_template(f"notices/refusal-{recipient}.txt", **common, **context)
    return RefusalLetter(recipient, f"{stem}-{recipient}.txt", text, common["reference"], common["centre"])


def refusal_notices(screenings: Iterable[Screening], *, sessions: Mapping[str, BidSession],
                    agencies: Mapping[str, Agency], policy: Policy, centre: Centre) -> list[RefusalNotice]:
    """The letters for every refused screening whose reason the policy notifies and that has its serial, in order.

    The gate gives each such screening its serial before calling this (:meth:`Gate.refusal_notices`), and
    ``sessions`` as they stood on the refusal day (:func:`as_on`): the letter names that opening.
    """
    rules = policy.notices
    found: list[RefusalNotice] = []
    for s in screenings:
        session = sessions.get(s.visitor.session)
        if not notified_refusal(s, policy) or s.reason is None or session is None or s.letter_serial is None:
            continue
        reason = str(s.reason)
        day = refused_on(s, centre)
        reference = reference_number(centre, day.year, s.letter_serial)
        holder = mask_name(s.visitor.name)
        common = {
            "centre": centre.name, "reference": reference, "session": session.code, "project": session.project_name,
            "opens_at": cn_datetime(session.opens_at.astimezone(centre.tz)), "hall": session.hall,
            "holder": holder, "company": s.visitor.company or "（个人）",
            "arrived_at": cn_datetime(s.opened_at.astimezone(centre.tz)), "dated": cn_date(day),
        }
        stem = f"{session.code}-{s.letter_serial:04d}"
        letters = []
        if s.visitor.company:
            letters.append(_letter("company", stem, common, reason_text=_reason_text(reason)))
        missing = rules.notify_community and s.residence is None
        if rules.notify_community and s.residence is not None:
            letters.append(_letter("community", stem, common, reason_text=_reason_text(reason),
                                   residence=s.residence, document=s.visitor.document_masked))
        agency = agencies.get(session.agency) if session.agency else None
        if agency is not None:
            told = _reason_text(reason) if rules.tell_agency_reason else "健康原因"
            letters.append(_letter("agency", stem, common, reason_text=told, agency=agency.name))
        found.append(RefusalNotice(screening_id=s.id, session=session.code, reason=reason, reference=reference,
                                   serial=s.letter_serial, refused_on=day, holder=holder, letters=tuple(letters),
                                   community_missing=missing))
    return found
