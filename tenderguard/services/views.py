"""What a desk shows about a screening, and the labels and constants the use cases share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from tenderguard.domain.catalogue import reason_tell
from tenderguard.domain.machine import ScreeningMachine
from tenderguard.domain.model import Outcome
from tenderguard.domain.residence import residence_wanted
from tenderguard.domain.screening import Screening
from tenderguard.i18n import _

__all__ = ["ID_KEY_SETTING", "OVERRIDE_RELEASES", "ScreeningView", "screening_view", "skipped_checks"]


@attrs.frozen
class ScreeningView:
    """What a desk shows about a screening: where it is, what to do next, and how it ended."""

    id: str
    session: str
    role: str
    name_masked: str
    state: str
    step: str | None
    step_label: str | None
    expected: tuple[str, ...]
    outcome: str | None
    reason: str | None
    message: str
    badge: str | None
    reentry: bool
    services: tuple[str, ...] = ()
    rest_until: dt.datetime | None = None
    detail: Mapping[str, Any] = attrs.field(factory=dict)
    #: How many temperature readings have been taken (to resume a replay at the right reading).
    readings: int = 0
    #: Told at registration when the badge will print the name, company or hall otherwise (transliterated,
    #: shortened), or cannot print it (see :mod:`tenderguard.render.printable`); None when it prints as given.
    badge_note: str | None = None
    #: Whether the desk asks where the refused person lives (居住街道/社区) for the community's letter, and whether
    #: it has been given (the residence itself is not shown again).
    asks_residence: bool = False
    residence_given: bool = False

    @property
    def closed(self) -> bool:
        """Whether the screening has ended."""
        return self.outcome is not None


def screening_view(s: Screening, machine: ScreeningMachine, detail: Mapping[str, Any] | None = None) -> ScreeningView:
    """What a desk shows about a screening (with ``detail`` for the operator, e.g. when a place was taken)."""
    state, outcome, reason, visitor = s.state, s.outcome, s.reason, s.visitor
    line = machine.desk_lines.get(state)
    step, label, expected = (None, None, machine.expected_actions(state)) if line is None else line
    if outcome is Outcome.ADMITTED:
        message = _("Admitted to {hall}, health badge {badge} (valid today)", hall=s.hall, badge=s.badge)
    elif reason is not None:
        referred = outcome is Outcome.REFERRED
        message = reason_tell(reason, _("Please go to the separate waiting area; staff handle everything for you, "
                                        "or the bid is opened remotely.") if referred else None)
    elif label is not None:
        message = _("Next: {step}", step=label)
    else:
        message = ""
    return ScreeningView(
        id=s.id, session=visitor.session, role=str(visitor.role), name_masked=visitor.name_masked, state=state,
        step=step, step_label=label, expected=expected, outcome=None if outcome is None else str(outcome),
        reason=None if reason is None else str(reason), message=message, badge=s.badge, reentry=s.reentry,
        services=s.services, rest_until=s.rest_until, detail=dict(detail) if detail else {}, readings=s.readings,
        asks_residence=residence_wanted(s, machine.policy), residence_given=s.residence is not None,
    )


#: The setting that holds the fingerprint of the ID-hash key a database was started with.
ID_KEY_SETTING = "id_key_fingerprint"

#: What a supervisor's override can set aside at the desk (see :meth:`Desk.supervisor_override`).
OVERRIDE_RELEASES = ("hall_full", "represents_other_bidder", "refusal")


def skipped_checks(s: Screening) -> frozenset[str]:
    """The checks a supervisor's override set aside for this screening (recorded with its arrival)."""
    for r in s.records:
        if r.action == "override:supervisor":
            return frozenset(r.detail.get("skip", ()))
    return frozenset()


