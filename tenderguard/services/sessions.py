"""Bid sessions after they are registered: list, look up, edit, postpone (延期开标) and cancel.

A change is one transaction: the session's new details or status, the badges it revokes, the agency notices it
supersedes and replaces, and its audit entry (who, when, what) commit together or not at all. A postponement to
another day revokes the badges issued for the session on the old day and makes the agency due a new reminder
call; a cancellation revokes the session's badges and takes it off the reminder plan. A session that has opened
or was cancelled is not changed (see :func:`~tenderguard.domain.session_status.check_changeable`).

A change holds the session's row alone from its first statement (``SessionRepository.hold``), and a desk reads it
under a shared lock on arrival and again on admission: an admission either commits before the change, which then
sees and revokes its badge, or waits for it and is refused (``session_closed``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from email.utils import make_msgid
from typing import Any

import attrs

from tenderguard.domain.model import (
    AdmissionStatus,
    Agency,
    BadgeStatus,
    BidSession,
    Outcome,
    Reason,
    SessionStatus,
    a_day,
    aware,
)
from tenderguard.domain.outbox import OutboxItem, OutboxStatus
from tenderguard.domain.screening import Actor
from tenderguard.domain.session_status import check_changeable, opening_text
from tenderguard.errors import InvalidInputError, NotFoundError, RenderError, SessionStatusError
from tenderguard.identity import clean_text
from tenderguard.policy import Policy
from tenderguard.records.audit import AuditDraft
from tenderguard.services.badges import revoke_in
from tenderguard.services.base import GateParts
from tenderguard.store.unit_of_work import AbstractUnitOfWork

__all__ = [
    "SESSION_KINDS",
    "SessionChange",
    "SessionCounts",
    "SessionOutcome",
    "SessionRecord",
    "SessionUseCases",
    "check_hall",
    "same_registration",
]

#: The audit entry kinds of a session's changes (its history).
SESSION_EDITED, SESSION_POSTPONED, SESSION_CANCELLED = "session_edited", "session_postponed", "session_cancelled"
SESSION_KINDS = (SESSION_EDITED, SESSION_POSTPONED, SESSION_CANCELLED)


def check_hall(policy: Policy, hall: str) -> None:
    """A session's hall is one the policy lists (when it lists any) and prints on a badge."""
    from tenderguard.render.printable import HALL_MAX, printable  # noqa: PLC0415 - reads the font on first use

    known = policy.hall_capacity
    if known and hall not in known:
        raise InvalidInputError("session.hall", f"开标室“{hall}”不在本中心政策的开标室名单中"
                                f"({'、'.join(known)})", hint="use one of the policy's halls, or add it to "
                                "the policy's [halls] table")
    try:
        printed = printable(hall, field="session.hall").text
    except RenderError as exc:
        raise InvalidInputError("session.hall", f"开标室名称无法印在健康标识上：{exc.message}",
                                hint="name the hall in Chinese or Latin letters") from None
    if len(printed) > HALL_MAX:
        raise InvalidInputError("session.hall", f"开标室名称 {len(printed)} 个字符，健康标识上最多印 {HALL_MAX} 个",
                                hint="use the hall's short name")


def same_registration(known: BidSession, session: BidSession) -> bool:
    """Whether importing ``session`` again leaves the registered ``known`` as it is.

    The same details, or — for a session postponed or cancelled since — the details it was registered with:
    importing the day's original file again neither fails nor undoes the change.
    """
    if known == session:
        return True
    if known.status is SessionStatus.SCHEDULED or session.status is not SessionStatus.SCHEDULED:
        return False
    details = ("code", "project_name", "hall", "agency")
    return (all(getattr(known, name) == getattr(session, name) for name in details)
            and session.opens_at in (known.opens_at, known.postponed_from))


@attrs.frozen
class SessionCounts:
    """How many people were screened, admitted and refused for a session, and its badges: numbers only."""

    screenings: int
    admitted: int
    refused: int
    badges: int
    revoked: int


