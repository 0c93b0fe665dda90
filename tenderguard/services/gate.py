"""The gate: a centre's entrance on bid-opening days — its policy, store, clock and event bus; desks open from it."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from tenderguard.domain.machine import ScreeningMachine
from tenderguard.domain.model import (
    Agency,
    BidSession,
    Centre,
    Clock,
    Outcome,
    SystemClock,
    a_day,
)
from tenderguard.domain.screening import Actor
from tenderguard.errors import InvalidInputError, KeyMismatchError, NotFoundError
from tenderguard.i18n import _
from tenderguard.identity import key_fingerprint
from tenderguard.policy import Policy
from tenderguard.store.unit_of_work import AbstractUnitOfWork

if TYPE_CHECKING:
    pass

from tenderguard.services.accounts import AccountUseCases
from tenderguard.services.badges import BadgeUseCases
from tenderguard.services.board import BoardUseCases
from tenderguard.services.bus import MessageBus
from tenderguard.services.desk import Desk
from tenderguard.services.door import DoorUseCases
from tenderguard.services.lanes import LaneUseCases
from tenderguard.services.records import RecordUseCases
from tenderguard.services.reminders import ReminderUseCases
from tenderguard.services.sessions import SessionUseCases, check_hall, same_registration
from tenderguard.services.signals import SignalUseCases
from tenderguard.services.signin import SigninUseCases
from tenderguard.services.views import ID_KEY_SETTING, ScreeningView, screening_view
from tenderguard.services.webhooks import WebhookUseCases

__all__ = ["Gate"]


class Gate(SessionUseCases, ReminderUseCases, RecordUseCases, DoorUseCases, BadgeUseCases, SignalUseCases, LaneUseCases,
           BoardUseCases, AccountUseCases, WebhookUseCases, SigninUseCases):
    """A centre's entrance on bid-opening days: its policy, store, clock and event bus; desks open from it."""

    def __init__(
        self,
        *,
        policy: Policy,
        centre: Centre,
        uow_factory: Callable[[], AbstractUnitOfWork],
        clock: Clock | None = None,
        bus: MessageBus | None = None,
        secret: bytes | None = None,
    ) -> None:
        """Set up the gate; ``secret`` keys the ID hashes (give a fixed one to match people across restarts)."""
        self.policy = policy
        self.centre = centre
        self.uow_factory = uow_factory
        self.clock: Clock = clock or SystemClock(centre.tz)
        self.bus = bus or MessageBus()
        self.secret = secret if secret is not None else secrets.token_bytes(32)
        if len(self.secret) < 16:
            raise InvalidInputError("secret", _("is shorter than 16 bytes"), hint=_("use secrets.token_bytes(32)"))
        self.machine = ScreeningMachine(policy)
        self._key_checked = False

    def register_agency(self, agency: Agency) -> None:
        """Register a procurement agency (or replace its details)."""
        with self.uow_factory() as uow:
            uow.agencies.add(agency)
            uow.commit()

    def _check_hall(self, session: BidSession) -> None:
        """A session's hall is one the policy lists (when it lists any) and prints on a badge."""
        check_hall(self.policy, session.hall)

    def register_session(self, session: BidSession) -> None:
        """Register a bid session; its agency must be registered first, its hall one the policy lists."""
        self._check_hall(session)
        with self.uow_factory() as uow:
            if session.agency is not None and uow.agencies.get(session.agency) is None:
                raise NotFoundError(_("agency {agency!r} of session {session_code} is not registered",
                                      agency=session.agency, session_code=session.code),
                                    hint=_("register the agency first"))
            if uow.sessions.get(session.code) is not None:
                raise InvalidInputError("session.code", _("session {session_code} is already registered",
                                                          session_code=session.code),
                                        hint=_("use a new code for a new session"))
            uow.sessions.add(session)
            uow.commit()

    def register_day(self, agencies: Iterable[Agency], sessions: Iterable[BidSession]) -> tuple[int, int]:
        """Register a day's agencies and sessions in one transaction: all or nothing (an import).

        Agencies are added or updated; a session already registered with the same details (or, postponed or
        cancelled since, with those it was registered with) is left as it is, one registered with other details is
        an error: change it with :meth:`edit_session` or :meth:`postpone_session`. Returns (agencies, sessions newly
        registered).
        """
        new_sessions = 0
        agency_list = list(agencies)
        session_list = list(sessions)
        for session in session_list:
            self._check_hall(session)
        with self.uow_factory() as uow:
            for agency in agency_list:
                uow.agencies.add(agency)
            clashes = []
            for session in session_list:
                known = uow.sessions.get(session.code)
                if known is None:
                    uow.sessions.add(session)
                    new_sessions += 1
                elif not same_registration(known, session):
                    clashes.append(session.code)
            if clashes:
                raise InvalidInputError("sessions", _("{items} already registered with other details",
                                                      items=_(", ").join(clashes)),
                                        hint=_("nothing was imported; change a registered session with `tenderguard "
                                               "session edit` or `session postpone`, or give a new session a new code"))
            uow.commit()
        return len(agency_list), new_sessions

    def session(self, code: str) -> BidSession:
        """The registered session with this code."""
        with self.uow_factory() as uow:
            found = uow.sessions.get(code)
        if found is None:
            raise NotFoundError(_("no session {code!r} is registered", code=code), hint=_("register the session first"))
        return found

    def sessions(self, day: dt.date | None = None) -> list[BidSession]:
        """The sessions opening on a day (default today), by opening time."""
        day = None if day is None else a_day(day, field="day")
        with self.uow_factory() as uow:
            return uow.sessions.all(day or self.centre.day_of(self.clock.now()))

    def desk(self, desk: str, operator: str) -> Desk:
        """Open a desk (an entrance lane) with the operator on duty.

        The first desk of a gate checks its ID-hash key against the one the database was started with (and
        records it on a new database): a desk with another key would match nobody — a revoked person admitted
        again, a second person of a company let in — so it is refused with :class:`KeyMismatchError`.
        """
        self.check_id_key()
        return Desk(self, Actor(desk=desk, operator=operator))

    def check_id_key(self) -> None:
        """Refuse an ID-hash key other than the database's (see :meth:`desk`); record it on a new database."""
        if self._key_checked:
            return
        fingerprint = key_fingerprint(self.secret)
        with self.uow_factory() as uow:
            known = uow.settings.get(ID_KEY_SETTING)
            if known is None:
                uow.settings.add(ID_KEY_SETTING, fingerprint)
                uow.commit()
                known = fingerprint
        if known != fingerprint:
            raise KeyMismatchError(
                _("this database was started with another ID-hash key (fingerprint {known}, this one {fingerprint})",
                  known=known, fingerprint=fingerprint),
                hint=_("point --keys (or TENDERGUARD_KEYS, or keys = in the configuration) at the centre's key "
                       "folder that every desk uses"))
        self._key_checked = True

    def screenings(self, day: dt.date | None = None) -> list[ScreeningView]:
        """Every screening of a day (default: today), in the order they were opened."""
        day = None if day is None else a_day(day, field="day")
        day = day or self.centre.day_of(self.clock.now())
        with self.uow_factory() as uow:
            return [screening_view(s, self.machine) for s in uow.screenings.for_day(day)]

    def outcomes(self, day: dt.date | None = None) -> dict[str, list[ScreeningView]]:
        """Today's screenings grouped by outcome: ``admitted``, ``refused``, ``referred``, ``abandoned``, ``open``."""
        day = None if day is None else a_day(day, field="day")
        grouped: dict[str, list[ScreeningView]] = {str(o): [] for o in (*Outcome, "open")}
        for view in self.screenings(day):
            grouped[view.outcome or "open"].append(view)
        return grouped

    def open_screenings(self) -> list[ScreeningView]:
        """Screenings not finished (e.g. interrupted by a crash), to resume at a desk with their next step."""
        with self.uow_factory() as uow:
            return [screening_view(s, self.machine) for s in uow.screenings.open()]
