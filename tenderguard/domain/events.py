"""Domain events: what happened at the gate, published after each committed unit of work.

A trading centre's own system subscribes to them (``MessageBus.subscribe``) to react — update a display board,
notify an agency — without patching TenderGuard. Events carry identifiers and outcomes, never health data.
"""

from __future__ import annotations

import datetime as dt
import operator

import attrs

__all__ = [
    "BY_TIME",
    "Abandoned",
    "Admitted",
    "BadgeIssued",
    "BadgeReprinted",
    "BadgeRevoked",
    "DomainEvent",
    "Exited",
    "OverrideApplied",
    "Referred",
    "Refused",
    "ScreeningStarted",
    "SignalDecided",
    "SignalRaised",
    "StepCompleted",
]

#: The sort key of anything that happened at an instant (events, step records, audit entries): its ``at``.
BY_TIME = operator.attrgetter("at")


# Events live from the desk call that raises them to its commit's publication: instance dicts, filled about twice
# as fast as slots.
@attrs.frozen(slots=False)
class DomainEvent:
    """Base of every event: which screening (if any) and when."""

    at: dt.datetime


@attrs.frozen(slots=False)
class ScreeningStarted(DomainEvent):
    """An arrival passed the arrival check and its screening began."""

    screening_id: str
    session: str
    role: str
    desk: str
    reentry: bool


@attrs.frozen(slots=False)
class StepCompleted(DomainEvent):
    """A step of the procedure was completed (or re-measured) at a desk."""

    screening_id: str
    step: str
    action: str


@attrs.frozen(slots=False)
class Admitted(DomainEvent):
    """The person was admitted to the hall; ``badge`` is the day's badge serial."""

    screening_id: str
    session: str
    hall: str
    badge: str
    reentry: bool


@attrs.frozen(slots=False)
class Refused(DomainEvent):
    """The person was refused entry, with a reason code (``fever``, ``company_quota``…)."""

    screening_id: str
    session: str
    reason: str


@attrs.frozen(slots=False)
class Referred(DomainEvent):
    """The person was referred to a separate room / proxy service / remote participation."""

    screening_id: str
    session: str
    reason: str
    services: tuple[str, ...]


@attrs.frozen(slots=False)
class Abandoned(DomainEvent):
    """The person left before the screening finished."""

    screening_id: str
    session: str


@attrs.frozen(slots=False)
class BadgeIssued(DomainEvent):
    """A badge was issued to a company for the day."""

    serial: str
    credit_code: str | None
    day: dt.date


@attrs.frozen(slots=False)
class BadgeRevoked(DomainEvent):
    """A badge was revoked (handed back for a substitution, lost, wrong person)."""

    serial: str
    reason: str


@attrs.frozen(slots=False)
class BadgeReprinted(DomainEvent):
    """A badge was printed again (same serial, next print number; earlier prints are no longer valid)."""

    serial: str
    reprint: int
    reason: str


@attrs.frozen(slots=False)
class OverrideApplied(DomainEvent):
    """An operator override (e.g. a substitution) with its mandatory reason."""

    kind: str
    reason: str
    operator: str
    desk: str
    subject: str


@attrs.frozen(slots=False)
class Exited(DomainEvent):
    """A person left the hall through the exit (or was taken to have left on arriving again)."""

    badge: str
    hall: str
    recorded_on_return: bool
    #: Where a replayed exit came from (a batch line's reference), so a second replay does not repeat it.
    source: str | None = None


@attrs.frozen(slots=False)
class SignalRaised(DomainEvent):
    """Something the supervisor must hear of at once: one person for two bidders, a shared phone, a name twice.

    Only the signal's id, kind and session: the supervisor reads the rest on the board.
    """

    signal_id: str
    kind: str
    session: str | None
    desk: str


@attrs.frozen(slots=False)
class SignalDecided(DomainEvent):
    """The supervisor decided a signal: dismissed (nothing wrong) or referred (to the supervision authority)."""

    signal_id: str
    decision: str
    reason: str
    operator: str