@attrs.frozen
class SessionChange:
    """One change in a session's history: when, by whom, what (``edited``, ``postponed``, ``cancelled``)."""

    at: dt.datetime
    kind: str
    operator: str | None
    details: Mapping[str, Any]


@attrs.frozen
class SessionRecord:
    """Everything about one session: its details and status, its agency, its counts and its history."""

    session: BidSession
    agency: Agency | None
    counts: SessionCounts
    history: tuple[SessionChange, ...]


@attrs.frozen
class SessionOutcome:
    """What a change did: the session now, the badges it revoked, the screenings it ended, the notices it changed."""

    session: BidSession
    revoked: tuple[str, ...] = ()
    #: Screenings still open for the session on the day it left (refused, reason ``session_closed``).
    ended: tuple[str, ...] = ()
    superseded: tuple[str, ...] = ()
    queued: tuple[str, ...] = ()


def _reason(reason: str | None) -> str | None:
    if reason is None or not str(reason).strip():
        return None
    return clean_text(reason, field="reason", max_length=200)


def _operator(operator: str) -> str:
    if not isinstance(operator, str) or not operator.strip():
        raise InvalidInputError("operator", "操作人不能为空",
                                hint="写明是谁做的修改（记入审计日志），如 --operator 王芳")
    return clean_text(operator, field="operator", max_length=50)


