"""A desk's exits and overrides: a holder leaving the hall, a substitute for a company, the supervisor's override.

Part of :class:`~tenderguard.services.desk.Desk` (a base class of it): the screening itself — arrival, steps,
admission — is in :mod:`tenderguard.services.desk`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from tenderguard.domain import events
from tenderguard.domain.model import Admission, AdmissionStatus, Arrival, BadgeStatus, Outcome
from tenderguard.domain.screening import Actor
from tenderguard.errors import InvalidInputError, NotFoundError, OverrideError
from tenderguard.i18n import _
from tenderguard.identity import person_key
from tenderguard.services.views import OVERRIDE_RELEASES, ScreeningView
from tenderguard.store.unit_of_work import AbstractUnitOfWork

if TYPE_CHECKING:
    from tenderguard.services.gate import Gate

__all__ = ["DeskOverrides", "check_arrival_given"]

T = TypeVar("T")


def check_arrival_given(arrival: object) -> None:
    """Refuse anything but an :class:`~tenderguard.domain.model.Arrival` (a library caller's mistake)."""
    if not isinstance(arrival, Arrival):
        raise InvalidInputError("arrival", _("is a {name__}, not an Arrival", name__=type(arrival).__name__),
                                hint=_("build it with tenderguard.Arrival(session=..., role=..., name=..., ...)"))


class DeskOverrides:
    """Exits, substitutions and the supervisor's override at a desk (see :class:`~tenderguard.services.Desk`)."""

    gate: Gate
    actor: Actor

    def _run(self, work: Callable[[AbstractUnitOfWork, dt.datetime], T]) -> T:
        raise NotImplementedError

    def _resumed(self, uow: AbstractUnitOfWork, source: str | None) -> ScreeningView | None:
        raise NotImplementedError

    def _open(self, uow: AbstractUnitOfWork, arrival: Arrival, at: dt.datetime,
              override: Mapping[str, Any] | None = None, *, source: str | None = None) -> ScreeningView:
        raise NotImplementedError

    def record_exit(self, badge: str, *, source: str | None = None) -> None:
        """A badge holder left through the exit: the hall has one person fewer.

        ``source`` names a replayed record (a batch line): an exit already recorded from the same source is not
        recorded again.
        """

        def work(uow: AbstractUnitOfWork, at: dt.datetime) -> None:
            if source is not None and any(e.payload.get("source") == source for e in uow.audit.about(badge, "exit")):
                return  # this very exit was recorded by an earlier run of the same replay
            admission = uow.attendance.by_badge(badge)
            if admission is None:
                raise NotFoundError(
                    _("no active admission holds badge {badge!r}", badge=badge), hint=_("check the serial")
                )
            if not admission.inside:
                raise InvalidInputError("badge", _("{badge} is already recorded as having left", badge=badge))
            self._exit(uow, admission, at, on_return=False, source=source)

        self._run(work)

    def _exit(self, uow: AbstractUnitOfWork, admission: Admission, at: dt.datetime, *, on_return: bool,
              source: str | None = None) -> None:
        admission.inside, admission.exited_at = False, at
        uow.attendance.save(admission)
        uow.events.append(events.Exited(at=at, badge=admission.badge, hall=admission.hall,
                                        recorded_on_return=on_return, source=source))

    def substitute(self, arrival: Arrival, *, replaces: str, reason: str, source: str | None = None
                   ) -> ScreeningView:
        """Operator override: the company hands back its badge and another person takes the place.

        The old badge is revoked, the old admission gives up its place, and the new arrival is screened — all in
        one unit of work, recorded with the mandatory reason.
        """
        check_arrival_given(arrival)
        if not isinstance(reason, str) or not reason.strip():
            raise OverrideError(_("a substitution needs a reason"), hint=_("say why the company sends another person"))

        def work(uow: AbstractUnitOfWork, at: dt.datetime) -> ScreeningView:
            resumed = self._resumed(uow, source)
            if resumed is not None:
                return resumed
            # The session's lock before the badge's row, in the order a cancellation takes them (no deadlock).
            uow.sessions.hold(arrival.session)
            badge = uow.badges.get(replaces)
            if badge is None:
                raise NotFoundError(
                    _("no badge {replaces!r}", replaces=replaces), hint=_("check the serial of the handed-back badge")
                )
            if badge.status is BadgeStatus.REVOKED:
                raise OverrideError(_("badge {replaces} is already revoked", replaces=replaces))
            if badge.credit_code != arrival.credit_code or badge.role is not arrival.role:
                raise OverrideError(_("badge {replaces} does not belong to this company and role", replaces=replaces),
                                    hint=_("only the company's own badge can be handed back for a substitute"))
            admission = uow.attendance.by_badge(replaces)
            badge.status, badge.revoked_reason = BadgeStatus.REVOKED, f"substitution: {reason.strip()}"
            uow.badges.save(badge)
            if admission is not None:
                if admission.inside:
                    self._exit(uow, admission, at, on_return=False)
                admission.status = AdmissionStatus.SUBSTITUTED
                uow.attendance.save(admission)
            uow.events += [
                events.BadgeRevoked(at=at, serial=replaces, reason=badge.revoked_reason),
                events.OverrideApplied(at=at, kind="substitution", reason=reason.strip(),
                                       operator=self.actor.operator, desk=self.actor.desk, subject=replaces),
            ]
            override = {"kind": "substitution", "replaces": replaces, "reason": reason.strip()}
            return self._open(uow, arrival, at, override, source=source)

        return self._run(work)

    def supervisor_override(self, arrival: Arrival, *, release: str, reason: str, supervisor: str,
                            reverses: str | None = None, source: str | None = None) -> ScreeningView:
        """The supervisor's override (监督人员): screen the arrival again with one refusal set aside; audited.

        ``release`` is ``hall_full`` (admit past a full hall), ``represents_other_bidder`` (release a held case
        the supervisor has looked into) or ``refusal`` (reverse a refusal that was the operator's mistake: name
        the refused screening in ``reverses``). The person still goes through every step; the reason and the
        supervisor's name are mandatory and recorded.
        """
        check_arrival_given(arrival)
        if release not in OVERRIDE_RELEASES:
            raise InvalidInputError("release", _("{release!r} is not one of {items}", release=release,
                                                 items=_(", ").join(OVERRIDE_RELEASES)),
                                    hint=_("hall_full, represents_other_bidder or refusal"))
        if not isinstance(reason, str) or not reason.strip():
            raise OverrideError(_("a supervisor's override needs a reason"), hint=_("say why the refusal is set aside"))
        if not isinstance(supervisor, str) or not supervisor.strip():
            raise OverrideError(_("a supervisor's override must name the supervisor"), hint="e.g. --supervisor 李强")
        if (release == "refusal") != (reverses is not None):
            raise OverrideError(_("name the refused screening to reverse (and only for release=refusal)"),
                                hint=_("give the screening id shown with the refusal"))

        def work(uow: AbstractUnitOfWork, at: dt.datetime) -> ScreeningView:
            resumed = self._resumed(uow, source)
            if resumed is not None:
                return resumed
            if reverses is not None:
                refused = uow.screenings.get(reverses)
                if refused is None or refused.outcome is not Outcome.REFUSED:
                    raise OverrideError(
                        _("screening {reverses!r} is not a refusal", reverses=reverses),
                        hint=_("check the screening id"),
                    )
                if refused.person_key != person_key(arrival.document, self.gate.secret):
                    raise OverrideError(_("screening {reverses} is about another person", reverses=reverses),
                                        hint=_("a reversal re-screens the same person"))
            override = {"kind": "supervisor", "release": release, "skip": [release], "reason": reason.strip(),
                        "supervisor": supervisor.strip(), **({"reverses": reverses} if reverses else {})}
            uow.events.append(events.OverrideApplied(
                at=at, kind=f"supervisor:{release}", reason=reason.strip(), operator=supervisor.strip(),
                desk=self.actor.desk, subject=reverses or arrival.session))
            return self._open(uow, arrival, at, override, source=source)

        return self._run(work)
