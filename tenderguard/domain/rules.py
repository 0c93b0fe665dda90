"""Admission rules: one person per company per day, one person per bidder, quotas, re-entry, key areas, halls.

Pure functions over a read-only :class:`AttendanceView` of the centre's day, so the same rules run against the
in-memory store in tests and against a database (which also enforces the one-company rule with a constraint).
Days are the centre's calendar days (``Asia/Shanghai`` by default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from tenderguard.domain.model import Admission, AdmissionStatus, Arrival, Outcome, Reason, Visitor
from tenderguard.identity import same_name
from tenderguard.policy import Policy, Role

if TYPE_CHECKING:
    from tenderguard.domain.screening import Screening

__all__ = ["AttendanceView", "Decision", "check_admission", "check_arrival", "check_place"]

class AttendanceView(Protocol):
    """The queries the rules need about a centre's day (implemented by the attendance repository)."""

    def for_person(self, day: dt.date, person_key: str) -> list[Admission]:
        """The person's admissions today, whatever their status, oldest first."""
        ...

    def active_for_organisation(self, day: dt.date, organisation: str, role: Role, *,
                                deciding: bool = False) -> list[Admission]:
        """Admissions today of an organisation in a role that still hold their place.

        ``deciding``: the count decides an admission, so other desks counting the same must wait for it
        (a database store locks); the early check at arrival does not need to.
        """
        ...

    def inside(self, day: dt.date, hall: str, *, deciding: bool = False) -> int:
        """How many admitted people are in the hall now (admitted and not exited); ``deciding`` as above."""
        ...


@attrs.frozen
class Decision:
    """The verdict of a rule check: proceed, refuse or refer, with a reason code and detail for the operator."""

    verdict: str  # "proceed" | "refuse" | "refer"
    reason: str | None = None
    detail: Mapping[str, Any] = attrs.field(factory=dict)
    services: tuple[str, ...] = ()
    #: For a same-day re-entry: the admission (and badge) the person re-enters with.
    reentry: Admission | None = None
    #: The person's earlier screening today for another bidder company: the supervisor is signalled.
    other_bidder: Screening | None = None

    @property
    def proceeds(self) -> bool:
        """Whether the screening may go on."""
        return self.verdict == "proceed"


PROCEED = Decision("proceed")
#: The outcomes of an earlier screening that mean the person stood for its company: admitted, referred to proxy
#: service, or still being screened at another desk (a refusal or an abandonment does not).
_STOOD_FOR = frozenset({None, Outcome.ADMITTED, Outcome.REFERRED})


def _quota_decision(policy: Policy, view: AttendanceView, day: dt.date, role: Role,
                    organisation: str | None, *, deciding: bool) -> Decision:
    limit = policy.quota(role)
    if limit is None or organisation is None:
        return PROCEED
    holders = view.active_for_organisation(day, organisation, role, deciding=deciding)
    if len(holders) < limit:
        return PROCEED
    first = min(holders, key=lambda a: a.at)
    # The operator learns when and where the place was taken — never who took it.
    detail = {"limit": limit, "admitted_at": first.at.isoformat(), "desk": first.desk}
    reason = Reason.COMPANY_QUOTA if role is Role.BIDDER else Reason.ROLE_QUOTA
    return Decision("refuse", reason, detail)


def check_place(policy: Policy, view: AttendanceView, *, day: dt.date, role: Role, organisation: str | None
                ) -> Decision:
    """Whether the organisation's place in this role is still free today, before any step is taken.

    Refused (``company_quota`` / ``role_quota``) with when and at which desk the place was taken — never by whom.
    The admission itself decides again, under the lock (another desk may take the place meanwhile).
    """
    return _quota_decision(policy, view, day, role, organisation, deciding=False)


def _capacity_decision(policy: Policy, view: AttendanceView, day: dt.date, hall: str, *,
                       deciding: bool) -> Decision:
    capacity = policy.capacity(hall)
    if capacity is not None and view.inside(day, hall, deciding=deciding) >= capacity:
        return Decision("refuse", Reason.HALL_FULL, {"hall": hall, "capacity": capacity})
    return PROCEED


def _quota_key(policy: Policy, role: Role, organisation: str | None) -> tuple[str, Role] | None:
    return None if policy.quota(role) is None or organisation is None else (organisation, role)


