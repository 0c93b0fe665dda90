"""The daily report checked against the audit trail: a recount of the day from the trail, and what differs."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Mapping

import attrs

from tenderguard.domain.model import BadgeStatus, Centre
from tenderguard.records.audit import AuditEntry, sealed_entries
from tenderguard.records.retention import HEALTH_REASONS, PURGED_REASON
from tenderguard.reports.daily import _head, _hour_of
from tenderguard.reports.figures import (
    DailyReport,
    _sorted_counts,
)
from tenderguard.store.unit_of_work import AbstractUnitOfWork, AuditRepository

__all__ = [
    "reconcile",
]


_AUDIT_PAGE = 5_000


@attrs.define
class _Recount:
    """What the audit trail says about one day."""

    #: Screening id -> (desk, instant) of its first entry (``opens``: the arrival), for screenings of the day.
    opened: dict[str, tuple[str | None, dt.datetime]] = attrs.field(factory=dict)
    #: Screening id -> (outcome action, whether its reason was withheld as health data), the last one seen.
    outcomes: dict[str, tuple[str, bool]] = attrs.field(factory=dict)
    reentries: set[str] = attrs.field(factory=set)
    substitutions: set[str] = attrs.field(factory=set)
    supplies: list[tuple[str, str]] = attrs.field(factory=list)  # (screening id, supply)
    issued: set[str] = attrs.field(factory=set)
    revoked: list[str] = attrs.field(factory=list)
    reprinted: list[str] = attrs.field(factory=list)

    def take(self, e: AuditEntry, day: dt.date, centre: Centre) -> None:
        """Count one entry of the trail."""
        p = e.payload
        subject = e.subject or ""
        if e.kind in ("step", "outcome", "override"):
            if (p.get("opens") or p.get("seq") == 1) and centre.day_of(e.at) == day:
                self.opened[subject] = (e.desk, e.at)
            action = str(p.get("action") or p.get("step") or "")
            sensitive = bool(p.get("health_data"))
            if e.kind == "outcome":
                self.outcomes[subject] = (action, sensitive)
            elif action == "re_enter":
                self.reentries.add(subject)
            elif action == "override:substitution":
                self.substitutions.add(subject)
            detail = p.get("detail")
            if isinstance(detail, Mapping) and isinstance(detail.get("supply"), str):
                self.supplies.append((subject, detail["supply"]))
        elif e.kind == "badge_issued" and p.get("day") == day.isoformat():
            self.issued.add(subject)
        elif e.kind == "badge_revoked":
            self.revoked.append(subject)
        elif e.kind == "badge_reprinted":
            self.reprinted.append(subject)


#: How long after a day its screenings' and badges' entries are looked for: a screening still open at midnight
#: ends the next day at the latest (a desk's day ends; a badge is reprinted only on its day).
_TRAIL_DAYS = 2


def _trail(audit: AuditRepository, day: dt.date, centre: Centre) -> Iterator[AuditEntry]:
    """The sealed entries from ``day``'s midnight (the centre's) to :data:`_TRAIL_DAYS` days later, page by page.

    Nothing about a day's screenings and badges is recorded before its midnight: a screening's first entry opens
    it on the day and the others follow it, a badge of the day is issued on the day. So the recount of a day reads
    that day and the next, whatever the years of trail before or after it; a revocation made later is looked up
    by its badge (:func:`reconcile`).
    """
    since = dt.datetime.combine(day, dt.time(), tzinfo=centre.tz)
    return sealed_entries(audit, page=_AUDIT_PAGE, since=since, until=since + dt.timedelta(days=_TRAIL_DAYS))


def _reason_group(reason: str) -> str:
    """A reason as the trail can tell it apart: every health reason (and ``health``, after a purge) is one."""
    return PURGED_REASON if reason in HEALTH_REASONS or reason == PURGED_REASON else reason


def reconcile(report: DailyReport, uow: AbstractUnitOfWork) -> list[str]:
    """The figures on which ``report`` and a recount from the audit trail disagree; [] when they agree.

    Seals the trail's pending entries first (in ``uow``'s transaction: commit it to keep the seal), then reads
    the trail of the day and the next (so the cost grows with the day, not with the history after it).
    Recounted: arrivals (in total, per desk and per hour), admitted, refused, referred, abandoned, still open,
    re-entries, substitutions, masks and other supplies, badges issued, revoked and reprinted. A health refusal
    is audited without its reason, so per reason the trail gives a lower bound (health reasons taken together);
    fevers, re-measures, measuring errors and declarations are health data the trail never holds, and are not
    recounted. Verify the chain itself with ``Gate.verify_audit``.
    """
    while uow.audit.seal():
        pass
    day, centre = report.day, report.centre
    recount = _Recount()
    for entry in _trail(uow.audit, day, centre):
        recount.take(entry, day, centre)
    for badge in uow.badges.for_day(day):  # revoked after the window the trail is read over
        if badge.status is BadgeStatus.REVOKED and badge.serial not in recount.revoked \
                and uow.audit.about(badge.serial, "badge_revoked"):
            recount.revoked.append(badge.serial)
    ours = set(recount.opened)
    outcomes = [recount.outcomes[s] for s in ours if s in recount.outcomes]
    heads = Counter(_head(action) for action, _ in outcomes)
    refused = [action.partition(":")[2] for action, sensitive in outcomes
               if _head(action) == "refuse" and not sensitive]
    supplies = Counter(supply for subject, supply in recount.supplies if subject in ours)
    t = report.totals
    mismatches: list[str] = []

    def compare(what: str, reported: object, audited: object) -> None:
        if reported != audited:
            mismatches.append(f"{what}: the report says {reported}, the audit trail {audited}")

    compare("arrivals", t.arrivals, len(ours))
    compare("admitted", t.admitted, heads["admit"])
    compare("refused", t.refused, heads["refuse"])
    compare("referred", t.referred, heads["refer"])
    compare("abandoned", t.abandoned, heads["abandon"])
    compare("still open", t.still_open, len(ours) - len(outcomes))
    reported_reasons = Counter[str]()
    for reason, count in t.refused_by_reason.items():
        reported_reasons[_reason_group(reason)] += count
    for group, count in sorted(Counter(_reason_group(r) for r in refused).items()):
        if reported_reasons[group] < count:
            mismatches.append(f"refused for {group}: the report says {reported_reasons[group]}, the audit trail "
                              f"at least {count}")
    compare("re-entries", t.reentries, len(recount.reentries & ours))
    compare("substitutions", t.substitutions, len(recount.substitutions & ours))
    compare("masks handed out", t.masks_handed_out, supplies.pop("mask", 0))
    compare("other supplies", dict(t.other_supplies), _sorted_counts(supplies))
    compare("badges issued", t.badges_issued, len(recount.issued))
    compare("badges revoked", t.badges_revoked, sum(1 for s in recount.revoked if s in recount.issued))
    compare("badges reprinted", t.badges_reprinted, sum(1 for s in recount.reprinted if s in recount.issued))
    desks = Counter(desk for desk, _at in recount.opened.values())
    for d in report.desks:
        compare(f"arrivals at desk {d.desk}", d.screenings, desks.pop(d.desk, 0))
    for desk, count in sorted(desks.items(), key=lambda item: str(item[0])):
        compare(f"arrivals at desk {desk}", 0, count)
    hours = Counter(_hour_of(at, centre) for _desk, at in recount.opened.values())
    for h in report.hourly:
        compare(f"arrivals {h.label}–{h.hour.hour + 1:02d}:00", h.arrivals, hours.pop(h.hour, 0))
    for hour, count in sorted(hours.items()):
        compare(f"arrivals {hour:%H:00}–{hour.hour + 1:02d}:00", 0, count)
    return mismatches
