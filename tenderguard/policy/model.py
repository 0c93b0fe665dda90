"""The Policy value object and the roles people come in: everything a desk needs to screen an arrival."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping

import attrs

from tenderguard.i18n import _
from tenderguard.policy.checks import Checked, Problems
from tenderguard.policy.sections import BadgeStyle, KeyAreaRule, Question, Reentry, RefusalNotices, Retention, Signals
from tenderguard.policy.steps import ConfirmStep, MaskStep, QuestionsStep, Step, TemperatureStep

__all__ = ["MAX_CAPACITY", "MAX_QUESTIONS", "MAX_QUOTA", "MAX_STEPS", "Policy", "Role", "iter_questions_asked_at"]

#: Bounds that keep a policy within what a gate can be: a desk's procedure is a handful of steps (the screening
#: machine has states for each), a handful of health questions, an organisation sends a few people, a hall
#: seats hundreds.
MAX_STEPS = 30
MAX_QUESTIONS = 50
MAX_QUOTA = 1_000
MAX_CAPACITY = 100_000


class Role(enum.StrEnum):
    """Why a person comes to a bid opening; each role has its own daily quota."""

    BIDDER = "bidder"  # 投标人代表
    TENDERER = "tenderer"  # 招标人 / 采购人
    AGENCY = "agency"  # 代理机构
    SUPERVISOR = "supervisor"  # 监督人员
    EXPERT = "expert"  # 评标专家
    OTHER = "other"


def _bounded(key: str, value: int, most: int, *, unlimited: bool = False) -> Problems:
    """The problem of a count below 1 or above ``most`` (``unlimited``: it may be left out for no limit)."""
    if value < 1:
        return [(key, _("{value} is below 1 (leave it out for no limit)", value=value) if unlimited
                 else _("{value} is below 1", value=value))]
    if value > most:
        return [(key, _("{value} is more than {most}", value=value, most=most))]
    return []


def _default_quotas() -> Mapping[Role, int | None]:
    return {Role.BIDDER: 1}


@attrs.frozen
class Policy(Checked):
    """Everything a desk needs to know to screen an arrival; immutable, built from a preset or a TOML file."""

    name: str
    title: str
    steps: tuple[Step, ...]
    questions: tuple[Question, ...] = ()
    #: Daily limit of admitted people per organisation (company, agency…) per role; ``None`` = no limit.
    quotas: Mapping[Role, int | None] = attrs.field(factory=_default_quotas)
    #: People allowed inside each hall at once; halls not listed use ``default_hall_capacity`` (None = no limit).
    hall_capacity: Mapping[str, int] = attrs.field(factory=dict)
    default_hall_capacity: int | None = None
    key_area: KeyAreaRule = attrs.field(factory=KeyAreaRule)
    reentry: Reentry = attrs.field(factory=Reentry)
    signals: Signals = attrs.field(factory=Signals)
    retention: Retention = attrs.field(factory=Retention)
    badge: BadgeStyle = attrs.field(factory=BadgeStyle)
    notices: RefusalNotices = attrs.field(factory=RefusalNotices)
    #: Keep full ID numbers (not only a keyed hash and the masked form); off by default (PIPL: store the minimum).
    store_full_id: bool = False

    def _problems(self) -> Problems:
        problems: Problems = []
        if not re.match(r"^[a-z0-9][a-z0-9-]{0,39}$", self.name):
            problems.append(("name", _("{name!r} is not a valid policy name (lower-case, digits, -)", name=self.name)))
        seen: set[str] = set()
        for i, step in enumerate(self.steps):
            if step.id in seen:
                problems.append((f"steps[{i}].id", _("{id!r} is used by an earlier step", id=step.id)))
            seen.add(step.id)
        asks = [s for s in self.steps if isinstance(s, QuestionsStep)
                or (isinstance(s, TemperatureStep) and s.ask_questions)]
        if len(asks) > 1:
            problems.append(("steps", _("the questions are asked at more than one step")))
        if self.questions and not asks:
            problems.append(("questions", _("no step asks them: add a 'questions' step or set ask_questions on the "
                                            "temperature step")))
        if asks and not self.questions:
            problems.append(("questions", _("a step asks the questions but none are defined")))
        qids: set[str] = set()
        for i, q in enumerate(self.questions):
            if q.id in qids:
                problems.append((f"questions[{i}].id", _("{id!r} is used by an earlier question", id=q.id)))
            qids.add(q.id)
        bidder = self.quotas.get(Role.BIDDER)
        if bidder != 1:
            problems.append(("quotas.bidder", _("{bidder} is not 1: one person per company per day is the rule and "
                                                "cannot be changed", bidder=bidder)))
        if len(self.steps) > MAX_STEPS:
            problems.append(("steps", _("{length} steps; a desk takes at most {max_steps}", length=len(self.steps),
                                        max_steps=MAX_STEPS)))
        if len(self.questions) > MAX_QUESTIONS:
            problems.append(("questions", _("{length} questions; at most {max_questions} are asked",
                                            length=len(self.questions), max_questions=MAX_QUESTIONS)))
        for role, limit in self.quotas.items():
            if role is not Role.BIDDER and limit is not None:
                problems.extend(_bounded(f"quotas.{role}", limit, MAX_QUOTA, unlimited=True))
        for hall, cap in self.hall_capacity.items():
            problems.extend(_bounded(f"halls.{hall}", cap, MAX_CAPACITY))
        if self.default_hall_capacity is not None:
            problems.extend(_bounded("default_hall_capacity", self.default_hall_capacity, MAX_CAPACITY))
        for i, sid in enumerate(self.reentry.steps):
            if sid not in seen:
                problems.append((f"reentry.steps[{i}]", _("{sid!r} is not a step of this policy", sid=sid)))
        return problems

    # -- queries the domain uses

    def step(self, step_id: str) -> Step:
        """The step with this id."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def reentry_steps(self) -> tuple[Step, ...]:
        """The steps repeated on a same-day re-entry, in procedure order."""
        wanted = set(self.reentry.steps)
        return tuple(s for s in self.steps if s.id in wanted)

    def quota(self, role: Role) -> int | None:
        """The daily per-organisation limit for a role (None = unlimited)."""
        return self.quotas.get(role)

    def capacity(self, hall: str) -> int | None:
        """How many people the hall takes at once (None = unlimited)."""
        return self.hall_capacity.get(hall, self.default_hall_capacity)

    @property
    def health_checks(self) -> bool:
        """Whether any step collects health data (temperature, questions, declaration, code, test)."""
        return any(not isinstance(s, ConfirmStep | MaskStep) for s in self.steps)


def iter_questions_asked_at(policy: Policy, step: Step) -> Iterable[Question]:
    """The questions asked at a given step (all of them at the asking step, none elsewhere)."""
    asks = isinstance(step, QuestionsStep) or (isinstance(step, TemperatureStep) and step.ask_questions)
    return policy.questions if asks else ()
