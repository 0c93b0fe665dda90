"""The figures of a day's report as value objects, and the Chinese labels they are printed with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import attrs

from tenderguard.domain.catalogue import reason_label
from tenderguard.domain.model import Centre
from tenderguard.domain.signals import SIGNAL_TEXT

__all__ = [
    "FIGURES",
    "DailyReport",
    "DeskFigures",
    "Figures",
    "HourlyArrivals",
    "SessionFigures",
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




_SUPPLY_LABELS: Mapping[str, str] = {"mask": "口罩", "gloves": "手套", "sanitiser": "消毒液"}


def _sorted_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """Non-zero counts, the largest first, then by code: the order reports print them."""
    return dict(sorted(((k, v) for k, v in counts.items() if v), key=lambda item: (-item[1], item[0])))


#: What a signal's status is called in a report.
_SIGNAL_STATUS: Mapping[str, str] = {"open": "待决定", "dismissed": "已排除", "referred": "已移交"}


def _signal_label(kind: str) -> str:
    """The Chinese description of a signal kind (the code itself when it has none)."""
    return SIGNAL_TEXT.get(kind, kind)


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
        rows += [(f"refused:{reason}", f"拒绝：{reason_label(reason)}", count)
                 for reason, count in self.refused_by_reason.items()]
        rows += [(f"supplies:{name}", f"物资：{_supply_label(name)}", count)
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
        return [(f"signal:{kind}:{status}", f"监督信号：{_signal_label(kind)}：{_SIGNAL_STATUS[status]}", count)
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
