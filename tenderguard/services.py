"""Use cases of the gate: register the day's sessions, screen arrivals at a desk, admit, exit, substitute.

Each use case is one unit of work: it loads what it needs through the repositories, lets the domain decide,
commits, and then publishes the domain events to the :class:`MessageBus` (a failing subscriber never undoes a
committed admission). Callers get :class:`ScreeningView` snapshots, never the live entities.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from email.utils import make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tenderguard.domain import events
from tenderguard.domain.badge_code import BadgeClaim, Revocations, Verdict, VerdictReason, sign_claim, verify_code
from tenderguard.domain.machine import CLEARED, ScreeningMachine
from tenderguard.domain.model import (
    Admission,
    AdmissionStatus,
    Agency,
    Arrival,
    Badge,
    BadgeStatus,
    BidSession,
    Centre,
    Clock,
    Outcome,
    SystemClock,
    Visitor,
    new_id,
)
from tenderguard.domain.outbox import MAX_ATTEMPTS, OutboxItem, OutboxStatus, retry_delay
from tenderguard.domain.reminders import AgencyDay, ReminderCall, agency_days, due
from tenderguard.domain.rules import (
    REASON_TEXT,
    Decision,
    check_admission,
    check_arrival,
)
from tenderguard.domain.screening import Actor, Screening
from tenderguard.domain.signals import DECISIONS, Signal, SignalKind, SignalView, signal_key, signal_view
from tenderguard.errors import ConflictError, InvalidInputError, KeyMismatchError, NotFoundError, OverrideError
from tenderguard.identity import company_key, key_fingerprint, person_key, phone_key
from tenderguard.policy import Policy, Role
from tenderguard.records.audit import AuditDraft, ChainReport, verify_trail
from tenderguard.records.checkpoint import Checkpoint, fingerprint_of, verify_since, verify_upto
from tenderguard.records.export import FORMATS, export_rows, write_export
from tenderguard.records.files import write_private
from tenderguard.records.retention import PurgeReport, cutoffs
from tenderguard.store.unit_of_work import AbstractUnitOfWork, seal_all

if TYPE_CHECKING:
    from tenderguard.notices.refusals import RefusalNotice
    from tenderguard.render.badges import BadgeCard, RenderResult
    from tenderguard.reports.daily import DailyReport

__all__ = ["ROLE_LABELS", "Desk", "Gate", "MessageBus", "ScreeningView"]

log = logging.getLogger(__name__)
E = TypeVar("E", bound=events.DomainEvent)
Handler = Callable[[Any], None]


class MessageBus:
    """Delivers committed domain events to the host system's subscribers."""

    def __init__(self) -> None:
        """Start with no subscribers."""
        self._handlers: dict[type[events.DomainEvent], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        """Call ``handler(event)`` for every event of this type (or a subclass) after it is committed."""
        self._handlers[event_type].append(handler)

    def publish(self, batch: Iterable[events.DomainEvent]) -> None:
        """Deliver events in order; a subscriber's exception is logged, never raised into the desk."""
        if not self._handlers:
            return
        for event in batch:
            for cls in type(event).__mro__:
                for handler in self._handlers.get(cls, ()):
                    try:
                        handler(event)
                    except Exception:
                        log.exception("subscriber %r failed on %s", handler, type(event).__name__)


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

    @property
    def closed(self) -> bool:
        """Whether the screening has ended."""
        return self.outcome is not None


def _view(s: Screening, machine: ScreeningMachine, detail: Mapping[str, Any] | None = None) -> ScreeningView:
    state, outcome, reason, visitor = s.state, s.outcome, s.reason, s.visitor
    line = machine.desk_lines.get(state)
    step, label, expected = (None, None, machine.expected_actions(state)) if line is None else line
    if outcome is Outcome.ADMITTED:
        message = f"准予进入{s.hall},健康标识 {s.badge}(当日有效)"
    elif reason is not None:
        message = REASON_TEXT.get(reason, reason)
        if outcome is Outcome.REFERRED:
            message = REASON_TEXT.get(reason, "请到独立等候区,由工作人员全程代办或不见面开标")
    elif label is not None:
        message = f"请进行:{label}"
    else:
        message = ""
    return ScreeningView(
        id=s.id, session=visitor.session, role=str(visitor.role), name_masked=visitor.name_masked, state=state,
        step=step, step_label=label, expected=expected, outcome=None if outcome is None else str(outcome),
        reason=None if reason is None else str(reason), message=message, badge=s.badge, reentry=s.reentry,
        services=s.services, rest_until=s.rest_until, detail=dict(detail) if detail else {}, readings=s.readings,
    )


#: The setting that holds the fingerprint of the ID-hash key a database was started with.
ID_KEY_SETTING = "id_key_fingerprint"

#: What a supervisor's override can set aside at the desk (see :meth:`Desk.supervisor_override`).
OVERRIDE_RELEASES = ("hall_full", "represents_other_bidder", "refusal")


def _skipped(s: Screening) -> frozenset[str]:
    """The checks a supervisor's override set aside for this screening (recorded with its arrival)."""
    for r in s.records:
        if r.action == "override:supervisor":
            return frozenset(r.detail.get("skip", ()))
    return frozenset()


#: Printed on badges and notices.
ROLE_LABELS: Mapping[str, str] = {
    Role.BIDDER: "投标人", Role.TENDERER: "招标人", Role.AGENCY: "招标代理", Role.SUPERVISOR: "监督人员",
    Role.EXPERT: "评标专家", Role.OTHER: "其他人员",
}


class Gate:
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
            raise InvalidInputError("secret", "is shorter than 16 bytes", hint="use secrets.token_bytes(32)")
        self.machine = ScreeningMachine(policy)
        self._key_checked = False

    # -- the day's set-up

    def register_agency(self, agency: Agency) -> None:
        """Register a procurement agency (or replace its details)."""
        with self.uow_factory() as uow:
            uow.agencies.add(agency)
            uow.commit()

    def register_session(self, session: BidSession) -> None:
        """Register a bid session; its agency must be registered first."""
        with self.uow_factory() as uow:
            if session.agency is not None and uow.agencies.get(session.agency) is None:
                raise NotFoundError(f"agency {session.agency!r} of session {session.code} is not registered",
                                    hint="register the agency first")
            if uow.sessions.get(session.code) is not None:
                raise InvalidInputError("session.code", f"session {session.code} is already registered",
                                        hint="use a new code for a new session")
            uow.sessions.add(session)
            uow.commit()

    # -- pre-bid reminders through the agencies

    def reminder_groups(self, days: int, *, start: dt.date | None = None) -> list[AgencyDay]:
        """Each agency's sessions per day from ``start`` (today) for ``days`` days, with the calls made so far."""
        if not isinstance(days, int) or not 1 <= days <= 60:
            raise InvalidInputError("days", f"{days!r} is not 1..60", hint="e.g. --days 3")
        first = start or self.centre.day_of(self.clock.now())
        wanted = {first + dt.timedelta(days=n) for n in range(days)}
        with self.uow_factory() as uow:
            upcoming = [s for s in uow.sessions.all() if s.day(self.centre) in wanted]
            agencies = {a.code: a for a in uow.agencies.all()}
            calls = uow.calls.for_agencies({s.agency for s in upcoming if s.agency})
        return agency_days(upcoming, agencies, calls, self.centre)

    def measured_throughput(self, day: dt.date) -> float | None:
        """People screened per minute per desk on a past day, from its records (None: too few to tell).

        Each desk's busy time runs from its first to its last step of the day; finished screenings are counted
        at the desk that opened them.
        """
        with self.uow_factory() as uow:
            done = [s for s in uow.screenings.for_day(day) if s.closed and s.records]
        spans: dict[str, list[dt.datetime]] = defaultdict(list)
        counts: dict[str, int] = defaultdict(int)
        for s in done:
            counts[s.opened_by.desk] += 1
            for r in s.records:
                spans[r.desk].append(r.at)
        minutes = sum((max(ts) - min(ts)).total_seconds() / 60 for ts in spans.values())
        if sum(counts.values()) < 10 or minutes < 10:
            return None
        return sum(counts.values()) / minutes

    def reminder_sessions(self, day: dt.date) -> list[BidSession]:
        """The sessions opening on a day, by opening time."""
        with self.uow_factory() as uow:
            return uow.sessions.all(day)

    def reminders_due(self, days: int) -> list[AgencyDay]:
        """The agency-days still to call in the next ``days`` days (callbacks once their time has come)."""
        return due(self.reminder_groups(days), self.clock.now())

    def log_call(self, *, agency: str, caller: str, outcome: str, sessions: Iterable[str] | None = None,
                 answered_by: str | None = None, callback_at: dt.datetime | None = None,
                 note: str | None = None) -> ReminderCall:
        """Log a reminder call to an agency (by default about all its sessions on its next day with any)."""
        now = self.clock.now()
        with self.uow_factory() as uow:
            if uow.agencies.get(agency) is None:
                raise NotFoundError(f"no agency {agency!r}", hint="register the agency first")
            mine = [s for s in uow.sessions.all() if s.agency == agency and s.opens_at >= now]
            if sessions is None:
                if not mine:
                    raise InvalidInputError("sessions", f"agency {agency} has no upcoming session",
                                            hint="name the sessions the call was about")
                first_day = mine[0].day(self.centre)
                codes = tuple(s.code for s in mine if s.day(self.centre) == first_day)
            else:
                codes = tuple(sessions)
                theirs = {s.code for s in uow.sessions.all() if s.agency == agency}
                foreign = [c for c in codes if c not in theirs]
                if foreign:
                    raise InvalidInputError("sessions", f"{', '.join(foreign)} is not a session of agency {agency}",
                                            hint="a call to an agency covers only that agency's sessions")
            call = ReminderCall(agency=agency, sessions=codes, at=now, caller=caller, outcome=outcome,
                                answered_by=answered_by, callback_at=callback_at, note=note)
            uow.calls.add(call)
            uow.audit.record(AuditDraft(at=now, kind="reminder_call", subject=agency, operator=caller, payload={
                "sessions": list(codes), "outcome": str(call.outcome)}))
            uow.commit()
        return call

    def queue_notices(self, days: int) -> tuple[list[OutboxItem], list[AgencyDay]]:
        """Queue the email notice of every agency-day in the next ``days`` days (each once, ever).

        Returns the items queued now and the agency-days that cannot be emailed (no address: call them).
        """
        now = self.clock.now()
        queued: list[OutboxItem] = []
        no_address: list[AgencyDay] = []
        groups = self.reminder_groups(days)
        with self.uow_factory() as uow:
            for g in groups:
                if g.agency.email is None:
                    no_address.append(g)
                    continue
                key = f"notice:{g.agency.code}:{g.day.isoformat()}"
                message_id = make_msgid(idstring=f"{g.agency.code}.{g.day:%Y%m%d}", domain="tenderguard.invalid")
                item = OutboxItem(key=key, kind="agency_notice", agency=g.agency.code, day=g.day,
                                  recipient=g.agency.email, created_at=now, next_attempt_at=now,
                                  message_id=message_id)
                if uow.outbox.add(item):
                    queued.append(item)
            uow.commit()
        return queued, no_address

    def send_notices(self, send: Callable[[OutboxItem, AgencyDay], None], *, limit: int = 100) -> dict[str, int]:
        """Send the queued notices whose time has come; ``send(item, group)`` emails one or raises.

        An exception with ``transient = True`` (a busy or unreachable server) schedules a retry with a growing
        delay; any other failure marks the item failed. Each item is claimed in a committed transaction first,
        so two senders never send the same notice, and a crash mid-send leaves it visibly ``sending``.
        """
        now = self.clock.now()
        counts = {"sent": 0, "retry": 0, "failed": 0}
        with self.uow_factory() as uow:
            ready = [i for i in uow.outbox.items([OutboxStatus.PENDING, OutboxStatus.RETRY])
                     if i.next_attempt_at is None or i.next_attempt_at <= now][:limit]
        groups = {(g.agency.code, g.day): g for g in self.reminder_groups(60, start=min(
            (i.day for i in ready), default=self.centre.day_of(now)))} if ready else {}
        for item in ready:
            with self.uow_factory() as uow:
                if not uow.outbox.claim(item, now):
                    continue  # another sender took it
                uow.commit()
            outcome = self._send_one(item, groups.get((item.agency, item.day)), send, now)
            counts[outcome] += 1
        return counts

    def _send_one(self, item: OutboxItem, group: AgencyDay | None, send: Callable[[OutboxItem, AgencyDay], None],
                  now: dt.datetime) -> str:
        try:
            if group is None:
                raise NotFoundError(f"agency {item.agency} has no session on {item.day} any more")
            send(item, group)
        except Exception as exc:
            transient = bool(getattr(exc, "transient", False))
            item.last_error = str(exc)[:500]
            if transient and item.attempts < MAX_ATTEMPTS:
                item.status, item.next_attempt_at = OutboxStatus.RETRY, now + retry_delay(item.attempts)
            else:
                item.status = OutboxStatus.FAILED
        else:
            item.status, item.sent_at, item.last_error = OutboxStatus.SENT, self.clock.now(), None
        with self.uow_factory() as uow:
            uow.outbox.save(item)
            uow.audit.record(AuditDraft(at=self.clock.now(), kind="notice_" + str(item.status), subject=item.agency,
                                        payload={"day": item.day.isoformat(), "message_id": item.message_id,
                                                 "attempts": item.attempts}))
            uow.commit()
        return {OutboxStatus.SENT: "sent", OutboxStatus.RETRY: "retry"}.get(item.status, "failed")

    def refusal_notices(self, day: dt.date, *, operator: str = "system") -> list[RefusalNotice]:
        """The letters for the day's refusals the policy notifies (company, community, agency); audited."""
        from tenderguard.notices.refusals import refusal_notices  # noqa: PLC0415 - templates load on demand

        now = self.clock.now()
        with self.uow_factory() as uow:
            found = refusal_notices(uow.screenings.for_day(day), sessions={s.code: s for s in uow.sessions.all(day)},
                                    agencies={a.code: a for a in uow.agencies.all()}, policy=self.policy,
                                    centre=self.centre, written_at=now)
            if found:
                uow.audit.record(AuditDraft(at=now, kind="refusal_notices", subject=day.isoformat(), operator=operator,
                                            payload={"refusals": len(found),
                                                     "letters": sum(len(n.letters) for n in found)}))
                uow.commit()
        return found

    def daily_report(self, day: dt.date) -> tuple[DailyReport, list[str]]:
        """The day's report from the stored records, and its mismatches with the audit trail (none expected)."""
        from tenderguard.reports.daily import daily_report, reconcile  # noqa: PLC0415 - loaded on demand

        with self.uow_factory() as uow:
            report = daily_report(uow, day=day, centre=self.centre, policy=self.policy)
            problems = reconcile(report, uow)
            uow.commit()  # keeps the audit seal reconcile made
        with self.uow_factory() as uow:
            seq, head = uow.audit.head()
        # The trail as the report was made, short enough to read out: `audit verify --fingerprint` checks it later.
        return attrs.evolve(report, trail_checkpoint=(seq, fingerprint_of(seq, head))), problems

    def outbox(self) -> list[OutboxItem]:
        """Every queued notice and its status (``sending`` after a crash: check the mail log, then requeue)."""
        with self.uow_factory() as uow:
            return uow.outbox.items()

    def requeue_notice(self, key: str, *, operator: str) -> OutboxItem:
        """Send a failed or stuck notice again (audited): for a ``sending`` item, check it did not go first."""
        with self.uow_factory() as uow:
            item = uow.outbox.get(key)
            if item is None:
                raise NotFoundError(f"no queued notice {key!r}", hint="see `tenderguard remind outbox`")
            if item.status is OutboxStatus.SENT:
                raise OverrideError(f"notice {key} was sent at {item.sent_at}", hint="it is not sent twice")
            item.status, item.next_attempt_at, item.attempts = OutboxStatus.PENDING, self.clock.now(), 0
            uow.outbox.save(item)
            uow.audit.record(AuditDraft(at=self.clock.now(), kind="notice_requeued", subject=item.agency,
                                        operator=operator, payload={"key": key}))
            uow.commit()
        return item

    def register_day(self, agencies: Iterable[Agency], sessions: Iterable[BidSession]) -> tuple[int, int]:
        """Register a day's agencies and sessions in one transaction: all or nothing (an import).

        Agencies are added or updated; a session already registered with the same details is left as it is, one
        registered with other details is an error. Returns (agencies, sessions newly registered).
        """
        new_sessions = 0
        agency_list = list(agencies)
        with self.uow_factory() as uow:
            for agency in agency_list:
                uow.agencies.add(agency)
            clashes = []
            for session in sessions:
                known = uow.sessions.get(session.code)
                if known is None:
                    uow.sessions.add(session)
                    new_sessions += 1
                elif known != session:
                    clashes.append(session.code)
            if clashes:
                raise InvalidInputError("sessions", f"{', '.join(clashes)} already registered with other details",
                                        hint="give changed sessions new codes; nothing was imported")
            uow.commit()
        return len(agency_list), new_sessions

    def session(self, code: str) -> BidSession:
        """The registered session with this code."""
        with self.uow_factory() as uow:
            found = uow.sessions.get(code)
        if found is None:
            raise NotFoundError(f"no session {code!r} is registered", hint="register the session first")
        return found

    def signals(self, day: dt.date | None = None) -> list[Signal]:
        """The supervisor's signals raised on a day (default: today), in the order they were raised."""
        day = day or self.centre.day_of(self.clock.now())
        with self.uow_factory() as uow:
            return uow.signals.for_day(day)

    def signal_details(self, day: dt.date | None = None, *, unmasked: bool = False, operator: str = ""
                       ) -> list[SignalView]:
        """The day's signals with the people and companies involved: names masked, or in full for the supervisor.

        An unmasked reading must name who reads it and is audited (the supervisor's role, 监督人员).
        """
        day = day or self.centre.day_of(self.clock.now())
        if unmasked and (not isinstance(operator, str) or not operator.strip()):
            raise InvalidInputError("operator", "an unmasked reading of the signals must name who reads it",
                                    hint="e.g. --operator 李强 (the supervisor)")
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
            raise InvalidInputError("decision", f"{decision!r} is not one of {', '.join(DECISIONS)}",
                                    hint="dismiss (nothing wrong) or refer (to the supervision authority)")
        if not isinstance(reason, str) or not reason.strip():
            raise OverrideError("a decision on a signal needs a reason", hint="say what was found")
        if not isinstance(operator, str) or not operator.strip():
            raise InvalidInputError("operator", "is required", hint="the supervisor who decides")
        at = self.clock.now()
        with self.uow_factory() as uow:
            uow.actor = Actor(desk="supervisor", operator=operator.strip())
            signal = uow.signals.get(signal_id)
            if signal is None:
                raise NotFoundError(f"no signal {signal_id!r}", hint="see `tenderguard signals list`")
            if not signal.open:
                raise OverrideError(f"signal {signal_id} was decided already ({signal.status})")
            signal.status, signal.decided_at = status, at
            signal.decided_by, signal.decision_reason = operator.strip(), reason.strip()
            uow.signals.save(signal)
            uow.events.append(events.SignalDecided(at=at, signal_id=signal.id, decision=str(status),
                                                   reason=reason.strip(), operator=operator.strip()))
            uow.commit()
        self.bus.publish(uow.collect_new_events())
        return signal

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
                f"this database was started with another ID-hash key (fingerprint {known}, this one {fingerprint})",
                hint="point --keys (or TENDERGUARD_KEYS, or keys = in the configuration) at the centre's key "
                     "folder that every desk uses")
        self._key_checked = True

    # -- reading the day

    def screenings(self, day: dt.date | None = None) -> list[ScreeningView]:
        """Every screening of a day (default: today), in the order they were opened."""
        day = day or self.centre.day_of(self.clock.now())
        with self.uow_factory() as uow:
            return [_view(s, self.machine) for s in uow.screenings.for_day(day)]

    def outcomes(self, day: dt.date | None = None) -> dict[str, list[ScreeningView]]:
        """Today's screenings grouped by outcome: ``admitted``, ``refused``, ``referred``, ``abandoned``, ``open``."""
        grouped: dict[str, list[ScreeningView]] = {str(o): [] for o in (*Outcome, "open")}
        for view in self.screenings(day):
            grouped[view.outcome or "open"].append(view)
        return grouped

    def open_screenings(self) -> list[ScreeningView]:
        """Screenings not finished (e.g. interrupted by a crash), to resume at a desk with their next step."""
        with self.uow_factory() as uow:
            return [_view(s, self.machine) for s in uow.screenings.open()]

    def seal_audit(self) -> int:
        """Seal every audit entry written so far into the chain (desks do it every second or so anyway)."""
        return seal_all(self.uow_factory)

    def verify_audit(self) -> ChainReport:
        """Seal what is waiting, then check the trail's hash chain; the report names the first bad entry."""
        self.seal_audit()
        with self.uow_factory() as uow:
            return verify_trail(uow.audit)

    def audit_checkpoint(self, key: Ed25519PrivateKey, *, operator: str = "system") -> Checkpoint:
        """Seal the trail, then sign its entry count and head hash with the centre's key; the checkpoint is audited.

        Keep the file away from the database (or read its fingerprint out and write it down): later,
        :meth:`verify_audit` with it tells whether the trail up to it was rewritten.
        """
        self.seal_audit()
        now = self.clock.now()
        with self.uow_factory() as uow:
            seq, head = uow.audit.head()
            checkpoint = Checkpoint(centre=self.centre.code, seq=seq, hash=head, at=now).signed(key)
            uow.audit.record(AuditDraft(at=now, kind="checkpoint", subject=str(seq), operator=operator,
                                        payload={"seq": seq, "fingerprint": checkpoint.fingerprint}))
            uow.commit()
        self.seal_audit()
        return checkpoint

    def verify_audit_against(self, *, checkpoint: Checkpoint | None = None, since: Checkpoint | None = None,
                             fingerprint: tuple[int, str] | None = None) -> ChainReport:
        """Verify the trail and that it still holds a checkpoint (or a printed fingerprint ``(entry, XXXX-…)``).

        With ``since``, the trail up to that checkpoint is trusted (only its last entry is compared) and only
        what came after is verified.
        """
        self.seal_audit()
        for found in (checkpoint, since):
            if found is not None and found.centre != self.centre.code:
                raise InvalidInputError("checkpoint", f"is for centre {found.centre}, not {self.centre.code}")
        with self.uow_factory() as uow:
            if since is not None:
                return verify_since(uow.audit, since)
            anchors = [(c.seq, c.fingerprint) for c in (checkpoint,) if c is not None]
            anchors += [fingerprint] if fingerprint is not None else []
            for seq, expected in anchors:
                broken = verify_upto(uow.audit, seq, expected)
                if broken is not None:
                    return broken
            return verify_trail(uow.audit)

    def purge(self, *, today: dt.date | None = None, dry_run: bool = False, operator: str = "system"
              ) -> PurgeReport:
        """Delete what the policy's retention periods say must go (health data first, attendance later).

        The purge is one transaction and is itself audited (a ``purge`` entry with its counts); a dry run only
        reports what would go.
        """
        today = today or self.centre.day_of(self.clock.now())
        retention = self.policy.retention
        self.seal_audit()  # chain what the days to purge wrote while it is all still there
        health_before, attendance_before = cutoffs(today, retention.health_data_days, retention.attendance_days)
        at = self.clock.now()
        with self.uow_factory() as uow:
            counts = uow.retention.purge(health_before=health_before, attendance_before=attendance_before, at=at,
                                         dry_run=dry_run)
            if not dry_run:
                uow.audit.record(AuditDraft(at=at, kind="purge", subject=str(today), operator=operator, payload={
                    "health_before": health_before.isoformat(), "attendance_before": attendance_before.isoformat(),
                    **attrs.asdict(counts)}))
                uow.commit()
        if not dry_run:
            uow.compact()
        return PurgeReport(today=today, health_before=health_before, attendance_before=attendance_before,
                           counts=counts, dry_run=dry_run)

    def export(self, day: dt.date, out: str, *, fmt: str = "csv", unmasked: bool = False,
               operator: str = "system") -> int:
        """Write a day's screenings to ``out`` as CSV or XLSX (masked unless ``unmasked``); audited. Rows written."""
        if fmt not in FORMATS:
            raise InvalidInputError("format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
        if unmasked and not operator.strip():
            raise InvalidInputError("operator", "an unmasked export must name who asked for it")
        written: list[int] = []

        def write(partial: Path) -> None:
            with self.uow_factory() as uow:
                rows = export_rows(uow.screenings.for_day(day), unmasked=unmasked)
                write_export(rows, partial, fmt, day=day)
                uow.audit.record(AuditDraft(at=self.clock.now(), kind="export", subject=day.isoformat(),
                                            operator=operator, payload={"format": fmt, "rows": len(rows),
                                                                        "unmasked": unmasked}))
                uow.commit()
            written.append(len(rows))

        # Owner-only, and the file appears only once its export is in the audit trail.
        write_private(out, write)
        return written[0]

    def badge(self, serial: str) -> Badge:
        """A badge by serial."""
        with self.uow_factory() as uow:
            found = uow.badges.get(serial)
        if found is None:
            raise NotFoundError(f"no badge {serial!r}", hint="check the serial printed on the badge")
        return found

    # -- badges after issue: revoke, reprint, verify

    def _badge_change(self, serial: str, reason: str, operator: str,
                      change: Callable[[AbstractUnitOfWork, Badge, dt.datetime], None]) -> Badge:
        if not isinstance(reason, str) or not reason.strip():
            raise OverrideError(f"a reason is required to change badge {serial}", hint="say why, e.g. 遗失")
        if not isinstance(operator, str) or not operator.strip():
            raise InvalidInputError("operator", "is required", hint="who does this (recorded in the audit trail)")
        with self.uow_factory() as uow:
            uow.actor = Actor(desk="office", operator=operator.strip())
            badge = uow.badges.get(serial)
            if badge is None:
                raise NotFoundError(f"no badge {serial!r}", hint="check the serial printed on the badge")
            if badge.status is BadgeStatus.REVOKED:
                raise OverrideError(f"badge {serial} is already revoked ({badge.revoked_reason})")
            change(uow, badge, self.clock.now())
            uow.badges.save(badge)
            uow.commit()
        self.bus.publish(uow.collect_new_events())
        return badge

    def revoke_badge(self, serial: str, *, reason: str, operator: str) -> Badge:
        """Revoke a badge (lost, wrong person…): verification refuses it and its holder's place is given up."""

        def revoke(uow: AbstractUnitOfWork, badge: Badge, at: dt.datetime) -> None:
            badge.status, badge.revoked_reason = BadgeStatus.REVOKED, reason.strip()
            admission = uow.attendance.by_badge(serial)
            if admission is not None:
                admission.status, admission.inside = AdmissionStatus.REVOKED, False
                admission.exited_at = admission.exited_at or at
                uow.attendance.save(admission)
            uow.events.append(events.BadgeRevoked(at=at, serial=serial, reason=reason.strip()))

        return self._badge_change(serial, reason, operator, revoke)

    def reprint_badge(self, serial: str, *, reason: str, operator: str) -> Badge:
        """Print a badge again: same serial, next print number; earlier prints stop verifying (audited)."""

        def reprint(uow: AbstractUnitOfWork, badge: Badge, at: dt.datetime) -> None:
            if badge.day != self.centre.day_of(at):
                raise OverrideError(f"badge {serial} was for {badge.day}; only today's badges are reprinted",
                                    hint="a badge is valid for one day")
            badge.reprints += 1
            uow.events.append(events.BadgeReprinted(at=at, serial=serial, reprint=badge.reprints,
                                                    reason=reason.strip()))

        return self._badge_change(serial, reason, operator, reprint)

    def revocations(self, day: dt.date | None = None) -> Revocations:
        """The day's revoked serials and current print numbers (sign it for offline scanners)."""
        day = day or self.centre.day_of(self.clock.now())
        with self.uow_factory() as uow:
            found = uow.badges.for_day(day)
        return Revocations(centre=self.centre.code, day=day,
                           revoked={b.serial: b.revoked_reason or "revoked" for b in found
                                    if b.status is BadgeStatus.REVOKED},
                           reprints={b.serial: b.reprints for b in found if b.reprints})

    def badge_code(self, badge: Badge, key: Ed25519PrivateKey) -> str:
        """The signed QR text of a badge's current print."""
        return sign_claim(BadgeClaim(centre=badge.centre, serial=badge.serial, day=badge.day,
                                     reprint=badge.reprints), key)

    def badge_cards(self, day: dt.date, key: Ed25519PrivateKey, *, serials: Iterable[str] | None = None,
                    include_revoked: bool = False) -> list[BadgeCard]:
        """What to print for a day's badges (all, or the serials given): masked holders, day colour, signed QR."""
        from tenderguard.render.badges import WEEKDAYS, BadgeCard  # noqa: PLC0415 - WeasyPrint loads on demand

        wanted = set(serials) if serials is not None else None
        with self.uow_factory() as uow:
            found = uow.badges.for_day(day)
        if wanted is not None:
            unknown = sorted(wanted - {b.serial for b in found})
            if unknown:
                raise NotFoundError(f"no badge {', '.join(unknown)} on {day}", hint="check the serials and --date")
        style = self.policy.badge
        return [BadgeCard(
            serial=b.serial, centre_name=self.centre.name, title=style.title, day=b.day,
            weekday=WEEKDAYS[b.day.weekday()], colour=style.colour_of(b.day), company=b.company,
            holder=b.holder_masked, role=ROLE_LABELS.get(b.role, str(b.role)), sessions=(b.session,), hall=b.hall,
            reprint=b.reprints, qr_payload=self.badge_code(b, key),
        ) for b in found if (wanted is None or b.serial in wanted)
            and (include_revoked or b.status is not BadgeStatus.REVOKED)]

    def print_badges(self, day: dt.date, key: Ed25519PrivateKey, out: str | Path, *, layout: str = "a4-8",
                     serials: Iterable[str] | None = None, operator: str = "system",
                     progress: Callable[[int, int], None] | None = None) -> RenderResult:
        """Render a day's badges (all valid ones, or the serials given) to a PDF; the print run is audited."""
        from tenderguard.render.badges import render_badges  # noqa: PLC0415 - WeasyPrint loads on demand

        cards = self.badge_cards(day, key, serials=serials)
        if not cards:
            raise NotFoundError(f"no valid badge on {day}", hint="screen arrivals first, or check --date")
        result = render_badges(cards, out, layout=layout, progress=progress)
        with self.uow_factory() as uow:
            uow.audit.record(AuditDraft(at=self.clock.now(), kind="badge_print", subject=day.isoformat(),
                                        operator=operator, payload={
                                            "layout": layout, "badges": result.badges, "pages": result.pages,
                                            "reprints": sum(1 for c in cards if c.reprint)}))
            uow.commit()
        return result

    def verify_badge(self, code: str, public_key: Ed25519PublicKey, *, today: dt.date | None = None) -> Verdict:
        """Verify a scanned code against the key and this centre's records (revocations, reprints, unknown)."""
        today = today or self.centre.day_of(self.clock.now())
        verdict = verify_code(code, public_key, centre=self.centre.code, today=today,
                              revocations=self.revocations(today))
        if verdict.valid and verdict.claim is not None:
            with self.uow_factory() as uow:
                if uow.badges.get(verdict.claim.serial) is None:
                    return Verdict(VerdictReason.REVOKED, verdict.claim, "no such badge in this centre's records")
        return verdict


T = TypeVar("T")


class Desk:
    """One entrance desk and its operator: screens arrivals step by step."""

    def __init__(self, gate: Gate, actor: Actor) -> None:
        """Use :meth:`Gate.desk` to open a desk."""
        if not actor.desk.strip() or not actor.operator.strip():
            raise InvalidInputError("desk", "desk and operator must be named", hint="e.g. desk='A', operator='王芳'")
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
            raise NotFoundError(f"no screening {screening_id!r}", hint="start it with Desk.arrive")
        if screening._machine is None:
            screening.bind(self.gate.machine)
        return screening

    def _release(self, uow: AbstractUnitOfWork, screening: Screening) -> None:
        if screening.closed or not uow.live_objects:
            screening.unbind()

    def _step(self, screening_id: str, action: Callable[[Screening, dt.datetime], None]) -> ScreeningView:
        """Apply one desk action to an open screening; admit once every step has passed."""

        def work(uow: AbstractUnitOfWork, at: dt.datetime) -> ScreeningView:
            screening = self._load(uow, screening_id)
            try:
                action(screening, at)
                detail = self._admit(uow, screening, at) if screening.state == CLEARED else {}
                return _view(screening, self.gate.machine, detail)
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
        return self._run(lambda uow, at: self._resumed(uow, source) or self._open(uow, arrival, at, source=source))

    def _resumed(self, uow: AbstractUnitOfWork, source: str | None) -> ScreeningView | None:
        if source is None:
            return None
        found = uow.screenings.by_source(source)
        if found is None:
            return None
        return _view(found, self.gate.machine)

    def _open(self, uow: AbstractUnitOfWork, arrival: Arrival, at: dt.datetime,
              override: Mapping[str, Any] | None = None, *, source: str | None = None) -> ScreeningView:
        centre, policy = self.gate.centre, self.gate.policy
        session = uow.sessions.get(arrival.session)
        if session is None:
            raise NotFoundError(f"session {arrival.session!r} is not registered",
                                hint="register the day's sessions before screening")
        day = centre.day_of(arrival.at)
        if session.day(centre) != day:
            raise InvalidInputError("session", f"session {session.code} opens on {session.day(centre)}, "
                                    f"not on {day}", hint="pick one of today's sessions")
        key = person_key(arrival.document, self.gate.secret)
        earlier = uow.screenings.for_person(day, key)
        name_key = (None if arrival.credit_code is None or arrival.company is None
                    else company_key(arrival.company, normalised=True))
        known_as = self._company_seen(uow, arrival, name_key)
        decision = check_arrival(policy, uow.attendance, arrival, day=day, person_key=key, hall=session.hall,
                                 earlier=earlier)
        if override is not None and override.get("kind") == "supervisor" and not decision.proceeds \
                and decision.reason in override.get("skip", ()):
            decision = attrs.evolve(decision, verdict="proceed", reason=None, detail={})
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
            self._signal_arrival(uow, screening, decision, known_as=known_as, name_key=name_key, day=day, at=at)
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
            detail = self._admit(uow, screening, at) if screening.state == CLEARED else decision.detail
            return _view(screening, self.gate.machine, detail)
        except BaseException:
            screening.unbind()  # the unit of work rolls the new screening back
            raise
        finally:
            self._release(uow, screening)

    def _company_seen(self, uow: AbstractUnitOfWork, arrival: Arrival, name_key: str | None) -> str | None:
        """The credit code the arrival's company name is already registered under (None: a new company).

        Identity is the credit code: a name registered under another code is a signal for the supervisor, never
        a refusal (a rival must not be able to block the real company by arriving first under its name).
        """
        if arrival.credit_code is None or arrival.company is None or name_key is None:
            return arrival.credit_code
        if uow.companies.get(arrival.credit_code) is not None:
            return arrival.credit_code  # known company: a name variant never creates a second one
        return uow.companies.by_key(name_key)

    def _signal_arrival(self, uow: AbstractUnitOfWork, s: Screening, decision: Decision, *, known_as: str | None,
                        name_key: str | None, day: dt.date, at: dt.datetime) -> None:
        """Raise the supervisor's signals an arrival shows (each once a day)."""
        v = s.visitor
        if decision.other_bidder is not None:
            self._signal(uow, SignalKind.SAME_PERSON, day, at, session=v.session,
                         parts=(s.person_key, *self._codes(decision.other_bidder.visitor.credit_code, v.credit_code)),
                         screenings=(decision.other_bidder.id, s.id),
                         companies=self._codes(decision.other_bidder.visitor.credit_code, v.credit_code))
        if known_as is not None and v.credit_code is not None and known_as != v.credit_code and name_key:
            self._signal(uow, SignalKind.NAME_TWO_CODES, day, at, session=v.session,
                         parts=(name_key, known_as, v.credit_code), screenings=(s.id,),
                         companies=(known_as, v.credit_code))
        if v.role is Role.BIDDER and v.phone_key is not None:
            for other in uow.screenings.with_phone(day, v.session, v.phone_key):
                code = other.visitor.credit_code
                if other.visitor.role is Role.BIDDER and code != v.credit_code and other.person_key != s.person_key:
                    self._signal(uow, SignalKind.SHARED_PHONE, day, at, session=v.session,
                                 parts=(v.phone_key, *self._codes(code, v.credit_code)), screenings=(other.id, s.id),
                                 companies=self._codes(code, v.credit_code))

    @staticmethod
    def _codes(*codes: str | None) -> tuple[str, ...]:
        return tuple(c for c in codes if c is not None)

    def _signal(self, uow: AbstractUnitOfWork, kind: SignalKind, day: dt.date, at: dt.datetime, *,
                session: str | None, parts: tuple[str, ...], screenings: tuple[str, ...],
                companies: tuple[str, ...]) -> None:
        key = signal_key(kind, *parts)
        if uow.signals.find(day, key) is not None:
            return  # raised already today: the supervisor has it
        signal = Signal(id=new_id(), day=day, kind=kind, key=key, raised_at=at, desk=self.actor.desk,
                        operator=self.actor.operator, session=session, screenings=screenings, companies=companies)
        uow.signals.add(signal)
        uow.events.append(events.SignalRaised(at=at, signal_id=signal.id, kind=str(kind), session=session,
                                              desk=self.actor.desk))

    def _admit(self, uow: AbstractUnitOfWork, s: Screening, at: dt.datetime) -> dict[str, Any]:
        """Every step passed: check the place is still free, issue (or reuse) the badge, admit."""
        centre, policy = self.gate.centre, self.gate.policy
        day = centre.day_of(s.visitor.at)
        earlier: list[Screening] = []
        if s.visitor.role is Role.BIDDER:
            # Two desks screening one person for two bidder companies at once are decided one after the other.
            uow.attendance.hold_person(day, s.person_key)
            earlier = [e for e in uow.screenings.for_person(day, s.person_key) if e.id != s.id]
        decision = check_admission(policy, uow.attendance, s.visitor, day=day, hall=s.hall, reentry=s.reentry,
                                   earlier=earlier, skip=_skipped(s))
        if not decision.proceeds:
            if decision.other_bidder is not None:
                self._signal_arrival(uow, s, decision, known_as=s.visitor.credit_code, name_key=None, day=day, at=at)
            s.refuse(self.actor, at, decision.reason or "refused", decision.detail)
            return dict(decision.detail)
        if s.reentry:
            assert s.badge is not None  # noqa: S101 - set when the re-entry was opened
            admission = uow.attendance.by_badge(s.badge)
            if admission is None:
                raise NotFoundError(f"badge {s.badge} no longer holds a place", hint="screen as a new arrival")
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
                return _view(screening, self.gate.machine)
            finally:
                self._release(uow, screening)

        return self._run(work)

    # -- exits and overrides

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
                raise NotFoundError(f"no active admission holds badge {badge!r}", hint="check the serial")
            if not admission.inside:
                raise InvalidInputError("badge", f"{badge} is already recorded as having left")
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
        if not isinstance(reason, str) or not reason.strip():
            raise OverrideError("a substitution needs a reason", hint="say why the company sends another person")

        def work(uow: AbstractUnitOfWork, at: dt.datetime) -> ScreeningView:
            resumed = self._resumed(uow, source)
            if resumed is not None:
                return resumed
            badge = uow.badges.get(replaces)
            if badge is None:
                raise NotFoundError(f"no badge {replaces!r}", hint="check the serial of the handed-back badge")
            if badge.status is BadgeStatus.REVOKED:
                raise OverrideError(f"badge {replaces} is already revoked")
            if badge.credit_code != arrival.credit_code or badge.role is not arrival.role:
                raise OverrideError(f"badge {replaces} does not belong to this company and role",
                                    hint="only the company's own badge can be handed back for a substitute")
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
        if release not in OVERRIDE_RELEASES:
            raise InvalidInputError("release", f"{release!r} is not one of {', '.join(OVERRIDE_RELEASES)}",
                                    hint="hall_full, represents_other_bidder or refusal")
        if not isinstance(reason, str) or not reason.strip():
            raise OverrideError("a supervisor's override needs a reason", hint="say why the refusal is set aside")
        if not isinstance(supervisor, str) or not supervisor.strip():
            raise OverrideError("a supervisor's override must name the supervisor", hint="e.g. --supervisor 李强")
        if (release == "refusal") != (reverses is not None):
            raise OverrideError("name the refused screening to reverse (and only for release=refusal)",
                                hint="give the screening id shown with the refusal")

        def work(uow: AbstractUnitOfWork, at: dt.datetime) -> ScreeningView:
            resumed = self._resumed(uow, source)
            if resumed is not None:
                return resumed
            if reverses is not None:
                refused = uow.screenings.get(reverses)
                if refused is None or refused.outcome is not Outcome.REFUSED:
                    raise OverrideError(f"screening {reverses!r} is not a refusal", hint="check the screening id")
                if refused.person_key != person_key(arrival.document, self.gate.secret):
                    raise OverrideError(f"screening {reverses} is about another person",
                                        hint="a reversal re-screens the same person")
            override = {"kind": "supervisor", "release": release, "skip": [release], "reason": reason.strip(),
                        "supervisor": supervisor.strip(), **({"reverses": reverses} if reverses else {})}
            uow.events.append(events.OverrideApplied(
                at=at, kind=f"supervisor:{release}", reason=reason.strip(), operator=supervisor.strip(),
                desk=self.actor.desk, subject=reverses or arrival.session))
            return self._open(uow, arrival, at, override, source=source)

        return self._run(work)