def _other_bidder(policy: Policy, arrival: Arrival | Visitor, earlier: Sequence[Screening], *,
                  finished_only: bool = False) -> tuple[Decision | None, Screening | None]:
    """One person for two bidder companies (实施条例 art. 40): refused in one session, by policy in another.

    Returns the decision when the arrival is refused, and the earlier screening whenever there is one to signal.
    ``finished_only``: count only screenings that ended standing for their company (at admission, where the
    first of two racing desks to finish wins).
    """
    if arrival.role is not Role.BIDDER:
        return None, None
    stood_for = _STOOD_FOR - {None} if finished_only else _STOOD_FOR
    others = [s for s in earlier if s.visitor.role is Role.BIDDER and s.outcome in stood_for
              and s.visitor.credit_code != arrival.credit_code]
    if not others:
        return None, None
    same_session = [s for s in others if s.visitor.session == arrival.session]
    other = (same_session or others)[0]
    if same_session or policy.signals.same_person_other_session == "refuse":
        # Which company and which session are not said: the desk must not learn another bidder.
        detail = {"same_session": bool(same_session)}
        return Decision("refuse", Reason.REPRESENTS_OTHER_BIDDER, detail, other_bidder=other), other
    return None, other


def check_arrival(policy: Policy, view: AttendanceView, arrival: Arrival, *, day: dt.date, person_key: str,
                  hall: str, earlier: Sequence[Screening] = (), skip: frozenset[str] = frozenset()) -> Decision:
    """The arrival check before the first step: identity, other bidders, re-entry, key area, quotas, capacity.

    ``earlier`` holds the person's screenings of the day so far (matched by the keyed ID hash); ``skip`` names
    the reasons a supervisor's override set aside (``hall_full``, ``represents_other_bidder``), as for
    :func:`check_admission` (the other bidder is still reported, for the supervisor's signal).
    """
    if any(not same_name(s.visitor.name, arrival.name) for s in earlier):
        # Nothing about the other registration is told beyond the fact itself.
        return Decision("refuse", Reason.IDENTITY_MISMATCH)
    refusal, other = _other_bidder(policy, arrival, earlier)
    if refusal is not None and Reason.REPRESENTS_OTHER_BIDDER not in skip:
        return refusal
    # A re-entry is the same person for the same company in the same role: the company's one badge of the day.
    mine = [a for a in view.for_person(day, person_key)
            if a.organisation == arrival.organisation and a.role is arrival.role]
    if mine:
        previous = mine[-1]
        if previous.status is not AdmissionStatus.ACTIVE:  # handed back, substituted or revoked
            return Decision("refuse", Reason.BADGE_REVOKED, {"badge": previous.badge})
        if not policy.reentry.allowed:
            return Decision("refuse", Reason.REENTRY_NOT_ALLOWED, {"badge": previous.badge})
        return Decision("proceed", reentry=previous, other_bidder=other)
    if arrival.key_area and policy.key_area.action != "screen":
        if policy.key_area.action == "refuse":
            return Decision("refuse", Reason.KEY_AREA)
        return Decision("refer", Reason.KEY_AREA, services=policy.key_area.services or ("separate_room",),
                        other_bidder=other)
    decision = _quota_decision(policy, view, day, arrival.role, arrival.organisation, deciding=False)
    if decision.proceeds and Reason.HALL_FULL not in skip:
        decision = _capacity_decision(policy, view, day, hall, deciding=False)
    return attrs.evolve(decision, other_bidder=other) if decision.proceeds else decision


def check_admission(policy: Policy, view: AttendanceView, arrival: Arrival | Visitor, *, day: dt.date, hall: str,
                    reentry: bool, earlier: Sequence[Screening] = (), skip: frozenset[str] = frozenset()
                    ) -> Decision:
    """The final check once every step passed: the place may have been taken meanwhile at another desk.

    ``earlier`` holds the person's other screenings of the day, read after the attendance repository's
    ``hold_person``, so that two desks screening one person for two companies at once are decided one after the
    other. ``skip`` names the reasons a supervisor's override set aside (``hall_full``, ``represents_other_bidder``).
    """
    if Reason.REPRESENTS_OTHER_BIDDER not in skip:
        refusal, _ = _other_bidder(policy, arrival, earlier, finished_only=True)
        if refusal is not None:
            return refusal
    if not reentry:
        decision = _quota_decision(policy, view, day, arrival.role, arrival.organisation, deciding=True)
        if not decision.proceeds:
            return decision
    if Reason.HALL_FULL in skip:
        return PROCEED
    return _capacity_decision(policy, view, day, hall, deciding=True)
