"""Retention: health data goes after the policy's health-data period, the masked attendance record later.

Two cut-offs, both counted in the centre's calendar days before *today*:

* **health data** (``retention.health_data_days``): the step records that hold health data (readings, answers,
  declarations, health codes, tests) are deleted; the screening keeps its outcome, its name is masked, its
  phone and the residence recorded for a community's refusal letter (居住街道/社区) are cleared, its counters of
  fevers and measuring errors are reset, and a health reason (``fever``, ``symptoms``…) becomes ``health`` — what
  remains says who came to which session and whether they went in, nothing about their health or where they live
  (the refusal letters' 文号 serial stays: it is the letters' reference, not personal data);
* **attendance** (``retention.attendance_days``): everything of the day goes — screenings and their remaining
  steps, admissions, badges, the supervisor's signals.

The remaining step records name the step a person was at, never a rest after a fever (``temperature_rest`` and
``temperature_questions`` become ``temperature``). The audit trail is kept: it never held health data — one
"temperature step done" entry whatever the readings, no health reason in its text — and deleting from it would
break the chain. Each purge adds one ``purge`` entry with what it removed. On SQLite deleted content is
overwritten (``secure_delete``), the write-ahead log is checkpointed and truncated and the file compacted
(``VACUUM``), so nothing purged stays on disk.
"""

from __future__ import annotations

import datetime as dt

import attrs

from tenderguard.domain.model import HEALTH_REASONS
from tenderguard.errors import InvalidInputError
from tenderguard.i18n import N_, _, format_date

__all__ = [
    "HEALTH_PHASE_SUFFIXES", "HEALTH_REASONS", "PURGED_REASON", "PurgeCounts", "PurgeReport", "check_purge_day",
    "cutoffs", "without_rest",
]

#: What a health reason reads after the purge.
PURGED_REASON = "health"


@attrs.frozen
class PurgeCounts:
    """What one purge removed (or, in a dry run, would remove)."""

    screenings_scrubbed: int = 0
    health_steps_deleted: int = 0
    screenings_deleted: int = 0
    steps_deleted: int = 0
    admissions_deleted: int = 0
    badges_deleted: int = 0
    signals_deleted: int = 0

    @property
    def nothing(self) -> bool:
        """Whether there was nothing to purge."""
        return not any(attrs.astuple(self))


@attrs.frozen
class PurgeReport:
    """The cut-offs applied and what went; ``dry_run`` reports without deleting."""

    today: dt.date
    health_before: dt.date
    attendance_before: dt.date
    counts: PurgeCounts
    dry_run: bool

    def lines(self) -> list[str]:
        """Human-readable lines for the CLI."""
        c = self.counts
        health = (N_("health data before {day}: would scrub {screenings} screening(s), delete {steps} step "
                     "record(s) holding health data") if self.dry_run else
                  N_("health data before {day}: scrubbed {screenings} screening(s), deleted {steps} step record(s) "
                     "holding health data"))
        attendance = (N_("attendance before {day}: would delete {screenings} screening(s) ({steps} step records), "
                         "{admissions} admission(s), {badges} badge(s), {signals} signal(s)") if self.dry_run else
                      N_("attendance before {day}: deleted {screenings} screening(s) ({steps} step records), "
                         "{admissions} admission(s), {badges} badge(s), {signals} signal(s)"))
        return [
            _(health, day=format_date(self.health_before), screenings=c.screenings_scrubbed,
              steps=c.health_steps_deleted),
            _(attendance, day=format_date(self.attendance_before), screenings=c.screenings_deleted,
              steps=c.steps_deleted, admissions=c.admissions_deleted, badges=c.badges_deleted,
              signals=c.signals_deleted),
        ]


#: The endings of a temperature step's side states (see the machine): resting after a fever, the health questions.
#: Where a person stood within the step tells a fever, so the kept records and the audit trail name the step.
HEALTH_PHASE_SUFFIXES = ("_rest", "_questions")


def without_rest(state: str) -> str:
    """A state's name as it may be kept: a rest after a fever or the questions are named after their step."""
    for suffix in HEALTH_PHASE_SUFFIXES:
        if state.endswith(suffix):
            return state.removesuffix(suffix)
    return state


def check_purge_day(today: dt.date, actual: dt.date, attendance_days: int) -> None:
    """Refuse to count retention from a day so late that the attendance of days still to come would go.

    ``actual`` is the real today: a purge counted from a later day is a simulation or a typo (9999-12-31), and
    the records it would delete are not old by any clock.
    """
    if today <= actual:
        return
    attendance_before = today - dt.timedelta(days=attendance_days)
    if attendance_before > actual:
        raise InvalidInputError(
            "today", _("{today} is so late that counting {attendance_days} days back from it would delete the "
                       "attendance of every day up to {attendance_before}, after today ({actual})", today=today,
                       attendance_days=attendance_days, attendance_before=attendance_before, actual=actual),
            hint=_("give the day the purge is run for, e.g. --today 2027-01-31"))


def cutoffs(today: dt.date, health_data_days: int, attendance_days: int) -> tuple[dt.date, dt.date]:
    """The first day kept for health data and for attendance: days strictly before them are purged."""
    try:
        return today - dt.timedelta(days=health_data_days), today - dt.timedelta(days=attendance_days)
    except OverflowError:
        raise InvalidInputError("today", _("{today} is too early to count {attendance_days} days back from",
                                           today=today, attendance_days=attendance_days),
                                hint=_("give the day the purge is run for, e.g. --today 2027-01-31")) from None
