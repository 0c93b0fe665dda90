"""The screening policy: the ordered entry steps, thresholds, questions, quotas and retention — as data.

A centre changes its rules by editing a TOML file (or picking a built-in preset), never by changing code. The
built-in presets live beside this module in ``presets/*.toml`` and are loaded by the same loader as any file, so
they are checked by the same rules.

Loading reports *every* invalid value by its key path, e.g. ``steps[3].threshold: 45.0 is above 42.5``.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import attrs

from tenderguard.errors import PolicyError

__all__ = [
    "BadgeStyle",
    "ConfirmStep",
    "DeclarationStep",
    "HealthCodeStep",
    "KeyAreaRule",
    "MaskStep",
    "NucleicTestStep",
    "Policy",
    "Question",
    "QuestionsStep",
    "Reentry",
    "RefusalNotices",
    "Retention",
    "Role",
    "Signals",
    "Step",
    "TemperatureStep",
    "list_presets",
    "load_policy",
    "load_preset",
    "parse_policy",
]

_IDENT = re.compile(r"^[a-z][a-z0-9_]{0,39}\Z")
#: State names the machine uses itself; a step may not take one of them.
RESERVED_STATE_NAMES = frozenset({"arrived", "cleared", "admitted", "refused", "referred", "abandoned"})


class Role(enum.StrEnum):
    """Why a person comes to a bid opening; each role has its own daily quota."""

    BIDDER = "bidder"  # 投标人代表
    TENDERER = "tenderer"  # 招标人 / 采购人
    AGENCY = "agency"  # 代理机构
    SUPERVISOR = "supervisor"  # 监督人员
    EXPERT = "expert"  # 评标专家
    OTHER = "other"


Problems = list[tuple[str, str]]


def _check_ident(value: str, field: str, problems: Problems) -> None:
    if not _IDENT.match(value):
        problems.append((field, f"{value!r} is not a valid identifier (lower-case letters, digits, _)"))


class _Checked:
    """Mixin: run ``_problems()`` after construction and raise one PolicyError listing them all."""

    def __attrs_post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise PolicyError(problems)

    def _problems(self) -> Problems:
        return []


# --------------------------------------------------------------------------------------------------- steps


@attrs.frozen
class _StepBase(_Checked):
    """What every step has: an id (its state name in the machine) and a label shown to staff."""

    kind: ClassVar[str]
    id: str
    label: str

    def _problems(self) -> Problems:
        problems: Problems = []
        _check_ident(self.id, "id", problems)
        if self.id in RESERVED_STATE_NAMES:
            problems.append(("id", f"{self.id!r} is reserved for the machine's own states"))
        if not self.label.strip():
            problems.append(("label", "must not be empty"))
        return problems


@attrs.frozen
class ConfirmStep(_StepBase):
    """A step the operator confirms was done: shoe-sole disinfection, hand sanitiser, mask disposal, registration."""

    kind: ClassVar[str] = "confirm"


@attrs.frozen
class MaskStep(_StepBase):
    """Wearing a mask (佩戴口罩); an unsuitable mask is replaced at the desk and counted as a supply used."""

    kind: ClassVar[str] = "mask"
    replace_allowed: bool = True


@attrs.frozen
class TemperatureStep(_StepBase):
    """Temperature taken (测温), with a rest-and-re-measure loop; optionally the health questions (问体) too.

    A reading at or above ``threshold`` is a fever; a reading outside ``plausible_min``..``plausible_max`` is a
    measuring error (re-measure, never a fever). After a fever the person rests ``rest_minutes`` and is measured
    again, up to ``remeasures`` times; still a fever → refused.
    """

    kind: ClassVar[str] = "temperature"
    threshold: float = 37.3
    plausible_min: float = 34.0
    plausible_max: float = 42.5
    rest_minutes: int = 5
    remeasures: int = 2
    max_measuring_errors: int = 3
    ask_questions: bool = False

    def _problems(self) -> Problems:
        problems = super()._problems()
        for name in ("threshold", "plausible_min", "plausible_max"):
            value = getattr(self, name)
            if not math.isfinite(value):
                problems.append((name, f"{value} is not a finite number"))
        if self.plausible_min >= self.plausible_max:
            problems.append(("plausible_min", f"{self.plausible_min} is not below plausible_max"))
        elif self.threshold > self.plausible_max:
            problems.append(("threshold", f"{self.threshold} is above {self.plausible_max}"))
        elif self.threshold < self.plausible_min:
            problems.append(("threshold", f"{self.threshold} is below {self.plausible_min}"))
        if not 0 <= self.rest_minutes <= 120:
            problems.append(("rest_minutes", f"{self.rest_minutes} is outside 0..120"))
        if not 0 <= self.remeasures <= 10:
            problems.append(("remeasures", f"{self.remeasures} is outside 0..10"))
        if not 0 <= self.max_measuring_errors <= 10:
            problems.append(("max_measuring_errors", f"{self.max_measuring_errors} is outside 0..10"))
        return problems

    def is_plausible(self, celsius: float) -> bool:
        """Whether a reading is within the thermometer's plausible range (else it is a measuring error)."""
        return self.plausible_min <= celsius <= self.plausible_max

    def is_fever(self, celsius: float) -> bool:
        """Whether a plausible reading is a fever (at or above the threshold, inclusive)."""
        return self.is_plausible(celsius) and celsius >= self.threshold


