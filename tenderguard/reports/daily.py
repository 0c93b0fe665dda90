"""The daily report (日报) of a bid-opening day, computed from the stored records only, and its audit recount.

:func:`daily_report` reads one day's screenings, badges and sessions through a unit of work and counts, per
session and for the whole day: arrivals, how the screenings ended (admitted, refused by reason, referred,
abandoned, still open), re-entries and substitutions, the health figures (fevers, re-measures, measuring
errors, declarations filled in at the desk), the supplies handed out and the badges issued, revoked and
reprinted; per desk its load, throughput and peak queue; and the arrivals hour by hour in the centre's time
zone. The report holds counts only: no name, no ID, no phone, no company — the only text it carries is the
centre's, the policy's, and the sessions' codes, project names and halls.

The report is written as an A4 PDF in Chinese (:func:`write_report_pdf`, through the project's one Jinja
environment, URL fetcher, font check and render lock, with an hour-by-hour bar chart drawn in CSS), as CSV
(:func:`write_report_csv`, one figure per row) and as XLSX (:func:`write_report_xlsx`, four sheets).

:func:`reconcile` recounts what the tamper-evident audit trail can tell about the day and lists every figure on
which the report and the trail disagree. The trail never holds health data, so fevers, re-measures, measuring
errors and declarations cannot be recounted, and a refusal for a health reason is audited without its reason.

Health figures are only as complete as the stored health data: once the retention purge has scrubbed a day
(``DailyReport.health_purged`` screenings), its readings are gone and a health reason reads ``health``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from tenderguard.domain.model import Badge, BadgeStatus, BidSession, Centre, Outcome
from tenderguard.domain.screening import Screening
from tenderguard.domain.signals import Signal
from tenderguard.policy import Policy
from tenderguard.reports.figures import (
    DailyReport,
    DeskFigures,
    Figures,
    HourlyArrivals,
    SessionFigures,
)
from tenderguard.store.unit_of_work import AbstractUnitOfWork

__all__ = [
    "daily_report",
]


#: The step records that end a screening (their action's first part).
_OUTCOME_ACTIONS = frozenset({"admit", "refuse", "refer", "abandon"})


def _signal_counts(found: Iterable[Signal]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for signal in found:
        by_status = counts.setdefault(str(signal.kind), {})
        by_status[str(signal.status)] = by_status.get(str(signal.status), 0) + 1
    return {kind: dict(sorted(by_status.items())) for kind, by_status in sorted(counts.items())}


def _head(action: str) -> str:
    return action.split(":", maxsplit=1)[0]


def _remeasures(s: Screening) -> int:
    """Fever readings of a screening that another reading followed (the person rested and was measured again)."""
    readings = [r for r in s.records if "celsius" in r.detail]
    return sum(1 for r in readings[:-1] if r.action.endswith(":fever"))


def _closed_at(s: Screening) -> dt.datetime | None:
    """When a screening ended (its outcome record; after a purge of that record, its last remaining step)."""
    if not s.closed:
        return None
    ends = [r.at for r in s.records if _head(r.action) in _OUTCOME_ACTIONS]
    return ends[-1] if ends else max((r.at for r in s.records), default=s.opened_at)


def _figures(screenings: Sequence[Screening], badges: Sequence[Badge]) -> Figures:
    """The figures of some screenings and badges."""
    outcomes = Counter(s.outcome for s in screenings)
    supplies: Counter[str] = Counter()
    for s in screenings:
        supplies.update(s.supplies)
    masks = supplies.pop("mask", 0)
    return Figures(
        arrivals=len(screenings),
        admitted=outcomes[Outcome.ADMITTED],
        refused=outcomes[Outcome.REFUSED],
        referred=outcomes[Outcome.REFERRED],
        abandoned=outcomes[Outcome.ABANDONED],
        still_open=outcomes[None],
        reentries=sum(1 for s in screenings if s.reentry),
        substitutions=sum(1 for s in screenings if any(r.action == "override:substitution" for r in s.records)),
        fevers=sum(1 for s in screenings if s.fevers > 0),
        remeasures=sum(_remeasures(s) for s in screenings),
        measuring_errors=sum(s.measuring_errors for s in screenings),
        declarations_filled_in=sum(1 for s in screenings for r in s.records
                                   if r.action.endswith(":filled_in_at_desk")),
        masks_handed_out=masks,
        badges_issued=len(badges),
        badges_revoked=sum(1 for b in badges if b.status is BadgeStatus.REVOKED),
        badges_reprinted=sum(b.reprints for b in badges),
        refused_by_reason=Counter(str(s.reason or "refused") for s in screenings if s.outcome is Outcome.REFUSED),
        other_supplies=supplies,
    )


def _peak(intervals: Iterable[tuple[dt.datetime, dt.datetime]]) -> int:
    """The most intervals ``[start, end)`` covering one instant; an empty one (start == end) covers its instant."""
    marks: list[tuple[dt.datetime, int, int]] = []
    for start, end in intervals:
        marks.append((start, 1, 1))
        # At one instant: intervals ending then go first, then those starting, then the empty ones end.
        marks.append((end, 0 if end > start else 2, -1))
    level = peak = 0
    for _at, _order, change in sorted(marks):
        level += change
        peak = max(peak, level)
    return peak


def _desks(screenings: Sequence[Screening]) -> tuple[DeskFigures, ...]:
    """Each desk's figures (every desk that opened a screening or made a step that day), by name."""
    opened: dict[str, list[Screening]] = defaultdict(list)
    steps: dict[str, list[dt.datetime]] = defaultdict(list)
    for s in screenings:
        opened[s.opened_by.desk].append(s)
        for r in s.records:
            steps[r.desk].append(r.at)
    found = []
    for desk in sorted(opened.keys() | steps.keys()):
        times = steps.get(desk, [])
        first, last = (min(times), max(times)) if times else (None, None)
        mine = opened.get(desk, [])
        finished = [s for s in mine if s.closed]
        intervals = []
        for s in mine:  # a screening still open is in progress until the desk's last step
            end = _closed_at(s) or last or s.opened_at
            intervals.append((s.opened_at, max(end, s.opened_at)))
        busy = (last - first).total_seconds() / 60 if first is not None and last is not None else 0.0
        found.append(DeskFigures(
            desk=desk, screenings=len(mine), finished=len(finished), first_step=first, last_step=last,
            throughput=len(finished) / busy if busy * 60 >= 1 else None, peak_queue=_peak(intervals),
        ))
    return tuple(found)


