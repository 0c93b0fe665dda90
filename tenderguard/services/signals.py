"""The supervisor's signals: list them (masked, or in full and audited) and decide them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from tenderguard.domain import events
from tenderguard.domain.model import a_day
from tenderguard.domain.screening import Actor
from tenderguard.domain.signals import DECISIONS, Signal, SignalView, signal_view
from tenderguard.errors import InvalidInputError, NotFoundError, OverrideError
from tenderguard.i18n import _
from tenderguard.records.audit import AuditDraft

if TYPE_CHECKING:
    pass

from tenderguard.services.base import GateParts

__all__ = ["SignalUseCases"]


class SignalUseCases(GateParts):
    """The supervisor's signals: list them (masked, or in full and audited) and decide them."""

    def signals(self, day: dt.date | None = None) -> list[Signal]:
        """The supervisor's signals raised on a day (default: today), in the order they were raised."""
        day = None if day is None else a_day(day, field="day")
        day = day or self.centre.day_of(self.clock.now())
        with self.uow_factory() as uow:
            return uow.signals.for_day(day)

    def signal_details(self, day: dt.date | None = None, *, unmasked: bool = False, operator: str = ""
                       ) -> list[SignalView]:
        """The day's signals with the people and companies involved: names masked, or in full for the supervisor.

        An unmasked reading must name who reads it and is audited (the supervisor's role, 监督人员).
        """
        day = None if day is None else a_day(day, field="day")
        day = day or self.centre.day_of(self.clock.now())
        if unmasked and (not isinstance(operator, str) or not operator.strip()):
            raise InvalidInputError("operator", _("an unmasked reading of the signals must name who reads it"),
                                    hint=_("e.g. --operator {name} (the supervisor)", name="李强"))
        with self.uow_factory() as uow:
            found = uow.signals.for_day(day)
            views = [signal_view(sig, [uow.screenings.get(i) for i in sig.screenings],
                                 {c: uow.companies.get(c) for c in sig.companies}, unmasked=unmasked)
                     for sig in found]
            if unmasked:
                uow.audit.record(AuditDraft(at=self.clock.now(), kind="signals_read", subject=day.isoformat(),
                                            operator=operator.strip(), payload={"signals": len(found)}))
                uow.commit()
        return views

    def decide_signal(self, signal_id: str, *, decision: str, reason: str, operator: str) -> Signal:
        """The supervisor's decision on a signal: ``dismiss`` or ``refer``, with a reason; audited."""
        status = DECISIONS.get(decision)
        if status is None:
            raise InvalidInputError("decision", _("{decision!r} is not one of {items}", decision=decision,
                                                  items=_(", ").join(DECISIONS)),
                                    hint=_("dismiss (nothing wrong) or refer (to the supervision authority)"))
        if not isinstance(reason, str) or not reason.strip():
            raise OverrideError(_("a decision on a signal needs a reason"), hint=_("say what was found"))
        if not isinstance(operator, str) or not operator.strip():
            raise InvalidInputError("operator", _("is required"), hint=_("the supervisor who decides"))
        at = self.clock.now()
        with self.uow_factory() as uow:
            uow.actor = Actor(desk="supervisor", operator=operator.strip())
            signal = uow.signals.get(signal_id)
            if signal is None:
                raise NotFoundError(
                    _("no signal {signal_id!r}", signal_id=signal_id), hint=_("see `tenderguard signals list`")
                )
            if not signal.open:
                raise OverrideError(_("signal {signal_id} was decided already ({status})", signal_id=signal_id,
                                      status=signal.status))
            signal.status, signal.decided_at = status, at
            signal.decided_by, signal.decision_reason = operator.strip(), reason.strip()
            uow.signals.save(signal)
            uow.events.append(events.SignalDecided(at=at, signal_id=signal.id, decision=str(status),
                                                   reason=reason.strip(), operator=operator.strip()))
            uow.commit()
        self.bus.publish(uow.collect_new_events())
        return signal