@attrs.frozen
class QuestionsStep(_StepBase):
    """The health questions (问体) asked on their own, when the policy does not ask them at the temperature step."""

    kind: ClassVar[str] = "questions"


@attrs.frozen
class DeclarationStep(_StepBase):
    """Hand in the health declaration form (递表核实): complete, missing or not matching the person."""

    kind: ClassVar[str] = "declaration"
    required: bool = True
    fill_in_at_desk: bool = True


@attrs.frozen
class HealthCodeStep(_StepBase):
    """The health-code colour shown on the phone (健康码); colours not accepted refuse with ``health_code``."""

    kind: ClassVar[str] = "health_code"
    accepted: tuple[str, ...] = ("green",)

    COLOURS: ClassVar[frozenset[str]] = frozenset({"green", "yellow", "red"})

    def _problems(self) -> Problems:
        problems = super()._problems()
        for i, colour in enumerate(self.accepted):
            if colour not in self.COLOURS:
                problems.append((f"accepted[{i}]", f"{colour!r} is not one of green, yellow, red"))
        if not self.accepted:
            problems.append(("accepted", "at least one colour must be accepted"))
        return problems


@attrs.frozen
class NucleicTestStep(_StepBase):
    """A negative nucleic-acid test taken within ``max_age_hours`` before arrival (核酸检测阴性证明)."""

    kind: ClassVar[str] = "nucleic_test"
    max_age_hours: int = 48

    def _problems(self) -> Problems:
        problems = super()._problems()
        if not 1 <= self.max_age_hours <= 24 * 30:
            problems.append(("max_age_hours", f"{self.max_age_hours} is outside 1..720"))
        return problems


Step = (
    ConfirmStep | MaskStep | TemperatureStep | QuestionsStep | DeclarationStep | HealthCodeStep | NucleicTestStep
)
STEP_KINDS: Mapping[str, type[_StepBase]] = {
    cls.kind: cls
    for cls in (ConfirmStep, MaskStep, TemperatureStep, QuestionsStep, DeclarationStep, HealthCodeStep,
                NucleicTestStep)
}


# --------------------------------------------------------------------------------------------- the rest


@attrs.frozen
class Question(_Checked):
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
        _check_ident(self.id, "id", problems)
        _check_ident(self.reason, "reason", problems)
        if not self.text.strip():
            problems.append(("text", "must not be empty"))
        if self.on_risk not in self.ACTIONS:
            problems.append(("on_risk", f"{self.on_risk!r} is not one of record, refer, refuse"))
        return problems