class SessionUseCases(GateParts):
    """Bid sessions after they are registered: list, look up, edit, postpone and cancel (each change audited)."""

    def sessions_between(self, first: dt.date, last: dt.date) -> list[BidSession]:
        """The sessions opening from ``first`` to ``last`` (both included), by opening time."""
        first, last = a_day(first, field="from"), a_day(last, field="to")
        if last < first:
            raise InvalidInputError("to", f"结束日期 {last} 早于开始日期 {first}", hint="--to 应不早于 --from")
        with self.uow_factory() as uow:
            return [s for s in uow.sessions.all() if first <= s.day(self.centre) <= last]

    def sessions_moved_from(self, first: dt.date, last: dt.date) -> list[tuple[dt.datetime, BidSession]]:
        """The sessions postponed from ``first``–``last`` to a later day: each with its opening there, by it."""
        first, last = a_day(first, field="from"), a_day(last, field="to")
        day_of, found = self.centre.day_of, list[tuple[dt.datetime, BidSession]]()
        with self.uow_factory() as uow:
            for s in uow.sessions.all():
                # Openings only move later: none was in the period if the last one before is earlier.
                if s.postponed_from is None or s.day(self.centre) <= last or day_of(s.postponed_from) < first:
                    continue
                earlier = [s.postponed_from] if day_of(s.postponed_from) <= last else [
                    dt.datetime.fromisoformat(str(e.payload["from"]))
                    for e in uow.audit.about(s.code, SESSION_POSTPONED) if "from" in e.payload]
                was = next((o for o in earlier if first <= day_of(o) <= last), None)
                if was is not None:
                    found.append((was.astimezone(self.centre.tz), s))
        return sorted(found, key=lambda pair: (pair[0], pair[1].code))

    def session_record(self, code: str) -> SessionRecord:
        """A session with its agency, its counts (screenings, admitted, refused, badges) and its history of changes."""
        with self.uow_factory() as uow:
            session = self._registered(uow, code)
            entries = [e for e in uow.audit.about(code) if e.kind in SESSION_KINDS]
            days = {session.day(self.centre)} | {
                self.centre.day_of(dt.datetime.fromisoformat(str(e.payload["from"])))
                for e in entries if e.kind == SESSION_POSTPONED and "from" in e.payload}
            screenings = [s for day in sorted(days) for s in uow.screenings.for_day(day) if s.visitor.session == code]
            badges = [b for day in sorted(days) for b in uow.badges.for_day(day) if b.session == code]
            agency = uow.agencies.get(session.agency) if session.agency else None
        counts = SessionCounts(
            screenings=len(screenings), admitted=sum(1 for s in screenings if s.outcome is Outcome.ADMITTED),
            refused=sum(1 for s in screenings if s.outcome is Outcome.REFUSED), badges=len(badges),
            revoked=sum(1 for b in badges if b.status is BadgeStatus.REVOKED))
        history = tuple(SessionChange(at=e.at.astimezone(self.centre.tz), kind=e.kind.removeprefix("session_"),
                                      operator=e.operator, details=e.payload) for e in entries)
        return SessionRecord(session=session, agency=agency, counts=counts, history=history)

    def _registered(self, uow: AbstractUnitOfWork, code: str, *, change: bool = False) -> BidSession:
        """The session; for a ``change``, locked first: desks admitting for it finish before, or wait."""
        found = uow.sessions.hold(code, change=True) if change else uow.sessions.get(code)
        if found is None:
            raise NotFoundError(f"没有编号为 {code} 的场次", hint="用 `tenderguard session list` 查看已登记的场次编号")
        return found

    # -- changes

    def edit_session(self, code: str, *, operator: str, project_name: str | None = None, hall: str | None = None,
                     agency: str | None = None) -> SessionOutcome:
        """Change a session's project name, hall or agency before it opens (audited, kind ``session_edited``).

        The hall must be one the policy lists and fit a badge; it is not changed once anyone was admitted to the
        session or is being screened for it (their badges and places name the hall). The agency must be
        registered. The agencies' notices of the session's day are superseded and queued anew.
        """
        who = _operator(operator)
        if project_name is None and hall is None and agency is None:
            raise InvalidInputError("session", "没有给出要修改的内容", hint="给出 --project、--hall 或 --agency")
        now = self.clock.now()
        with self.uow_factory() as uow:
            uow.actor = Actor(desk="office", operator=who)
            before = self._registered(uow, code, change=True)
            check_changeable(before, now, "修改", self.centre)
            after = attrs.evolve(before, project_name=before.project_name if project_name is None else project_name,
                                 hall=before.hall if hall is None else hall,
                                 agency=before.agency if agency is None else agency)
            changes = {name: [getattr(before, name), getattr(after, name)]
                       for name in ("project_name", "hall", "agency") if getattr(before, name) != getattr(after, name)}
            if not changes:
                raise InvalidInputError("session", f"场次 {code} 的内容与给出的相同，没有修改", hint="给出不同的新内容")
            if "hall" in changes:
                check_hall(self.policy, after.hall)
                self._check_hall_free(uow, before)
            if after.agency is not None and uow.agencies.get(after.agency) is None:
                raise NotFoundError(f"代理机构 {after.agency} 未登记", hint="先导入或登记该代理机构")
            uow.sessions.save(after)
            day = after.day(self.centre)
            superseded, queued = self._renew_notices(uow, {(before.agency, day), (after.agency, day)}, now)
            uow.audit.record(AuditDraft(at=now, kind=SESSION_EDITED, subject=code, desk="office", operator=who,
                                        payload={"changes": changes, "notices_superseded": list(superseded)}))
            uow.commit()
        return SessionOutcome(session=after, superseded=superseded, queued=queued)

    def _check_hall_free(self, uow: AbstractUnitOfWork, session: BidSession) -> None:
        """Refuse a hall change while people hold a place in the session or are being screened for it."""
        day = session.day(self.centre)
        admitted = [a for a in uow.attendance.for_day(day)
                    if a.session == session.code and a.status is AdmissionStatus.ACTIVE]
        screening = [s for s in uow.screenings.open() if s.visitor.session == session.code]
        if admitted or screening:
            raise SessionStatusError(
                f"场次 {session.code} 已有 {len(admitted)} 人入场、{len(screening)} 人正在办理入场，他们的健康标识和"
                f"入场记录上是开标室“{session.hall}”，不能再改开标室",
                hint="请现场引导到新开标室，或将已发的健康标识撤销后再修改")

    def postpone_session(self, code: str, to: dt.datetime, *, operator: str,
                         reason: str | None = None) -> SessionOutcome:
        """Postpone a session (延期开标) to ``to``, later than its opening and in the future (audited).

        The session opens at ``to`` (status ``postponed``; the old opening kept in ``postponed_from`` and the
        history). Moved to another day, its badges of the old day are revoked and nobody is screened for it on
        the old day. Its agency's notices of both days are superseded and queued anew, and a reminder call made
        before the postponement no longer counts: the agency is due again.
        """
        who, why = _operator(operator), _reason(reason)
        to = aware(to, field="to").astimezone(self.centre.tz)
        now = self.clock.now()
        with self.uow_factory() as uow:
            uow.actor = Actor(desk="office", operator=who)
            before = self._registered(uow, code, change=True)
            check_changeable(before, now, "延期", self.centre)
            if to <= now:
                raise InvalidInputError("to", f"新的开标时间 {opening_text(to, self.centre)} 已经过去",
                                        hint="给出将来的时间，如 --to \"2026-12-11 09:30\"")
            if to <= before.opens_at:
                raise InvalidInputError("to", f"新的开标时间 {opening_text(to, self.centre)} 不晚于原定的 "
                                        f"{opening_text(before.opens_at, self.centre)}",
                                        hint="延期须晚于原开标时间；提前开标请取消后以新场次登记")
            after = attrs.evolve(before, opens_at=to, status=SessionStatus.POSTPONED, postponed_from=before.opens_at,
                                 status_changed_at=now, status_reason=why)
            uow.sessions.save(after)
            old_day, new_day = before.day(self.centre), after.day(self.centre)
            revoked: tuple[str, ...] = ()
            ended: tuple[str, ...] = ()
            if new_day != old_day:
                told = f"场次 {code} 延期至 {opening_text(to, self.centre)}" + (f"：{why}" if why else "")
                revoked = self._revoke_session_badges(uow, code, old_day, told, now)
                ended = self._end_open_screenings(uow, code, old_day, now, SessionStatus.POSTPONED)
            superseded, queued = self._renew_notices(uow, {(before.agency, old_day), (after.agency, new_day)}, now,
                                                     moved_to=(after.agency, new_day))
            uow.audit.record(AuditDraft(at=now, kind=SESSION_POSTPONED, subject=code, desk="office", operator=who,
                                        payload={"from": before.opens_at.isoformat(), "to": to.isoformat(),
                                                 "reason": why, "badges_revoked": list(revoked),
                                                 "screenings_ended": len(ended),
                                                 "notices_superseded": list(superseded)}))
            uow.commit()
        self.bus.publish(uow.collect_new_events())
        return SessionOutcome(session=after, revoked=revoked, ended=ended, superseded=superseded, queued=queued)

    def cancel_session(self, code: str, *, operator: str, reason: str | None = None) -> SessionOutcome:
        """Cancel a session that has not opened (audited): no screening for it, its badges revoked.

        Its agency's notices of the day are superseded (queued anew when the agency has other sessions that day)
        and it leaves the reminder plan.
        """
        who, why = _operator(operator), _reason(reason)
        now = self.clock.now()
        with self.uow_factory() as uow:
            uow.actor = Actor(desk="office", operator=who)
            before = self._registered(uow, code, change=True)
            check_changeable(before, now, "取消", self.centre)
            after = attrs.evolve(before, status=SessionStatus.CANCELLED, status_changed_at=now, status_reason=why)
            uow.sessions.save(after)
            day = before.day(self.centre)
            revoked = self._revoke_session_badges(uow, code, day, f"场次 {code} 已取消" + (f"：{why}" if why else ""),
                                                  now)
            ended = self._end_open_screenings(uow, code, day, now, SessionStatus.CANCELLED)
            superseded, queued = self._renew_notices(uow, {(before.agency, day)}, now)
            uow.audit.record(AuditDraft(at=now, kind=SESSION_CANCELLED, subject=code, desk="office", operator=who,
                                        payload={"opens_at": before.opens_at.isoformat(), "reason": why,
                                                 "badges_revoked": list(revoked), "screenings_ended": len(ended),
                                                 "notices_superseded": list(superseded)}))
            uow.commit()
        self.bus.publish(uow.collect_new_events())
        return SessionOutcome(session=after, revoked=revoked, ended=ended, superseded=superseded, queued=queued)

    # -- what a change takes with it

    def _revoke_session_badges(self, uow: AbstractUnitOfWork, code: str, day: dt.date, reason: str,
                               at: dt.datetime) -> tuple[str, ...]:
        """Revoke the session's valid badges of ``day`` (each audited); their serials."""
        revoked = []
        for badge in uow.badges.for_day(day):
            if badge.session == code and badge.status is not BadgeStatus.REVOKED:
                revoke_in(uow, badge, reason, at)
                uow.badges.save(badge)
                revoked.append(badge.serial)
        return tuple(revoked)

    def _end_open_screenings(self, uow: AbstractUnitOfWork, code: str, day: dt.date, at: dt.datetime,
                             status: SessionStatus) -> tuple[str, ...]:
        """Refuse the session's screenings still open on ``day`` (reason ``session_closed``): nobody is admitted."""
        assert uow.actor is not None  # noqa: S101 - every change names its operator first
        ended = []
        for screening in uow.screenings.open():
            if screening.visitor.session != code or self.centre.day_of(screening.opened_at) != day:
                continue
            screening.bind(self.machine)
            try:
                screening.refuse(uow.actor, at, Reason.SESSION_CLOSED, {"session_status": str(status)})
            finally:
                screening.unbind()
            ended.append(screening.id)
        return tuple(ended)

    def _renew_notices(self, uow: AbstractUnitOfWork, agency_days: Iterable[tuple[str | None, dt.date]],
                       at: dt.datetime, *, moved_to: tuple[str | None, dt.date] | None = None,
                       ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Supersede the queued or sent notices of these agency-days and queue new ones with the sessions as now.

        A new notice is queued for each agency-day whose notice was superseded and that still has sessions, and
        for ``moved_to`` (the day a postponed session moved to) when a notice of it was superseded. An agency-day
        that never had a notice is left to ``remind send``. Returns the keys superseded and the keys queued.
        """
        items, gone = uow.outbox.items(), OutboxStatus.SUPERSEDED
        superseded: list[str] = []
        renew: set[tuple[str, dt.date]] = set()
        for code, day in sorted((c, d) for c, d in set(agency_days) if c is not None):
            current = [i for i in items if i.agency == code and i.day == day and i.status is not gone]
            for item in current:
                item.status = gone
                uow.outbox.save(item)
                superseded.append(item.key)
            if current:
                renew.add((code, day))
        if superseded and moved_to is not None and moved_to[0] is not None:
            renew.add((moved_to[0], moved_to[1]))
        live = [s for s in uow.sessions.all() if s.status is not SessionStatus.CANCELLED]
        queued: list[str] = []
        for code, day in sorted(renew):
            agency = uow.agencies.get(code)
            theirs = [i for i in items if i.agency == code and i.day == day]
            if agency is None or agency.email is None or not any(
                    s.agency == code and s.day(self.centre) == day for s in live) or any(
                    i.status is not gone for i in theirs):
                continue
            number = len(theirs) + 1  # the first notice of a day has the key `remind send` would give it
            key = f"notice:{code}:{day.isoformat()}" + (f":{number}" if number > 1 else "")
            item = OutboxItem(key=key, kind="agency_notice", agency=code, day=day, recipient=agency.email,
                              created_at=at, next_attempt_at=at,
                              message_id=make_msgid(idstring=f"{code}.{day:%Y%m%d}.{number}",
                                                    domain="tenderguard.invalid"))
            if uow.outbox.add(item):
                queued.append(key)
        return tuple(superseded), tuple(queued)