def _hour_of(at: dt.datetime, centre: Centre) -> dt.datetime:
    return at.astimezone(centre.tz).replace(minute=0, second=0, microsecond=0)


def _hourly(screenings: Sequence[Screening], centre: Centre) -> tuple[HourlyArrivals, ...]:
    """Arrivals per clock hour, from the first arrival's hour to the last's (empty hours included)."""
    counts = Counter(_hour_of(s.opened_at, centre) for s in screenings)
    if not counts:
        return ()
    hours = []
    hour, last = min(counts), max(counts)
    while hour <= last:
        hours.append(HourlyArrivals(hour=hour, arrivals=counts.get(hour, 0)))
        hour = _hour_of(hour.astimezone(dt.UTC) + dt.timedelta(hours=1), centre)
    return tuple(hours)


def daily_report(uow: AbstractUnitOfWork, *, day: dt.date, centre: Centre, policy: Policy) -> DailyReport:
    """The report of ``day`` at ``centre``, counted from the stored screenings, badges and sessions.

    Call it inside an open unit of work (``with gate.uow_factory() as uow:``); it only reads. Every session
    registered for the day has a row, with or without arrivals (and so does a session code that screenings
    name but that is not registered, without project or hall).
    """
    screenings = uow.screenings.for_day(day)
    badges = uow.badges.for_day(day)
    registered: list[BidSession] = uow.sessions.all(day)
    by_session: dict[str, list[Screening]] = defaultdict(list)
    for s in screenings:
        by_session[s.visitor.session].append(s)
    badges_of: dict[str, list[Badge]] = defaultdict(list)
    for b in badges:
        badges_of[b.session].append(b)
    known = {s.code for s in registered}
    sessions = [SessionFigures(code=s.code, project_name=s.project_name, hall=s.hall,
                               opens_at=s.opens_at.astimezone(centre.tz),
                               figures=_figures(by_session.get(s.code, []), badges_of.get(s.code, [])))
                for s in registered]
    for code in sorted((by_session.keys() | badges_of.keys()) - known):
        session = uow.sessions.get(code)
        sessions.append(SessionFigures(
            code=code, project_name=session.project_name if session else "", hall=session.hall if session else "",
            opens_at=session.opens_at.astimezone(centre.tz) if session else None,
            figures=_figures(by_session.get(code, []), badges_of.get(code, []))))
    steps = [r.at for s in screenings for r in s.records]
    return DailyReport(
        centre=centre, day=day, policy_name=policy.name, policy_title=policy.title,
        totals=_figures(screenings, badges), sessions=tuple(sessions), desks=_desks(screenings),
        hourly=_hourly(screenings, centre),
        as_of=max(steps).astimezone(centre.tz) if steps else None,
        health_purged=sum(1 for s in screenings if s.health_purged_at is not None),
        health_data_days=policy.retention.health_data_days,
        signals=_signal_counts(uow.signals.for_day(day)),
    )