@attrs.frozen
class KeyAreaRule(_Checked):
    """What happens to an arrival from a government-listed key area (重点地区): referred, refused or screened."""

    ACTIONS: ClassVar[frozenset[str]] = frozenset({"refer", "refuse", "screen"})
    SERVICES: ClassVar[frozenset[str]] = frozenset({"separate_room", "proxy", "remote"})

    action: str = "refer"
    services: tuple[str, ...] = ("separate_room", "proxy", "remote")

    def _problems(self) -> Problems:
        problems: Problems = []
        if self.action not in self.ACTIONS:
            problems.append(("action", f"{self.action!r} is not one of refer, refuse, screen"))
        problems.extend(
            (f"services[{i}]", f"{s!r} is not one of proxy, remote, separate_room")
            for i, s in enumerate(self.services)
            if s not in self.SERVICES
        )
        return problems


@attrs.frozen
class Reentry(_Checked):
    """Re-entry on the same day with the day's badge: whether allowed and which step ids are repeated."""

    allowed: bool = True
    steps: tuple[str, ...] = ()


@attrs.frozen
class Signals(_Checked):
    """What the desk does when one person represents two bidder companies on one day (招标投标法实施条例 art. 40).

    In one session it is always refused (``represents_other_bidder``) and the supervisor is signalled; in
    another session of the same day, ``same_person_other_session`` decides: ``flag`` screens the person as the
    new company's arrival and signals the supervisor, ``refuse`` refuses as in one session.
    """

    CHOICES: ClassVar[frozenset[str]] = frozenset({"flag", "refuse"})

    same_person_other_session: str = "flag"

    def _problems(self) -> Problems:
        if self.same_person_other_session not in self.CHOICES:
            return [("same_person_other_session", f"{self.same_person_other_session!r} is not one of flag, refuse")]
        return []


@attrs.frozen
class Retention(_Checked):
    """How long records are kept: health data (answers, temperatures, declarations) and attendance."""

    health_data_days: int = 28
    attendance_days: int = 3 * 365

    def _problems(self) -> Problems:
        problems: Problems = []
        if not 1 <= self.health_data_days <= 366:
            problems.append(("health_data_days", f"{self.health_data_days} is outside 1..366"))
        if self.attendance_days > 36_500:
            problems.append(("attendance_days", f"{self.attendance_days} is more than 36500 (a hundred years)"))
        if self.attendance_days < self.health_data_days:
            problems.append(
                ("attendance_days", f"{self.attendance_days} is shorter than health_data_days "
                 f"({self.health_data_days})")
            )
        return problems


@attrs.frozen
class RefusalNotices(_Checked):
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
                problems.append((f"reasons[{i}]", f"{reason!r} is not a reason code"))
        return problems


_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}\Z")
#: Seven clearly different day colours (red, orange, yellow, green, blue, purple, slate).
DEFAULT_PALETTE = ("#d32f2f", "#f57c00", "#fbc02d", "#388e3c", "#1976d2", "#7b1fa2", "#455a64")


@attrs.frozen
class BadgeStyle(_Checked):
    """What the day's badge looks like: its title and the palette whose colour changes every day."""

    title: str = "入场健康标识"
    #: Day colours as ``#rrggbb``; day *n* (proleptic ordinal) takes ``palette[n % len(palette)]``, so two
    #: consecutive days never share a colour and yesterday's badge is visibly wrong today.
    palette: tuple[str, ...] = DEFAULT_PALETTE

    def _problems(self) -> Problems:
        problems: Problems = []
        if not self.title.strip():
            problems.append(("title", "is empty"))
        if len(self.palette) < 2:
            problems.append(("palette", "needs at least two colours, so that consecutive days differ"))
        for i, colour in enumerate(self.palette):
            if not _HEX_COLOUR.match(colour):
                problems.append((f"palette[{i}]", f"{colour!r} is not a colour like #d32f2f"))
        if len({c.lower() for c in self.palette}) != len(self.palette):
            problems.append(("palette", "has the same colour twice"))
        return problems

    def colour_of(self, day: dt.date) -> str:
        """The colour of a day's badges."""
        return self.palette[day.toordinal() % len(self.palette)]


