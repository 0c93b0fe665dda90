"""Pre-bid reminders through the agencies: who to call, the call log, the notices' outbox."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from email.utils import make_msgid
from typing import TYPE_CHECKING

from tenderguard.domain.model import (
    BidSession,
    SessionStatus,
    a_day,
)
from tenderguard.domain.outbox import MAX_ATTEMPTS, OutboxItem, OutboxStatus, retry_delay
from tenderguard.domain.reminders import AgencyDay, ReminderCall, agency_days, due
from tenderguard.errors import InvalidInputError, NotFoundError, OverrideError
from tenderguard.i18n import _
from tenderguard.records.audit import AuditDraft

if TYPE_CHECKING:
    pass

from tenderguard.services.base import GateParts

__all__ = ["ReminderUseCases"]


class ReminderUseCases(GateParts):
    """Pre-bid reminders through the agencies: who to call, the call log, the notices' outbox."""

    def reminder_groups(self, days: int, *, start: dt.date | None = None) -> list[AgencyDay]:
        """Each agency's sessions per day from ``start`` (today) for ``days`` days, with the calls made so far."""
        start = None if start is None else a_day(start, field="start")
        if not isinstance(days, int) or not 1 <= days <= 60:
            raise InvalidInputError("days", _("{days!r} is not 1..60", days=days), hint=_("e.g. --days 3"))
        first = start or self.centre.day_of(self.clock.now())
        wanted = {first + dt.timedelta(days=n) for n in range(days)}
        with self.uow_factory() as uow:
            upcoming = [s for s in uow.sessions.all()
                        if s.day(self.centre) in wanted and s.status is not SessionStatus.CANCELLED]
            agencies = {a.code: a for a in uow.agencies.all()}
            calls = uow.calls.for_agencies({s.agency for s in upcoming if s.agency})
        return agency_days(upcoming, agencies, calls, self.centre)

    def measured_throughput(self, day: dt.date) -> float | None:
        """People screened per minute per desk on a past day, from its records (None: too few to tell).

        Each desk's busy time runs from its first to its last step of the day; finished screenings are counted
        at the desk that opened them.
        """
        day = a_day(day, field="day")
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
        """The sessions opening on a day, by opening time (not the cancelled ones)."""
        day = a_day(day, field="day")
        with self.uow_factory() as uow:
            return [s for s in uow.sessions.all(day) if s.status is not SessionStatus.CANCELLED]

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
                raise NotFoundError(_("no agency {agency!r}", agency=agency), hint=_("register the agency first"))
            mine = [s for s in uow.sessions.all()
                    if s.agency == agency and s.opens_at >= now and s.status is not SessionStatus.CANCELLED]
            if sessions is None:
                if not mine:
                    raise InvalidInputError("sessions", _("agency {agency} has no upcoming session", agency=agency),
                                            hint=_("name the sessions the call was about"))
                first_day = mine[0].day(self.centre)
                codes = tuple(s.code for s in mine if s.day(self.centre) == first_day)
            else:
                codes = tuple(sessions)
                theirs = {s.code for s in uow.sessions.all() if s.agency == agency}
                foreign = [c for c in codes if c not in theirs]
                if foreign:
                    raise InvalidInputError("sessions", _("{items} is not a session of agency {agency}",
                                                          items=_(", ").join(foreign), agency=agency),
                                            hint=_("a call to an agency covers only that agency's sessions"))
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
                raise NotFoundError(_("agency {agency} has no session on {day} any more", agency=item.agency,
                                      day=item.day))
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

    def outbox(self) -> list[OutboxItem]:
        """Every queued notice and its status (``sending`` after a crash: check the mail log, then requeue)."""
        with self.uow_factory() as uow:
            return uow.outbox.items()

    def requeue_notice(self, key: str, *, operator: str) -> OutboxItem:
        """Send a failed or stuck notice again (audited): for a ``sending`` item, check it did not go first."""
        with self.uow_factory() as uow:
            item = uow.outbox.get(key)
            if item is None:
                raise NotFoundError(_("no queued notice {key!r}", key=key), hint=_("see `tenderguard remind outbox`"))
            if item.status is OutboxStatus.SENT:
                raise OverrideError(
                    _("notice {key} was sent at {sent_at}", key=key, sent_at=item.sent_at),
                    hint=_("it is not sent twice"),
                )
            if item.status is OutboxStatus.SUPERSEDED:
                raise OverrideError(f"通知 {key} 已作废：场次变更后已重新生成",
                                    hint="见 `tenderguard remind outbox` 中的新通知")
            item.status, item.next_attempt_at, item.attempts = OutboxStatus.PENDING, self.clock.now(), 0
            uow.outbox.save(item)
            uow.audit.record(AuditDraft(at=self.clock.now(), kind="notice_requeued", subject=item.agency,
                                        operator=operator, payload={"key": key}))
            uow.commit()
        return item
