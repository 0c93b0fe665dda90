"""Retention: health data goes after the policy's health-data period, the masked attendance record later.

Two cut-offs, both counted in the centre's calendar days before *today*:

* **health data** (``retention.health_data_days``): the step records that hold health data (readings, answers,
  declarations, health codes, tests) are deleted; the screening keeps its outcome, its name is masked, its
  counters of fevers and measuring errors are reset, and a health reason (``fever``, ``symptoms``…) becomes
  ``health`` — what remains says who came to which session and whether they went in, nothing about their health;
* **attendance** (``retention.attendance_days``): everything of the day goes — screenings and their remaining
  steps, admissions, badges.

The audit trail is kept: it never held health data, and deleting from it would break the chain. Each purge
adds one ``purge`` entry with what it removed.
"""

from __future__ import annotations

import datetime as dt

import attrs

from tenderguard.domain.model import Reason

__all__ = ["HEALTH_REASONS", "PURGED_REASON", "PurgeCounts", "PurgeReport", "cutoffs"]

#: Refusal and referral reasons that reveal something about a person's health.
HEALTH_REASONS = frozenset({
    Reason.FEVER, Reason.SYMPTOMS, Reason.CONTACT, Reason.KEY_AREA, Reason.HEALTH_CODE, Reason.TEST_EXPIRED,
    Reason.NO_TEST, Reason.TEST_POSITIVE, Reason.MEASURING_ERROR,
})
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
        verb = "would" if self.dry_run else "did"
        return [
            f"health data before {self.health_before}: {verb} scrub {c.screenings_scrubbed} screening(s), "
            f"delete {c.health_steps_deleted} step record(s) holding health data",
            f"attendance before {self.attendance_before}: {verb} delete {c.screenings_deleted} screening(s) "
            f"({c.steps_deleted} step records), {c.admissions_deleted} admission(s), {c.badges_deleted} badge(s)",
        ]


def cutoffs(today: dt.date, health_data_days: int, attendance_days: int) -> tuple[dt.date, dt.date]:
    """The first day kept for health data and for attendance: days strictly before them are purged."""
    return today - dt.timedelta(days=health_data_days), today - dt.timedelta(days=attendance_days)