def _default_quotas() -> Mapping[Role, int | None]:
    return {Role.BIDDER: 1}


@attrs.frozen
class Policy(_Checked):
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
            problems.append(("name", f"{self.name!r} is not a valid policy name (lower-case, digits, -)"))
        seen: set[str] = set()
        for i, step in enumerate(self.steps):
            if step.id in seen:
                problems.append((f"steps[{i}].id", f"{step.id!r} is used by an earlier step"))
            seen.add(step.id)
        asks = [s for s in self.steps if isinstance(s, QuestionsStep)
                or (isinstance(s, TemperatureStep) and s.ask_questions)]
        if len(asks) > 1:
            problems.append(("steps", "the questions are asked at more than one step"))
        if self.questions and not asks:
            problems.append(("questions", "no step asks them: add a 'questions' step or set ask_questions "
                             "on the temperature step"))
        if asks and not self.questions:
            problems.append(("questions", "a step asks the questions but none are defined"))
        qids: set[str] = set()
        for i, q in enumerate(self.questions):
            if q.id in qids:
                problems.append((f"questions[{i}].id", f"{q.id!r} is used by an earlier question"))
            qids.add(q.id)
        bidder = self.quotas.get(Role.BIDDER)
        if bidder != 1:
            problems.append(("quotas.bidder", f"{bidder} is not 1: one person per company per day (一公司一人) is "
                             "the rule and cannot be changed"))
        for role, limit in self.quotas.items():
            if role is not Role.BIDDER and limit is not None and limit < 1:
                problems.append((f"quotas.{role}", f"{limit} is below 1 (leave it out for no limit)"))
        for hall, cap in self.hall_capacity.items():
            if cap < 1:
                problems.append((f"halls.{hall}", f"{cap} is below 1"))
        if self.default_hall_capacity is not None and self.default_hall_capacity < 1:
            problems.append(("default_hall_capacity", f"{self.default_hall_capacity} is below 1"))
        for i, sid in enumerate(self.reentry.steps):
            if sid not in seen:
                problems.append((f"reentry.steps[{i}]", f"{sid!r} is not a step of this policy"))
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


# -------------------------------------------------------------------------------------------------- loading

_T = TypeVar("_T")
_MISSING: Any = object()


class _Table:
    """One TOML table being read: typed getters that record problems under the table's key path."""

    def __init__(self, data: Mapping[str, Any], path: str, problems: Problems) -> None:
        self.data = data
        self.path = path
        self.problems = problems
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def _get(self, name: str, check: Callable[[Any], bool], what: str, default: Any) -> Any:
        self.used.add(name)
        if name not in self.data:
            if default is _MISSING:
                self.problems.append((self.key(name), f"is required ({what})"))
            return default
        value = self.data[name]
        if not check(value):
            self.problems.append((self.key(name), f"{value!r} is not {what}"))
            return default if default is not _MISSING else None
        return value

    def text(self, name: str, default: Any = _MISSING) -> Any:
        return self._get(name, lambda v: isinstance(v, str), "a string", default)

    def flag(self, name: str, default: Any = _MISSING) -> Any:
        return self._get(name, lambda v: isinstance(v, bool), "true or false", default)

    def whole(self, name: str, default: Any = _MISSING) -> Any:
        return self._get(name, lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number",
                         default)

    def number(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, lambda v: isinstance(v, int | float) and not isinstance(v, bool), "a number",
                          default)
        return float(value) if isinstance(value, int | float) else value

    def texts(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
                          "a list of strings", default)
        return tuple(value) if isinstance(value, list) else value

    def table(self, name: str) -> _Table:
        value = self._get(name, lambda v: isinstance(v, dict), "a table", {})
        return _Table(value if isinstance(value, dict) else {}, self.key(name), self.problems)

    def tables(self, name: str, *, required: bool = False) -> list[_Table]:
        value = self._get(name, lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
                          "an array of tables ([[" + name + "]])", _MISSING if required else [])
        if not isinstance(value, list):
            return []
        return [_Table(t, f"{self.key(name)}[{i}]", self.problems) for i, t in enumerate(value)]

    def finish(self) -> None:
        """Report keys nobody asked for: a typo must not be silently ignored."""
        for name in self.data:
            if name not in self.used:
                self.problems.append((self.key(name), "unknown key"))


