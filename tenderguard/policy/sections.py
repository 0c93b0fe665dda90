"""The parts of a policy besides its steps: questions, key areas, re-entry, signals, retention, notices, badge.

The health questions, the key-area rule (重点地区), same-day re-entry, the supervisor's signals for one person
representing two bidders, how long records are kept, who is told of a refusal, and what the day's badge looks like.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

import attrs

from tenderguard.i18n import _
from tenderguard.policy.checks import Checked, Problems, check_ident

__all__ = [
    "BADGE_TITLE_MAX",
    "DEFAULT_PALETTE",
    "PALETTE_MAX",
    "BadgeStyle",
    "KeyAreaRule",
    "Question",
    "Reentry",
    "RefusalNotices",
    "Retention",
    "Signals",
]


@attrs.frozen
class Question(Checked):
    """A yes/no health question; the ``risk_answer`` refuses, refers or is only recorded, with a reason code."""

    ACTIONS: ClassVar[frozenset[str]] = frozenset({"refuse", "refer", "record"})

    id: str
    text: str
    risk_answer: bool = True
    on_risk: str = "refuse"
    reason: str = "symptoms"

    @property
    def safe_answer(self) -> bool:
        """The usual no-risk answer, assumed when a batch record leaves the question out."""
        return not self.risk_answer

    def _problems(self) -> Problems:
        problems: Problems = []
        check_ident(self.id, "id", problems)
        check_ident(self.reason, "reason", problems)
        if not self.text.strip():
            problems.append(("text", _("must not be empty")))
        if self.on_risk not in self.ACTIONS:
            problems.append(("on_risk", _("{on_risk!r} is not one of record, refer, refuse", on_risk=self.on_risk)))
        return problems


@attrs.frozen
class KeyAreaRule(Checked):
    """What happens to an arrival from a government-listed key area (重点地区): referred, refused or screened."""

    ACTIONS: ClassVar[frozenset[str]] = frozenset({"refer", "refuse", "screen"})
    SERVICES: ClassVar[frozenset[str]] = frozenset({"separate_room", "proxy", "remote"})

    action: str = "refer"
    services: tuple[str, ...] = ("separate_room", "proxy", "remote")

    def _problems(self) -> Problems:
        problems: Problems = []
        if self.action not in self.ACTIONS:
            problems.append(("action", _("{action!r} is not one of refer, refuse, screen", action=self.action)))
        problems.extend(
            (f"services[{i}]", _("{service!r} is not one of proxy, remote, separate_room", service=s))
            for i, s in enumerate(self.services)
            if s not in self.SERVICES
        )
        return problems


@attrs.frozen
class Reentry(Checked):
    """Re-entry on the same day with the day's badge: whether allowed and which step ids are repeated."""

    allowed: bool = True
    steps: tuple[str, ...] = ()


@attrs.frozen
class Signals(Checked):
    """What the desk does when one person represents two bidder companies on one day (招标投标法实施条例 art. 40).

    In one session it is always refused (``represents_other_bidder``) and the supervisor is signalled; in
    another session of the same day, ``same_person_other_session`` decides: ``flag`` screens the person as the
    new company's arrival and signals the supervisor, ``refuse`` refuses as in one session.
    """

    CHOICES: ClassVar[frozenset[str]] = frozenset({"flag", "refuse"})

    same_person_other_session: str = "flag"

    def _problems(self) -> Problems:
        if self.same_person_other_session not in self.CHOICES:
            return [("same_person_other_session", _("{choice!r} is not one of flag, refuse",
                                                   choice=self.same_person_other_session))]
        return []


@attrs.frozen
class Retention(Checked):
    """How long records are kept: health data (answers, temperatures, declarations) and attendance."""

    health_data_days: int = 28
    attendance_days: int = 3 * 365

    def _problems(self) -> Problems:
        problems: Problems = []
        if not 1 <= self.health_data_days <= 366:
            problems.append(("health_data_days", _("{health_data_days} is outside 1..366",
                                                   health_data_days=self.health_data_days)))
        if self.attendance_days > 36_500:
            problems.append(("attendance_days", _("{attendance_days} is more than 36500 (a hundred years)",
                                                  attendance_days=self.attendance_days)))
        if self.attendance_days < self.health_data_days:
            problems.append(
                ("attendance_days", _("{attendance_days} is shorter than health_data_days ({health_data_days})",
                                      attendance_days=self.attendance_days, health_data_days=self.health_data_days))
            )
        return problems


@attrs.frozen
class RefusalNotices(Checked):
    """Who is told when someone is refused: the company always, the community and the agency's detail per policy."""

    #: Refusal reasons that are notified (the seed's rule: a fever is reported to the person's unit).
    reasons: tuple[str, ...] = ("fever", "symptoms", "health_code", "test_positive")
    #: Also notify the residential street / community office (社区) named on the declaration.
    notify_community: bool = False
    #: Tell the agency the reason category (健康原因 is always said; the reason itself only if true).
    tell_agency_reason: bool = False

    def _problems(self) -> Problems:
        problems: Problems = []
        for i, reason in enumerate(self.reasons):
            if not re.match(r"^[a-z][a-z0-9_]{0,39}$", reason):
                problems.append((f"reasons[{i}]", _("{reason!r} is not a reason code", reason=reason)))
        return problems


_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}\Z")
#: The longest badge title the card prints (the badge's title line, see :mod:`tenderguard.render.badge_card`).
BADGE_TITLE_MAX = 10
#: More day colours than days in a year tell no day apart better.
PALETTE_MAX = 366
#: Seven clearly different day colours (red, orange, yellow, green, blue, purple, slate).
DEFAULT_PALETTE = ("#d32f2f", "#f57c00", "#fbc02d", "#388e3c", "#1976d2", "#7b1fa2", "#455a64")


@attrs.frozen
class BadgeStyle(Checked):
    """What the day's badge looks like: its title and the palette whose colour changes every day."""

    title: str = "入场健康标识"
    #: Day colours as ``#rrggbb``; day *n* (proleptic ordinal) takes ``palette[n % len(palette)]``, so two
    #: consecutive days never share a colour and yesterday's badge is visibly wrong today.
    palette: tuple[str, ...] = DEFAULT_PALETTE

    def _problems(self) -> Problems:
        problems: Problems = []
        if not self.title.strip():
            problems.append(("title", _("is empty")))
        elif not self.title.isprintable():
            problems.append(("title", _("holds an invisible control or formatting character")))
        elif len(self.title) > BADGE_TITLE_MAX:
            problems.append(("title", _("is {length} characters long; at most {badge_title_max} fit on the badge",
                                        length=len(self.title), badge_title_max=BADGE_TITLE_MAX)))
        if len(self.palette) < 2:
            problems.append(("palette", _("needs at least two colours, so that consecutive days differ")))
        elif len(self.palette) > PALETTE_MAX:
            problems.append(("palette", _("has {length} colours; at most {palette_max}", length=len(self.palette),
                                          palette_max=PALETTE_MAX)))
        for i, colour in enumerate(self.palette):
            if not _HEX_COLOUR.match(colour):
                problems.append((f"palette[{i}]", _("{colour!r} is not a colour like #d32f2f", colour=colour)))
        if len({c.lower() for c in self.palette}) != len(self.palette):
            problems.append(("palette", _("has the same colour twice")))
        return problems

    def colour_of(self, day: dt.date) -> str:
        """The colour of a day's badges."""
        return self.palette[day.toordinal() % len(self.palette)]
