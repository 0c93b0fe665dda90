"""Raising the supervisor's signals at the desk: one person for two bidders, a shared phone, a name twice.

The desk does not judge: it records what it saw, once a day per thing seen (see
:mod:`tenderguard.domain.signals`), in the unit of work of the arrival or admission that saw it.
"""

from __future__ import annotations

import datetime as dt

from tenderguard.domain import events
from tenderguard.domain.model import Arrival, new_id
from tenderguard.domain.rules import Decision
from tenderguard.domain.screening import Actor, Screening
from tenderguard.domain.signals import Signal, SignalKind, signal_key
from tenderguard.policy import Role
from tenderguard.store.unit_of_work import AbstractUnitOfWork

__all__ = ["company_seen", "signal_arrival", "signal_same_person"]


def company_seen(uow: AbstractUnitOfWork, arrival: Arrival, name_key: str | None) -> str | None:
    """The credit code the arrival's company name is already registered under (None: a new company).

    Identity is the credit code: a name registered under another code is a signal for the supervisor, never
    a refusal (a rival must not be able to block the real company by arriving first under its name).
    """
    if arrival.credit_code is None or arrival.company is None or name_key is None:
        return arrival.credit_code
    if uow.companies.get(arrival.credit_code) is not None:
        return arrival.credit_code  # known company: a name variant never creates a second one
    return uow.companies.by_key(name_key)


def signal_arrival(uow: AbstractUnitOfWork, actor: Actor, s: Screening, decision: Decision, *,
                   known_as: str | None, name_key: str | None, day: dt.date, at: dt.datetime) -> None:
    """Raise the supervisor's signals an arrival shows (each once a day)."""
    v = s.visitor
    if decision.other_bidder is not None:
        signal_same_person(uow, actor, s, decision.other_bidder, day=day, at=at)
    if known_as is not None and v.credit_code is not None and known_as != v.credit_code and name_key:
        _signal(uow, actor, SignalKind.NAME_TWO_CODES, day, at, session=v.session,
                parts=(name_key, known_as, v.credit_code), screenings=(s.id,), companies=(known_as, v.credit_code))
    if v.role is Role.BIDDER and v.phone_key is not None:
        for other in uow.screenings.with_phone(day, v.session, v.phone_key):
            code = other.visitor.credit_code
            if other.visitor.role is Role.BIDDER and code != v.credit_code and other.person_key != s.person_key:
                _signal(uow, actor, SignalKind.SHARED_PHONE, day, at, session=v.session,
                        parts=(v.phone_key, *_codes(code, v.credit_code)), screenings=(other.id, s.id),
                        companies=_codes(code, v.credit_code))


def signal_same_person(uow: AbstractUnitOfWork, actor: Actor, s: Screening, other: Screening, *, day: dt.date,
                       at: dt.datetime) -> None:
    """Signal one person for two bidder companies: ``other`` is the person's screening for the first one."""
    companies = _codes(other.visitor.credit_code, s.visitor.credit_code)
    _signal(uow, actor, SignalKind.SAME_PERSON, day, at, session=s.visitor.session,
            parts=(s.person_key, *companies), screenings=(other.id, s.id), companies=companies)


def _codes(*codes: str | None) -> tuple[str, ...]:
    return tuple(c for c in codes if c is not None)


def _signal(uow: AbstractUnitOfWork, actor: Actor, kind: SignalKind, day: dt.date, at: dt.datetime, *,
            session: str | None, parts: tuple[str, ...], screenings: tuple[str, ...],
            companies: tuple[str, ...]) -> None:
    key = signal_key(kind, *parts)
    if uow.signals.find(day, key) is not None:
        return  # raised already today: the supervisor has it
    signal = Signal(id=new_id(), day=day, kind=kind, key=key, raised_at=at, desk=actor.desk,
                    operator=actor.operator, session=session, screenings=screenings, companies=companies)
    uow.signals.add(signal)
    uow.events.append(events.SignalRaised(at=at, signal_id=signal.id, kind=str(kind), session=session,
                                          desk=actor.desk))