def _build(cls: Callable[..., _T], table: _Table, **kwargs: Any) -> _T | None:
    """Construct a value object, re-rooting its own validation problems under the table's key path."""
    kwargs = {k: v for k, v in kwargs.items() if (v is not _MISSING and v is not None) or k in _NULLABLE}
    try:
        return cls(**kwargs)
    except PolicyError as exc:
        table.problems.extend((table.key(p) if p else table.path, m) for p, m in exc.problems)
    except TypeError as exc:  # a required field was missing; already reported by the reader
        if not table.problems:
            table.problems.append((table.path, str(exc)))
    return None


_NULLABLE = frozenset({"default_hall_capacity"})


def _read_step(t: _Table) -> Step | None:
    kind = t.text("kind")
    cls = STEP_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        if isinstance(kind, str):
            t.problems.append((t.key("kind"), f"{kind!r} is not one of {', '.join(sorted(STEP_KINDS))}"))
        return None
    fields: dict[str, Any] = {"id": t.text("id"), "label": t.text("label")}
    if cls is MaskStep:
        fields["replace_allowed"] = t.flag("replace_allowed", True)
    elif cls is TemperatureStep:
        fields.update(
            threshold=t.number("threshold", 37.3),
            plausible_min=t.number("plausible_min", 34.0),
            plausible_max=t.number("plausible_max", 42.5),
            rest_minutes=t.whole("rest_minutes", 5),
            remeasures=t.whole("remeasures", 2),
            max_measuring_errors=t.whole("max_measuring_errors", 3),
            ask_questions=t.flag("ask_questions", False),
        )
    elif cls is DeclarationStep:
        fields.update(required=t.flag("required", True), fill_in_at_desk=t.flag("fill_in_at_desk", True))
    elif cls is HealthCodeStep:
        fields["accepted"] = t.texts("accepted", ("green",))
    elif cls is NucleicTestStep:
        fields["max_age_hours"] = t.whole("max_age_hours", 48)
    t.finish()
    if any(v is None for v in fields.values()):
        return None
    return _build(cls, t, **fields)  # type: ignore[return-value]


