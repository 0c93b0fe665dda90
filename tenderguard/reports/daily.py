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

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from tenderguard.domain.model import Badge, BadgeStatus, BidSession, Centre, Outcome
from tenderguard.domain.screening import Screening
from tenderguard.domain.signals import SIGNAL_TEXT, Signal
from tenderguard.policy import Policy
from tenderguard.records.audit import AuditEntry, sealed_entries
from tenderguard.records.files import write_private
from tenderguard.records.retention import HEALTH_REASONS, PURGED_REASON
from tenderguard.render.environment import render_template
from tenderguard.render.text import check_text
from tenderguard.store.unit_of_work import AbstractUnitOfWork, AuditRepository

__all__ = [
    "FIGURES",
    "REASON_LABELS",
    "DailyReport",
    "DeskFigures",
    "Figures",
    "HourlyArrivals",
    "SessionFigures",
    "daily_report",
    "reconcile",
    "render_report_html",
    "write_report_csv",
    "write_report_pdf",
    "write_report_xlsx",
]

#: The plain figures of a group of screenings, in the order every output prints them: (field, Chinese label).
#: A refusal reason adds ``refused:<reason>`` and a supply other than masks ``supplies:<name>`` (see
#: :meth:`Figures.rows`).
FIGURES: tuple[tuple[str, str], ...] = (
    ("arrivals", "到达人次"),
    ("admitted", "准予进入"),
    ("refused", "拒绝进入"),
    ("referred", "转介专厅/代办"),
    ("abandoned", "中途离开"),
    ("still_open", "尚未完成"),
    ("reentries", "当日再次进入"),
    ("substitutions", "换人进入"),
    ("fevers", "发热人数"),
    ("remeasures", "复测次数"),
    ("measuring_errors", "无效测温读数"),
    ("declarations_filled_in", "现场补填调查表"),
    ("masks_handed_out", "发放口罩"),
    ("badges_issued", "发放健康标识"),
    ("badges_revoked", "作废健康标识"),
    ("badges_reprinted", "补打健康标识"),
)

#: Short Chinese labels of the reason codes, for tables (a code a policy's question adds prints as itself).
REASON_LABELS: Mapping[str, str] = {
    "fever": "体温异常",
    "symptoms": "有症状",
    "contact": "接触史",
    "key_area": "重点地区",
    "company_quota": "一公司一人",
    "role_quota": "人数限额",
    "hall_full": "开标室满员",
    "no_mask": "未戴口罩",
    "no_declaration": "未交调查表",
    "declaration_mismatch": "调查表不符",
    "health_code": "健康码异常",
    "test_expired": "核酸证明过期",
    "no_test": "无核酸证明",
    "test_positive": "核酸结果异常",
    "measuring_error": "测温无效",
    "badge_revoked": "标识已作废",
    "reentry_not_allowed": "不得再次进入",
    "identity_mismatch": "证件姓名不符",
    "represents_other_bidder": "代表两家投标人",
    "session_closed": "场次已结束",
    "abandoned": "中途离开",
    PURGED_REASON: "健康原因",
}
_SUPPLY_LABELS: Mapping[str, str] = {"mask": "口罩", "gloves": "手套", "sanitiser": "消毒液"}
_WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
#: The step records that end a screening (their action's first part).
_OUTCOME_ACTIONS = frozenset({"admit", "refuse", "refer", "abandon"})
#: Text the PDF prints from its stylesheet (page numbers), checked against the font with the page's text.
_STYLESHEET_TEXT = "第页共"
#: The height of the tallest bar of the hourly chart, in millimetres.
_CHART_MM = 42.0
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_AUDIT_PAGE = 5_000


def _sorted_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """Non-zero counts, the largest first, then by code: the order reports print them."""
    return dict(sorted(((k, v) for k, v in counts.items() if v), key=lambda item: (-item[1], item[0])))


def _reason_label(reason: str) -> str:
    """The short Chinese label of a reason code (the code itself when it has none)."""
    return REASON_LABELS.get(reason, reason)


#: What a signal's status is called in a report.
_SIGNAL_STATUS: Mapping[str, str] = {"open": "待决定", "dismissed": "已排除", "referred": "已移交"}


def _signal_label(kind: str) -> str:
    """The Chinese description of a signal kind (the code itself when it has none)."""
    return SIGNAL_TEXT.get(kind, kind)


