"""Signals for the supervisor (监督人员): what the desk sees but does not judge.

The implementing regulations of the Bidding Law (招标投标法实施条例, art. 40) deem bids collusive when different
bidders entrust the same person, among other signs. The desk refuses what the rules forbid and raises a
:class:`Signal` for what the supervisor must decide: the same person for two bidder companies on one day, one
mobile number given by representatives of two bidder companies in a session, a company name arriving under a
second credit code. A signal names screenings and companies, never an ID number; the supervisor dismisses it or
refers it to the supervision authority, with a reason.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from tenderguard.identity import mask_name

if TYPE_CHECKING:
    from tenderguard.domain.screening import Screening

__all__ = ["DECISIONS", "SIGNAL_TEXT", "Signal", "SignalKind", "SignalStatus", "SignalView", "signal_key",
           "signal_view"]


class SignalKind(enum.StrEnum):
    """What was seen."""

    SAME_PERSON = "same_person_two_bidders"
    SHARED_PHONE = "shared_phone"
    NAME_TWO_CODES = "company_two_codes"


class SignalStatus(enum.StrEnum):
    """Where a signal stands: waiting for the supervisor, or decided."""

    OPEN = "open"
    DISMISSED = "dismissed"
    REFERRED = "referred"


#: What the supervisor reads, by kind (Simplified Chinese).
SIGNAL_TEXT: Mapping[str, str] = {
    SignalKind.SAME_PERSON: "同一人代表两家投标单位（招标投标法实施条例第四十条）",
    SignalKind.SHARED_PHONE: "两家投标单位的代表登记了同一手机号码",
    SignalKind.NAME_TWO_CODES: "同一单位名称出现了不同的统一社会信用代码",
}

#: The decisions a supervisor can take, by the status they give the signal.
DECISIONS: Mapping[str, SignalStatus] = {"dismiss": SignalStatus.DISMISSED, "refer": SignalStatus.REFERRED}


def signal_key(kind: SignalKind, *parts: str) -> str:
    """The key that makes a signal raised once per day: its kind and what it is about, hashed (no ID inside)."""
    text = "|".join([str(kind), *sorted(parts)])
    return hashlib.sha256(text.encode()).hexdigest()[:40]


@attrs.define
class Signal:
    """One thing the supervisor must decide, raised by a desk at the moment it was seen."""

    id: str
    day: dt.date
    kind: SignalKind
    #: One signal per day and key (see :func:`signal_key`): the same person trying again adds nothing new.
    key: str
    raised_at: dt.datetime
    desk: str
    operator: str
    session: str | None
    #: The screenings involved (the earlier one first) and the credit codes of the companies.
    screenings: tuple[str, ...]
    companies: tuple[str, ...]
    status: SignalStatus = SignalStatus.OPEN
    decided_at: dt.datetime | None = None
    decided_by: str | None = None
    decision_reason: str | None = None

    @property
    def open(self) -> bool:
        """Whether the supervisor has still to decide it."""
        return self.status is SignalStatus.OPEN


def mask_credit_code(code: str) -> str:
    """A credit code as the desk may see it in a signal: the first four and last two characters."""
    return f"{code[:4]}{'*' * (len(code) - 6)}{code[-2:]}" if len(code) > 6 else "*" * len(code)


@attrs.frozen
class SignalView:
    """A signal as it is listed: masked for the desk, in full for the supervisor."""

    id: str
    kind: str
    text: str
    day: dt.date
    raised_at: dt.datetime
    desk: str
    session: str | None
    status: str
    #: The people of the screenings involved (masked names unless read in full) and their sessions.
    people: tuple[str, ...]
    sessions: tuple[str, ...]
    #: The companies involved: masked credit codes, or names with their codes when read in full.
    companies: tuple[str, ...]
    screenings: tuple[str, ...]
    decided_by: str | None = None
    decision_reason: str | None = None


def signal_view(signal: Signal, screenings: Sequence[Screening | None], company_names: Mapping[str, str | None],
                *, unmasked: bool) -> SignalView:
    """What a listing shows of a signal; ``screenings`` are those it names (None: purged since)."""
    people, sessions = [], []
    for s in screenings:
        if s is None:
            people.append("（已删除）")
            sessions.append("")
            continue
        people.append(s.visitor.name if unmasked else mask_name(s.visitor.name))
        sessions.append(s.visitor.session)
    if unmasked:
        companies = tuple(f"{company_names.get(c) or '?'} {c}" for c in signal.companies)
    else:
        companies = tuple(mask_credit_code(c) for c in signal.companies)
    return SignalView(id=signal.id, kind=str(signal.kind), text=SIGNAL_TEXT.get(signal.kind, str(signal.kind)),
                      day=signal.day, raised_at=signal.raised_at, desk=signal.desk, session=signal.session,
                      status=str(signal.status), people=tuple(people), sessions=tuple(sessions), companies=companies,
                      screenings=signal.screenings, decided_by=signal.decided_by,
                      decision_reason=signal.decision_reason)