def parse_policy(data: Mapping[str, Any], *, source: str | None = None) -> Policy:
    """Build a Policy from parsed TOML data, raising one PolicyError that lists every problem by key path."""
    problems: Problems = []
    root = _Table(data, "", problems)
    name, title = root.text("name"), root.text("title")
    steps = [_read_step(t) for t in root.tables("steps", required=True)]
    questions = []
    for t in root.tables("questions"):
        q = _build(Question, t, id=t.text("id"), text=t.text("text"), risk_answer=t.flag("risk_answer", True),
                   on_risk=t.text("on_risk", "refuse"), reason=t.text("reason", "symptoms"))
        t.finish()
        questions.append(q)

    qt = root.table("quotas")
    quotas: dict[Role, int | None] = {}
    for key in qt.data:
        try:
            role = Role(key)
        except ValueError:
            continue  # reported as an unknown key by finish()
        quotas[role] = qt.whole(key)
    qt.finish()
    quotas.setdefault(Role.BIDDER, 1)

    ht = root.table("halls")
    halls = {key: ht.whole(key) for key in ht.data}
    ht.finish()

    kt = root.table("key_area")
    key_area = _build(KeyAreaRule, kt, action=kt.text("action", "refer"),
                      services=kt.texts("services", KeyAreaRule().services))
    kt.finish()
    rt = root.table("reentry")
    reentry = _build(Reentry, rt, allowed=rt.flag("allowed", True), steps=rt.texts("steps", ()))
    rt.finish()
    st = root.table("signals")
    signals = _build(Signals, st, same_person_other_session=st.text("same_person_other_session", "flag"))
    st.finish()
    pt = root.table("retention")
    retention = _build(Retention, pt, health_data_days=pt.whole("health_data_days", 28),
                       attendance_days=pt.whole("attendance_days", 3 * 365))
    pt.finish()
    bt = root.table("badge")
    badge = _build(BadgeStyle, bt, title=bt.text("title", BadgeStyle().title),
                   palette=bt.texts("palette", DEFAULT_PALETTE))
    bt.finish()
    nt = root.table("refusal_notices")
    notices = _build(RefusalNotices, nt, reasons=nt.texts("reasons", RefusalNotices().reasons),
                     notify_community=nt.flag("notify_community", False),
                     tell_agency_reason=nt.flag("tell_agency_reason", False))
    nt.finish()
    default_cap = root.whole("default_hall_capacity", None)
    store_full_id = root.flag("store_full_id", False)
    root.finish()

    # Build the policy even from partly invalid parts, so the policy-wide rules are reported in the same error.
    policy = _build(
        Policy, root,
        name=name if isinstance(name, str) else "invalid", title=title if isinstance(title, str) else "",
        steps=tuple(s for s in steps if s is not None),
        questions=tuple(q for q in questions if q is not None),
        quotas=quotas, hall_capacity={k: v for k, v in halls.items() if isinstance(v, int)},
        default_hall_capacity=default_cap, key_area=key_area or KeyAreaRule(),
        reentry=reentry or Reentry(), signals=signals or Signals(), retention=retention or Retention(),
        badge=badge or BadgeStyle(),
        notices=notices or RefusalNotices(),
        store_full_id=bool(store_full_id),
    )
    if None in steps:  # cross-step rules cannot be judged while a step is itself invalid
        problems[:] = [(p, m) for p, m in problems if not p.startswith("reentry.steps")
                       and p not in ("questions", "steps")]
    if problems or policy is None:
        raise PolicyError(problems or [("", "the policy is incomplete")], source=source)
    return policy


def list_presets() -> list[str]:
    """The names of the built-in presets."""
    folder = resources.files("tenderguard") / "presets"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_preset(name: str) -> Policy:
    """Load a built-in preset by name (``miyun-2020``, ``health-code``, ``badge-only``)."""
    if name not in list_presets():
        raise PolicyError([("", f"no preset named {name!r}; presets: {', '.join(list_presets())}")])
    text = (resources.files("tenderguard") / "presets" / f"{name}.toml").read_text(encoding="utf-8")
    return _parse_text(text, f"preset {name}")


def _parse_text(text: str, source: str) -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError([("", f"not valid TOML: {exc}")], source=source) from None
    return parse_policy(data, source=source)


def load_policy(spec: str | Path) -> Policy:
    """Load a policy from a preset name or a TOML file path."""
    if isinstance(spec, str) and spec in list_presets():
        return load_preset(spec)
    path = Path(spec)
    if not path.is_file():
        raise PolicyError(
            [("", f"{str(spec)!r} is neither a preset ({', '.join(list_presets())}) nor a readable TOML file")]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError([("", f"cannot read {path}: {exc}")], source=str(path)) from None
    return _parse_text(text, str(path))


def iter_questions_asked_at(policy: Policy, step: Step) -> Iterable[Question]:
    """The questions asked at a given step (all of them at the asking step, none elsewhere)."""
    asks = isinstance(step, QuestionsStep) or (isinstance(step, TemperatureStep) and step.ask_questions)
    return policy.questions if asks else ()
