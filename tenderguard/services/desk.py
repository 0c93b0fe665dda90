"""A desk (an entrance lane) and its operator: screening an arrival step by step, exits, substitutions, overrides."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from tenderguard.domain import events
from tenderguard.domain.machine import CLEARED
from tenderguard.domain.model import (
    Admission,
    Arrival,
    Badge,
    BidSession,
    Outcome,
    Reason,
    Visitor,
    new_id,
)
from tenderguard.domain.rules import check_admission, check_arrival
from tenderguard.domain.screening import Actor, Screening
from tenderguard.domain.session_status import check_screenable, closed_on
from tenderguard.errors import ConflictError, InvalidInputError, NotFoundError
from tenderguard.i18n import _
from tenderguard.identity import clean_text, company_key, person_key, phone_key
from tenderguard.policy import Role
from tenderguard.services.desk_overrides import DeskOverrides, check_arrival_given
from tenderguard.services.signalling import company_seen, signal_arrival, signal_same_person
from tenderguard.services.views import ScreeningView, screening_view, skipped_checks
from tenderguard.store.unit_of_work import AbstractUnitOfWork

if TYPE_CHECKING:
    from tenderguard.services.gate import Gate


__all__ = ["Desk"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class Desk(DeskOverrides):
    """One entrance desk and its operator: screens arrivals step by step."""

    def __init__(self, gate: Gate, actor: Actor) -> None:
        """Use :meth:`Gate.desk` to open a desk."""
        if not isinstance(actor.desk, str) or not isinstance(actor.operator, str) \
                or not actor.desk.strip() or not actor.operator.strip():
            raise InvalidInputError("desk", _("desk and operator must be named"), hint="e.g. desk='A', operator='王芳'")
        # Recorded on every step and printed in reports: the same text rules as names (no controls, no bytes
        # that were not text, e.g. an operator name typed in a GBK terminal).
        actor = Actor(desk=clean_text(actor.desk, field="desk", max_length=50),
                      operator=clean_text(actor.operator, field="operator", max_length=50))
        self.gate = gate
        self.actor = actor

    # -- plumbing

    #: How often a use case is re-run after losing a race with another desk (ConflictError) before giving up.
    conflict_retries = 3

    def _run(self, work: Callable[[AbstractUnitOfWork, dt.datetime], T]) -> T:
        """Run one use case in one unit of work, then publish its events.

        When another desk committed a conflicting change first (the database's one-company constraint, a
        serialisation failure), the whole use case is re-run on fresh data — it then sees the other desk's
        admission and decides accordingly (e.g. ``company_quota``).
        """
        for attempt in range(self.conflict_retries + 1):
            uow = self.gate.uow_factory()
            try:
                with uow:
                    uow.actor = self.actor
                    result = work(uow, self.gate.clock.now())
                    uow.commit()
            except ConflictError as exc:
                if attempt == self.conflict_retries:
                    raise
                log.info("desk %s runs the operation again: %s", self.actor.desk, exc.message)
                continue
            self.gate.bus.publish(uow.collect_new_events())
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _load(self, uow: AbstractUnitOfWork, screening_id: str) -> Screening:
        screening = uow.screenings.get(screening_id)
        if screening is None:
            raise NotFoundError(
                _("no screening {screening_id!r}", screening_id=screening_id), hint=_("start it with Desk.arrive")
            )
        if screening._machine is None:
            screening.bind(self.gate.machine)
        return screening

    def _release(self, uow: AbstractUnitOfWork, screening: Screening) -> None:
        screening.unbind()

    def _step(self, screening_id: str, action: Callable[[Screening, dt.datetime], None]) -> ScreeningView:
        """Apply one desk action to an open screening; admit once every step has passed."""

        def work(uow: AbstractUnitOfWork, at: dt.datetime) -> ScreeningView:
            screening = self._load(uow, screening_id)
            try:
                action(screening, at)
                detail = self._admit(uow, screening, at) if screening.state == CLEARED else {}
                return screening_view(screening, self.gate.machine, detail)
            finally:
                self._release(uow, screening)

        return self._run(work)

    # -- arrival

    def arrive(self, arrival: Arrival, *, source: str | None = None) -> ScreeningView:
        """Open a screening for an arrival and run the arrival check (re-entry, key area, quotas, capacity).

        ``source`` names where a replayed arrival comes from (e.g. a batch file's line): arriving again with the
        same source returns the screening already opened for it, in its last committed state, so an
        interrupted replay resumes instead of screening the person twice.
        """
        check_arrival_given(arrival)
        return self._run(lambda uow, at: self._resumed(uow, source) or self._open(uow, arrival, at, source=source))

    def _resumed(self, uow: AbstractUnitOfWork, source: str | None) -> ScreeningView | None:
        if source is None:
            return None
        found = uow.screenings.by_source(source)
        if found is None:
            return None
        return screening_view(found, self.gate.machine)

    def _open(self, uow: AbstractUnitOfWork, arrival: Arrival, at: dt.datetime,
              override: Mapping[str, Any] | None = None, *, source: str | None = None) -> ScreeningView:
        centre, policy = self.gate.centre, self.gate.policy
        session = uow.sessions.hold(arrival.session)  # shared until commit: a postponement or cancellation waits
        if session is None:
            raise NotFoundError(_("session {session!r} is not registered", session=arrival.session),
                                hint=_("register the day's sessions before screening"))
        day = centre.day_of(arrival.at)
        check_screenable(session, day, centre)  # not cancelled, and opens today (a postponed one: its new day)
        key = person_key(arrival.document, self.gate.secret)
        earlier = uow.screenings.for_person(day, key)
        name_key = (None if arrival.credit_code is None or arrival.company is None
                    else company_key(arrival.company, normalised=True))
        known_as = company_seen(uow, arrival, name_key)
        decision = check_arrival(policy, uow.attendance, arrival, day=day, person_key=key, hall=session.hall,
                                 earlier=earlier, skip=frozenset(override.get("skip", ())) if override else frozenset())
        if known_as is None and arrival.credit_code is not None and arrival.company is not None \
                and name_key is not None:
            uow.companies.add(arrival.credit_code, arrival.company, name_key)
        phone = None if arrival.phone is None else phone_key(arrival.phone, self.gate.secret)
        screening = Screening(id=new_id(), visitor=Visitor.of(arrival, keep_full_id=policy.store_full_id,
                                                              phone_key=phone),
                              person_key=key, hall=session.hall, reentry=decision.reentry is not None,
                              opened_at=at, actor=self.actor, source=source)
        uow.screenings.add(screening)
        screening.bind(self.gate.machine)
        try:
            if override:
                screening._record(self.actor, at, f"override:{override['kind']}", "arrived", override)
            signal_arrival(uow, self.actor, screening, decision, known_as=known_as, name_key=name_key, day=day,
                           at=at)
            if decision.reentry is not None:
                screening.badge = decision.reentry.badge
                if decision.reentry.inside:  # arrived again without a recorded exit: taken to have left
                    self._exit(uow, decision.reentry, at, on_return=True)
            if decision.verdict == "refuse":
                screening.refuse(self.actor, at, decision.reason or "refused", decision.detail)
            elif decision.verdict == "refer":
                screening.refer(self.actor, at, decision.reason or "referred", decision.services)
            else:
                screening.check_in(self.actor, at)
            detail = self._admit(uow, screening, at, session) if screening.state == CLEARED else decision.detail
            view = screening_view(screening, self.gate.machine, detail)
            if screening.outcome is None or screening.outcome is Outcome.ADMITTED:
                from tenderguard.render.printable import badge_note  # noqa: PLC0415 - reads the font on first use

                note = badge_note(screening.visitor.name_masked, arrival.company, session.hall)
                view = attrs.evolve(view, badge_note=note) if note else view
            return view
        except BaseException:
            screening.unbind()  # the unit of work rolls the new screening back
            raise
        finally:
            self._release(uow, screening)

    def _admit(self, uow: AbstractUnitOfWork, s: Screening, at: dt.datetime,
               session: BidSession | None = None) -> dict[str, Any]:
        """Every step passed: check the session is still on today and the place still free, issue the badge.

        The session is read under its shared lock (``session``: held since the arrival): a change committed before
        refuses (``session_closed``); one after waits for this admission, then revokes its badge.
        """
        centre, policy = self.gate.centre, self.gate.policy
        day = centre.day_of(s.visitor.at)
        session = session if session is not None else uow.sessions.hold(s.visitor.session)
        if session is None or closed_on(session, day, centre):
            status = "unknown" if session is None else str(session.status)
            s.refuse(self.actor, at, Reason.SESSION_CLOSED, {"session_status": status})
            return {"session_status": status}
        earlier: list[Screening] = []
        if s.visitor.role is Role.BIDDER:
            # Two desks screening one person for two bidder companies at once are decided one after the other.
            uow.attendance.hold_person(day, s.person_key)
            earlier = [e for e in uow.screenings.for_person(day, s.person_key) if e.id != s.id]
        decision = check_admission(policy, uow.attendance, s.visitor, day=day, hall=s.hall, reentry=s.reentry,
                                   earlier=earlier, skip=skipped_checks(s))
        if not decision.proceeds:
            if decision.other_bidder is not None:  # two desks raced: the signal the arrival could not see yet
                signal_same_person(uow, self.actor, s, decision.other_bidder, day=day, at=at)
            s.refuse(self.actor, at, decision.reason or "refused", decision.detail)
            return dict(decision.detail)
        if s.reentry:
            assert s.badge is not None  # noqa: S101 - set when the re-entry was opened
            admission = uow.attendance.by_badge(s.badge)
            if admission is None:
                raise NotFoundError(
                    _("badge {badge} no longer holds a place", badge=s.badge), hint=_("screen as a new arrival")
                )
            admission.inside, admission.exited_at = True, None
            admission.hall, admission.session = s.hall, s.visitor.session  # the hall the person is in now
            admission.entries += 1
            uow.attendance.save(admission)
            s.admit(self.actor, at, s.badge)
            return {}
        serial = Badge.make_serial(centre.code, day, uow.badges.next_sequence(centre.code, day))
        a = s.visitor
        uow.badges.add(Badge(
            serial=serial, centre=centre.code, day=day, session=a.session, hall=s.hall, role=a.role,
            company=a.company, credit_code=a.credit_code, holder_masked=a.name_masked,
            person_key=s.person_key, issued_at=at,
        ))
        uow.attendance.add(Admission(
            id=new_id(), screening_id=s.id, day=day, session=a.session, hall=s.hall, role=a.role,
            organisation=a.organisation, person_key=s.person_key, badge=serial, at=at, desk=self.actor.desk,
        ))
        s.admit(self.actor, at, serial)
        uow.events.append(events.BadgeIssued(at=at, serial=serial, credit_code=a.credit_code, day=day))
        return {}

    # -- the steps

    def confirm(self, screening_id: str) -> ScreeningView:
        """Confirm a plain step (shoe soles, hands, mask disposal, registration)."""
        return self._step(screening_id, lambda s, at: s.confirm(self.actor, at))

    def mask(self, screening_id: str, condition: str) -> ScreeningView:
        """The mask check: ``ok``, ``replaced`` (a mask is handed out) or ``refused``."""
        return self._step(screening_id, lambda s, at: s.mask(self.actor, at, condition))

    def measure(self, screening_id: str, celsius: float, *, device: str | None = None) -> ScreeningView:
        """A temperature reading in °C (a fever leads to rest and re-measure, then refusal)."""
        return self._step(screening_id, lambda s, at: s.measure(self.actor, at, celsius, device=device))

    def answer(self, screening_id: str, answers: Mapping[str, bool]) -> ScreeningView:
        """The answers to every health question of the policy (True = yes)."""
        return self._step(screening_id, lambda s, at: s.answer(self.actor, at, answers))

    def declare(self, screening_id: str, status: str) -> ScreeningView:
        """The health declaration: ``complete``, ``missing`` or ``mismatch``."""
        return self._step(screening_id, lambda s, at: s.declare(self.actor, at, status))

    def health_code(self, screening_id: str, colour: str) -> ScreeningView:
        """The health-code colour shown: ``green``, ``yellow`` or ``red``."""
        return self._step(screening_id, lambda s, at: s.health_code(self.actor, at, colour))

    def nucleic_test(self, screening_id: str, tested_at: dt.datetime | None, *, negative: bool = True
                     ) -> ScreeningView:
        """The nucleic-acid test report: when it was taken (None = no report) and whether negative."""
        return self._step(screening_id, lambda s, at: s.nucleic_test(self.actor, at, tested_at,
                                                                     negative=negative))

    def abandon(self, screening_id: str) -> ScreeningView:
        """The person left before finishing."""
        return self._step(screening_id, lambda s, at: s.abandon(self.actor, at))

    def view(self, screening_id: str) -> ScreeningView:
        """The current state of a screening (to resume an interrupted one)."""

        def work(uow: AbstractUnitOfWork, _at: dt.datetime) -> ScreeningView:
            screening = self._load(uow, screening_id)
            try:
                return screening_view(screening, self.gate.machine)
            finally:
                self._release(uow, screening)

        return self._run(work)