def _signal_counts(found: Iterable[Signal]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for signal in found:
        by_status = counts.setdefault(str(signal.kind), {})
        by_status[str(signal.status)] = by_status.get(str(signal.status), 0) + 1
    return {kind: dict(sorted(by_status.items())) for kind, by_status in sorted(counts.items())}


def _supply_label(supply: str) -> str:
    """The Chinese name of a supply handed out at the desk (the code itself when it has none)."""
    return _SUPPLY_LABELS.get(supply, supply)


@attrs.frozen
class Figures:
    """The counts of a group of screenings (one session's, or the whole day's) and of their badges.

    ``arrivals`` counts screenings opened (a same-day re-entry is screened, and counted, again); ``fevers`` the
    screenings with at least one fever reading; ``remeasures`` the fever readings followed by another reading;
    ``measuring_errors`` the implausible readings; ``declarations_filled_in`` the health declarations filled in
    at the desk; ``substitutions`` the screenings opened for a company's substitute (its old badge handed back);
    ``badges_reprinted`` the reprints made (a badge printed three times counts two).
    """

    arrivals: int = 0
    admitted: int = 0
    refused: int = 0
    referred: int = 0
    abandoned: int = 0
    still_open: int = 0
    reentries: int = 0
    substitutions: int = 0
    fevers: int = 0
    remeasures: int = 0
    measuring_errors: int = 0
    declarations_filled_in: int = 0
    masks_handed_out: int = 0
    badges_issued: int = 0
    badges_revoked: int = 0
    badges_reprinted: int = 0
    #: Refusals per reason code, the most frequent first.
    refused_by_reason: Mapping[str, int] = attrs.field(factory=dict, converter=_sorted_counts)
    #: Supplies handed out other than masks, per supply.
    other_supplies: Mapping[str, int] = attrs.field(factory=dict, converter=_sorted_counts)

    def rows(self) -> list[tuple[str, str, int]]:
        """``(key, Chinese label, value)`` of every figure: :data:`FIGURES`, then each reason and other supply."""
        rows = [(key, label, int(getattr(self, key))) for key, label in FIGURES]
        rows += [(f"refused:{reason}", f"拒绝:{_reason_label(reason)}", count)
                 for reason, count in self.refused_by_reason.items()]
        rows += [(f"supplies:{name}", f"物资:{_supply_label(name)}", count)
                 for name, count in self.other_supplies.items()]
        return rows

    def value(self, key: str) -> int:
        """The figure named by a key of :meth:`rows` (0 for a reason or supply that did not occur)."""
        head, _, tail = key.partition(":")
        if head == "refused" and tail:
            return self.refused_by_reason.get(tail, 0)
        if head == "supplies" and tail:
            return self.other_supplies.get(tail, 0)
        if key not in dict(FIGURES):
            raise KeyError(key)
        return int(getattr(self, key))


@attrs.frozen
class SessionFigures:
    """One bid session of the day (its code, project and hall, no people) and its figures."""

    code: str
    project_name: str
    hall: str
    #: When the session opens, in the centre's time zone (None: a session code not registered).
    opens_at: dt.datetime | None
    figures: Figures


@attrs.frozen
class DeskFigures:
    """One desk (entrance lane) of the day: its load, how fast it went, and its peak queue estimate.

    ``screenings`` counts the screenings the desk opened and ``finished`` those of them that have ended. The
    desk's busy span runs from the first to the last step record it made that day (``first_step``,
    ``last_step``); ``throughput`` is ``finished`` per minute of that span (None when the span is shorter than
    a second: one instant tells no rate).

    ``peak_queue`` is an estimate of the longest queue at the desk: the largest number of the screenings it
    opened that were in progress at the same instant. A screening is in progress from its opening to the step
    that ended it (one still open, until the desk's last step of the day); one that ended as it opened (refused
    or referred on arrival) counts at that instant; one ending at the instant another opens does not overlap
    it. People resting after a fever are in progress; people in the line before the desk opened a screening
    for them are not in the records, so the real queue was at least this long.
    """

    desk: str
    screenings: int
    finished: int
    first_step: dt.datetime | None
    last_step: dt.datetime | None
    throughput: float | None
    peak_queue: int

    @property
    def busy_minutes(self) -> float:
        """The busy span in minutes (0 with fewer than two steps)."""
        if self.first_step is None or self.last_step is None:
            return 0.0
        return (self.last_step - self.first_step).total_seconds() / 60


@attrs.frozen
class HourlyArrivals:
    """The screenings opened in one clock hour (``hour`` is its start, in the centre's time zone)."""

    hour: dt.datetime
    arrivals: int

    @property
    def label(self) -> str:
        """``08:00``."""
        return f"{self.hour:%H:00}"


@attrs.frozen
class DailyReport:
    """The daily report of one centre's day: totals, per session, per desk and per hour; counts only, no people.

    ``hourly`` runs from the hour of the first arrival to that of the last, empty hours included. ``as_of`` is
    the time of the last step recorded (None on a day without screenings). ``health_purged`` counts screenings
    whose health data the retention purge has removed: their readings no longer count.
    """

    centre: Centre
    day: dt.date
    policy_name: str
    policy_title: str
    totals: Figures
    sessions: tuple[SessionFigures, ...]
    desks: tuple[DeskFigures, ...]
    hourly: tuple[HourlyArrivals, ...]
    as_of: dt.datetime | None
    health_purged: int = 0
    #: Days the policy keeps health data (printed in the footer).
    health_data_days: int | None = None
    #: The supervisor's signals of the day, counted by kind and where they stand (``kind`` → ``status`` → count).
    signals: Mapping[str, Mapping[str, int]] = attrs.field(factory=dict)
    #: The audit trail when the report was made: its entry count and fingerprint (``Gate.daily_report`` sets it).
    trail_checkpoint: tuple[int, str] | None = None

    def signal_rows(self) -> list[tuple[str, str, int]]:
        """The signal counts as ``(key, label, count)``: ``signal:<kind>:<status>`` and 监督信号:… in Chinese."""
        return [(f"signal:{kind}:{status}", f"监督信号:{_signal_label(kind)}:{_SIGNAL_STATUS[status]}", count)
                for kind, by_status in self.signals.items() for status, count in by_status.items()]

    def session(self, code: str) -> SessionFigures:
        """The figures of the session with this code (KeyError if it is not in the report)."""
        for found in self.sessions:
            if found.code == code:
                return found
        raise KeyError(code)

    def desk(self, name: str) -> DeskFigures:
        """The figures of the desk with this name (KeyError if it is not in the report)."""
        for found in self.desks:
            if found.desk == name:
                return found
        raise KeyError(name)


# ------------------------------------------------------------------------------------------------ counting


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


# ------------------------------------------------------------------------------------------ reconciling


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


# ------------------------------------------------------------------------------------------------ PDF


def _date(day: dt.date) -> str:
    """``2026年11月23日 星期一``."""
    return f"{day.year}年{day.month}月{day.day}日 {_WEEKDAYS[day.weekday()]}"


def _checked(report: DailyReport) -> list[tuple[str, str]]:
    """Every value of the report printed as text, checked for invisible and bidirectional characters."""
    fields = [("centre.name", report.centre.name), ("policy.title", report.policy_title)]
    for index, s in enumerate(report.sessions):
        fields.append((f"sessions[{index}].code", s.code))
        if s.project_name:
            fields.append((f"sessions[{index}].project_name", s.project_name))
        if s.hall:
            fields.append((f"sessions[{index}].hall", s.hall))
    fields += [(f"desks[{index}]", d.desk) for index, d in enumerate(report.desks)]
    fields += [("refused_by_reason", _reason_label(r)) for r in report.totals.refused_by_reason]
    fields += [("other_supplies", _supply_label(s)) for s in report.totals.other_supplies]
    for name, value in fields:
        check_text(name, value, max_length=200)
    return fields


def _chart(report: DailyReport) -> list[dict[str, Any]]:
    """The hourly chart's columns: hour label, arrivals, and the bar's height in mm (0: no bar)."""
    tallest = max((h.arrivals for h in report.hourly), default=0)
    return [{"label": h.label, "arrivals": h.arrivals,
             "height": round(_CHART_MM * h.arrivals / tallest, 1) if h.arrivals else 0.0}
            for h in report.hourly]


def _time(at: dt.datetime | None, centre: Centre) -> str:
    return f"{at.astimezone(centre.tz):%H:%M}" if at is not None else "—"


def render_report_html(report: DailyReport) -> str:
    """The report as the HTML the PDF prints (``templates/reports/daily.html``): counts only, autoescaped."""
    _checked(report)
    centre = report.centre
    t = report.totals
    return render_template(
        "reports/daily.html",
        document_title=f"{centre.name} {report.day.isoformat()} 日报",
        centre_name=centre.name,
        date=_date(report.day),
        policy_title=report.policy_title,
        as_of=_time(report.as_of, centre),
        totals=t,
        total_rows=[(label, value) for key, label, value in t.rows()
                    if not key.startswith(("refused:", "supplies:"))],
        reasons=[(_reason_label(r), n) for r, n in t.refused_by_reason.items()],
        supplies=[(_supply_label(s), n) for s, n in t.other_supplies.items()],
        sessions=[{"code": s.code, "project_name": s.project_name or "(未登记)", "hall": s.hall or "—",
                   "opens": _time(s.opens_at, centre), "f": s.figures} for s in report.sessions],
        desks=[{"desk": d.desk, "screenings": d.screenings, "finished": d.finished,
                "first": _time(d.first_step, centre), "last": _time(d.last_step, centre),
                "busy": f"{d.busy_minutes:.0f}",
                "throughput": f"{d.throughput:.2f}" if d.throughput is not None else "—",
                "peak": d.peak_queue} for d in report.desks],
        chart=_chart(report),
        chart_mm=_CHART_MM,
        health_purged=report.health_purged,
        health_data_days=report.health_data_days,
        trail_checkpoint=report.trail_checkpoint,
        signals=[(_signal_label(kind), by_status.get("open", 0), by_status.get("dismissed", 0),
                  by_status.get("referred", 0)) for kind, by_status in report.signals.items()],
    )


def write_report_pdf(report: DailyReport, out: Path) -> Path:
    """Write the report as an A4 PDF in Chinese to ``out`` (complete or not at all); returns ``out``.

    Printed through the project's Jinja environment and the shared PDF writer (template fetcher, font checked for
    every character, the render lock shared with badges and notices).
    """
    # WeasyPrint loads on demand: reading a report (or the CLI's help) does not pay for it.
    from tenderguard.render.pdf import write_pdf  # noqa: PLC0415

    return write_pdf(render_report_html(report), Path(out), folder="reports", stylesheet="daily.css",
                     fields=_checked(report), css_text=[_STYLESHEET_TEXT])


# ------------------------------------------------------------------------------------------ CSV and XLSX


def _text(value: str) -> str:
    """Text a spreadsheet must not run as a formula (``=``, ``+``, ``-``, ``@`` first) is written quoted."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _target(out: Path) -> Path:
    return Path(out)


def _replace(out: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(path)`` on a scratch file next to ``out``, then move it into place (complete, owner-only)."""
    return write_private(out, write)


def _csv_rows(report: DailyReport) -> Iterator[list[str]]:
    """One figure per row: section, scope, key, label, value."""
    for key, label, value in report.totals.rows():
        yield ["合计", "全天", key, label, str(value)]
    for s in report.sessions:
        for key, label, value in s.figures.rows():
            yield ["场次", s.code, key, label, str(value)]
    for d in report.desks:
        for key, label, desk_value in _desk_cells(d, report.centre):
            yield ["入口", d.desk, key, label, str(desk_value)]
    for h in report.hourly:
        yield ["时段", h.label, "arrivals", "到达人次", str(h.arrivals)]
    for key, label, count in report.signal_rows():
        yield ["监督信号", "全天", key, label, str(count)]
    if report.trail_checkpoint is not None:
        seq, fingerprint = report.trail_checkpoint
        yield ["审计链", "制表时", "audit:checkpoint", "审计链检查点(条数:指纹)", f"{seq}:{fingerprint}"]


def write_report_csv(report: DailyReport, out: Path) -> Path:
    """Write the report as CSV (UTF-8 with BOM), one figure per row; returns ``out``.

    Columns: 类别 (合计, 场次, 入口, 时段), 对象 (全天, the session code, the desk, the hour), 指标代码 (the
    key of :meth:`Figures.rows`, or of a desk's figure), 指标 (its Chinese label) and 数值.
    """
    target = _target(out)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["类别", "对象", "指标代码", "指标", "数值"])
    writer.writerows([_text(cell) for cell in row] for row in _csv_rows(report))
    return _replace(target, lambda path: path.write_text(buffer.getvalue(), encoding="utf-8-sig"))


