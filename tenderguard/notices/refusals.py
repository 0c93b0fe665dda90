"""Refusal notifications: the company, optionally the community, and the agency hear that someone could not enter.

The seed's rule: a person refused for fever is reported to their unit (所在单位). The policy lists the reasons that
are notified (``[refusal_notices] reasons``), whether the residential community is told too, and whether the
agency may learn the reason (otherwise it reads 健康原因). The agency's letter exists so that it can arrange a
substitute or remote participation before the opening; it names the company, never the person's health data
beyond what the policy allows, and the person only masked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import attrs

from tenderguard.domain.catalogue import reason_tell
from tenderguard.domain.model import Agency, BidSession, Centre, Outcome
from tenderguard.domain.screening import Screening
from tenderguard.identity import mask_name
from tenderguard.policy import Policy
from tenderguard.render.environment import render_template

__all__ = ["RefusalLetter", "RefusalNotice", "refusal_notices"]

_TIME = "%Y年%m月%d日 %H:%M"


@attrs.frozen
class RefusalLetter:
    """One letter: to whom (``company``, ``community`` or ``agency``), its file name and its text."""

    recipient: str
    filename: str
    text: str


@attrs.frozen
class RefusalNotice:
    """The letters about one refused screening."""

    screening_id: str
    session: str
    reason: str
    letters: tuple[RefusalLetter, ...]


def _reason_text(reason: str) -> str:
    text = reason_tell(reason)
    return text.split(",", maxsplit=1)[0]  # the finding, without what the desk told the person to do


def refusal_notices(screenings: Iterable[Screening], *, sessions: Mapping[str, BidSession],
                    agencies: Mapping[str, Agency], policy: Policy, centre: Centre,
                    written_at: dt.datetime) -> list[RefusalNotice]:
    """The letters for every refused screening whose reason the policy notifies, in the order given."""
    rules = policy.notices
    found: list[RefusalNotice] = []
    for s in screenings:
        if s.outcome is not Outcome.REFUSED or s.reason is None or str(s.reason) not in rules.reasons:
            continue
        session = sessions.get(s.visitor.session)
        if session is None:
            continue
        reason = str(s.reason)
        common = {
            "centre": centre.name, "session": session.code, "project": session.project_name,
            "opens_at": session.opens_at.astimezone(centre.tz).strftime(_TIME), "hall": session.hall,
            "holder": mask_name(s.visitor.name), "company": s.visitor.company or "(个人)",
            "arrived_at": s.opened_at.astimezone(centre.tz).strftime(_TIME),
            "written_at": written_at.astimezone(centre.tz).strftime("%Y年%m月%d日"),
        }
        stem = f"{session.code}-{s.id[:8]}"
        letters = []
        if s.visitor.company:
            letters.append(RefusalLetter("company", f"{stem}-company.txt", render_template(
                "notices/refusal-company.txt", reason_text=_reason_text(reason), **common)))
        if rules.notify_community:
            letters.append(RefusalLetter("community", f"{stem}-community.txt", render_template(
                "notices/refusal-community.txt", reason_text=_reason_text(reason), document=s.visitor.document_masked,
                **common)))
        agency = agencies.get(session.agency) if session.agency else None
        if agency is not None:
            told = _reason_text(reason) if rules.tell_agency_reason else "健康原因"
            letters.append(RefusalLetter("agency", f"{stem}-agency.txt", render_template(
                "notices/refusal-agency.txt", reason_text=told, agency=agency.name, **common)))
        found.append(RefusalNotice(screening_id=s.id, session=session.code, reason=reason, letters=tuple(letters)))
    return found
