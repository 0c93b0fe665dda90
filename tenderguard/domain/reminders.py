"""The pre-bid phone reminder (开标前电话提醒制度): the centre calls each agency, which relays to its bidders.

The centre may not contact bidders before the opening (Bidding Law art. 22), so the reminder goes to the agency
of every upcoming session. One call covers all of an agency's sessions on a day; each call is logged with its
outcome, and an agency counts as reached once a call was answered (``reached`` or ``will_relay``). The due list is
every agency with sessions in the coming days that has not been reached for all of them yet — with a callback time
when one was agreed. A call made before a session was postponed no longer counts for it: the agency is called again
about the new opening.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from tenderguard.domain.model import Agency, BidSession, Centre, aware
from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _

__all__ = ["AgencyDay", "CallOutcome", "ReminderCall", "agency_days", "due"]


class CallOutcome(enum.StrEnum):
    """How a reminder call went."""

    REACHED = "reached"  # the agency heard the rules
    WILL_RELAY = "will_relay"  # …and confirmed it will tell its bidders
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    CALLBACK = "callback"  # asked to be called again at a given time

    @property
    def reached(self) -> bool:
        """Whether this outcome counts as the agency having been reminded."""
        return self in (CallOutcome.REACHED, CallOutcome.WILL_RELAY)


def _outcome(value: CallOutcome | str) -> CallOutcome:
    try:
        return CallOutcome(value)
    except ValueError:
        raise InvalidInputError("outcome", _("{value!r} is not a call outcome", value=value),
                                hint=_("one of {items}", items=_(", ").join(o.value for o in CallOutcome))) from None


def _text(field: str, *, required: bool) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, _attribute: Any, value: str | None) -> None:
        if value is None:
            if required:
                raise InvalidInputError(field, _("is required"))
            return
        if not isinstance(value, str) or not value.strip() or len(value) > 100:
            raise InvalidInputError(field, _("{value!r} is not a name or note of 1–100 characters", value=value))
        if any(ord(c) < 32 for c in value):
            raise InvalidInputError(field, _("contains control characters"))

    return check


def _codes(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _call_time(value: dt.datetime) -> dt.datetime:
    return aware(value, field="at")


@attrs.frozen
class ReminderCall:
    """One call to an agency about its sessions: when, who called, who answered, how it went."""

    agency: str
    sessions: tuple[str, ...] = attrs.field(converter=_codes)
    at: dt.datetime = attrs.field(converter=_call_time)
    caller: str = attrs.field(validator=_text("caller", required=True))
    outcome: CallOutcome = attrs.field(converter=_outcome)
    answered_by: str | None = attrs.field(default=None, validator=_text("answered_by", required=False))
    callback_at: dt.datetime | None = None
    note: str | None = attrs.field(default=None, validator=_text("note", required=False))
    id: int | None = None

    def __attrs_post_init__(self) -> None:
        """Check the combination: sessions named, a callback time when one was agreed, an answer when reached."""
        if not self.sessions:
            raise InvalidInputError("sessions", _("a call is about at least one session"),
                                    hint=_("name the agency's sessions the call covered"))
        if self.outcome is CallOutcome.CALLBACK:
            if self.callback_at is None:
                raise InvalidInputError("callback_at", _("a callback needs the agreed time"),
                                        hint=_("e.g. --callback-at 2026-11-22T15:00+08:00"))
            if aware(self.callback_at, field="callback_at") <= self.at:
                raise InvalidInputError("callback_at", _("is not after the call"))
        elif self.callback_at is not None:
            raise InvalidInputError("callback_at", _("only a callback has a callback time, not {outcome}",
                                                     outcome=self.outcome))
        if self.outcome.reached and self.answered_by is None:
            raise InvalidInputError("answered_by", _("say who answered when the agency was reached"),
                                    hint=_("the contact person's name"))


@attrs.frozen
class AgencyDay:
    """One agency's sessions on one day: what a single reminder call covers, and where that call stands."""

    agency: Agency
    day: dt.date
    sessions: tuple[BidSession, ...]
    calls: tuple[ReminderCall, ...] = ()

    @property
    def reached(self) -> bool:
        """Whether a call reached the agency about every one of these sessions (since the session was postponed)."""
        return all(any(call.outcome.reached and s.code in call.sessions
                       and (s.status_changed_at is None or call.at >= s.status_changed_at) for call in self.calls)
                   for s in self.sessions)

    @property
    def callback_at(self) -> dt.datetime | None:
        """The callback time agreed in the latest call, if that call asked for one."""
        if not self.calls or self.calls[-1].outcome is not CallOutcome.CALLBACK:
            return None
        last = self.calls[-1]
        if any(s.status_changed_at is not None and s.status_changed_at > last.at for s in self.sessions):
            return None  # agreed before a postponement: call about the new opening now
        return last.callback_at

    @property
    def attempts(self) -> int:
        """How many calls were made about these sessions."""
        return len(self.calls)


def agency_days(sessions: Iterable[BidSession], agencies: Mapping[str, Agency], calls: Iterable[ReminderCall],
                centre: Centre) -> list[AgencyDay]:
    """Group sessions by agency and day (one call each), with the calls made about them, in opening order."""
    grouped: dict[tuple[str, dt.date], list[BidSession]] = {}
    for session in sorted(sessions, key=lambda s: (s.opens_at, s.code)):
        if session.agency is None:
            continue
        grouped.setdefault((session.agency, session.day(centre)), []).append(session)
    call_list = sorted(calls, key=lambda c: c.at)
    result = []
    for (code, day), found in grouped.items():
        agency = agencies.get(code)
        if agency is None:
            continue
        codes = {s.code for s in found}
        about = tuple(c for c in call_list if c.agency == code and codes & set(c.sessions))
        result.append(AgencyDay(agency=agency, day=day, sessions=tuple(found), calls=about))
    return sorted(result, key=lambda g: (g.day, g.sessions[0].opens_at, g.agency.code))


def due(groups: Sequence[AgencyDay], now: dt.datetime) -> list[AgencyDay]:
    """The agency-days still to call: not reached, callbacks only once their time has come."""
    now = aware(now, field="now")
    return [g for g in groups if not g.reached and (g.callback_at is None or g.callback_at <= now)]