_DESK_COLUMNS: tuple[tuple[str, str], ...] = (
    ("screenings", "检查人次"),
    ("finished", "已结束"),
    ("first_step", "首次操作"),
    ("last_step", "末次操作"),
    ("busy_minutes", "忙碌时长(分钟)"),
    ("throughput", "每分钟通过人数"),
    ("peak_queue", "同时在检峰值"),
)


def _desk_cells(d: DeskFigures, centre: Centre) -> list[tuple[str, str, int | float | str]]:
    """A desk's figures as ``(key, label, value)``: times as ``HH:MM:SS``, rates rounded to 2 decimals."""
    values: dict[str, int | float | str] = {
        "screenings": d.screenings, "finished": d.finished,
        "first_step": f"{d.first_step.astimezone(centre.tz):%H:%M:%S}" if d.first_step else "",
        "last_step": f"{d.last_step.astimezone(centre.tz):%H:%M:%S}" if d.last_step else "",
        "busy_minutes": round(d.busy_minutes, 1),
        "throughput": round(d.throughput, 2) if d.throughput is not None else "",
        "peak_queue": d.peak_queue,
    }
    return [(key, label, values[key]) for key, label in _DESK_COLUMNS]


def _bold_header(sheet: Any, widths: Sequence[int]) -> None:
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def write_report_xlsx(report: DailyReport, out: Path) -> Path:
    """Write the report as an XLSX workbook; returns ``out``.

    Sheets: 合计 (指标, 数值, 指标代码), 各场次 (one row per session and a 合计 row, one column per figure),
    各入口 (one row per desk), 分时段 (one row per hour) and 监督信号 (the supervisor's signals by kind and
    status). Figures are numbers; session text that a spreadsheet would run as a formula is written quoted.
    """
    target = _target(out)
    centre = report.centre
    book = openpyxl.Workbook()
    book.properties.title = f"{centre.name} {report.day.isoformat()} 日报"
    totals = book.active
    assert totals is not None  # noqa: S101 - a new workbook has one sheet
    totals.title = "合计"
    totals.append(["指标", "数值", "指标代码"])
    for key, label, value in report.totals.rows():
        totals.append([label, value, key])
    _bold_header(totals, [20, 10, 28])

    keys = [key for key, _label, _value in report.totals.rows()]
    labels = [label for _key, label, _value in report.totals.rows()]
    per_session = book.create_sheet("各场次")
    per_session.append(["场次", "项目名称", "开标室", "开标时间", *labels])
    for s in report.sessions:
        opens = f"{s.opens_at.astimezone(centre.tz):%H:%M}" if s.opens_at else ""
        per_session.append([_text(s.code), _text(s.project_name), _text(s.hall), opens,
                            *(s.figures.value(key) for key in keys)])
    per_session.append(["合计", "", "", "", *(report.totals.value(key) for key in keys)])
    _bold_header(per_session, [16, 40, 14, 10, *(max(8, len(label) * 2) for label in labels)])

    per_desk = book.create_sheet("各入口")
    per_desk.append(["入口", *(label for _key, label in _DESK_COLUMNS)])
    for d in report.desks:
        per_desk.append([_text(d.desk), *(value for _key, _label, value in _desk_cells(d, centre))])
    _bold_header(per_desk, [10, *(max(10, len(label) * 2) for _key, label in _DESK_COLUMNS)])

    hourly = book.create_sheet("分时段")
    hourly.append(["时段", "到达人次"])
    for h in report.hourly:
        hourly.append([h.label, h.arrivals])
    _bold_header(hourly, [10, 10])

    signal_sheet = book.create_sheet("监督信号")
    signal_sheet.append(["信号", "状态", "数量", "指标代码"])
    for kind, by_status in report.signals.items():
        for status, count in by_status.items():
            signal_sheet.append([_signal_label(kind), _SIGNAL_STATUS[status], count, f"signal:{kind}:{status}"])
    _bold_header(signal_sheet, [40, 10, 8, 36])
    return _replace(target, book.save)
