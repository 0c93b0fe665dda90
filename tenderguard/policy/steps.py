"""The entry steps of a policy, in the order a person goes through them: one attrs class per kind of step.

Each step's id is its state name in the screening machine; ``STEP_KINDS`` maps the ``kind`` written in a policy
file to its class.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar

import attrs

from tenderguard.i18n import _
from tenderguard.policy.checks import Checked, Problems, check_ident

__all__ = [
    "CELSIUS_RANGE",
    "RESERVED_STATE_NAMES",
    "STEP_KINDS",
    "ConfirmStep",
    "DeclarationStep",
    "HealthCodeStep",
    "MaskStep",
    "NucleicTestStep",
    "QuestionsStep",
    "Step",
    "TemperatureStep",
]

#: The readings a thermometer's plausible range and the fever threshold may lie in (°C): a body's temperature,
#: never Fahrenheit (98.6) nor a number no reading can reach.
CELSIUS_RANGE = (25.0, 45.0)

#: State names the machine uses itself; a step may not take one of them.
RESERVED_STATE_NAMES = frozenset({"arrived", "cleared", "admitted", "refused", "referred", "abandoned"})


@attrs.frozen
class _StepBase(Checked):
    """What every step has: an id (its state name in the machine) and a label shown to staff."""

    kind: ClassVar[str]
    id: str
    label: str

    def _problems(self) -> Problems:
        problems: Problems = []
        check_ident(self.id, "id", problems)
        if self.id in RESERVED_STATE_NAMES:
            problems.append(("id", _("{id!r} is reserved for the machine's own states", id=self.id)))
        if not self.label.strip():
            problems.append(("label", _("must not be empty")))
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
                problems.append((name, _("{value} is not a finite number", value=value)))
            elif not CELSIUS_RANGE[0] <= value <= CELSIUS_RANGE[1]:
                problems.append((name, _("{value} is outside {celsius_range}..{celsius_range2} (°C)", value=value,
                                         celsius_range=CELSIUS_RANGE[0], celsius_range2=CELSIUS_RANGE[1])))
        if self.plausible_min >= self.plausible_max:
            problems.append(("plausible_min", _("{plausible_min} is not below plausible_max",
                                                plausible_min=self.plausible_min)))
        elif self.threshold > self.plausible_max:
            problems.append(("threshold", _("{threshold} is above {plausible_max}", threshold=self.threshold,
                                            plausible_max=self.plausible_max)))
        elif self.threshold < self.plausible_min:
            problems.append(("threshold", _("{threshold} is below {plausible_min}", threshold=self.threshold,
                                            plausible_min=self.plausible_min)))
        if not 0 <= self.rest_minutes <= 120:
            problems.append(("rest_minutes", _("{rest_minutes} is outside 0..120", rest_minutes=self.rest_minutes)))
        if not 0 <= self.remeasures <= 10:
            problems.append(("remeasures", _("{remeasures} is outside 0..10", remeasures=self.remeasures)))
        if not 0 <= self.max_measuring_errors <= 10:
            problems.append(("max_measuring_errors", _("{max_measuring_errors} is outside 0..10",
                                                       max_measuring_errors=self.max_measuring_errors)))
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
                problems.append((f"accepted[{i}]", _("{colour!r} is not one of green, yellow, red", colour=colour)))
        if not self.accepted:
            problems.append(("accepted", _("at least one colour must be accepted")))
        return problems


@attrs.frozen
class NucleicTestStep(_StepBase):
    """A negative nucleic-acid test taken within ``max_age_hours`` before arrival (核酸检测阴性证明)."""

    kind: ClassVar[str] = "nucleic_test"
    max_age_hours: int = 48

    def _problems(self) -> Problems:
        problems = super()._problems()
        if not 1 <= self.max_age_hours <= 24 * 30:
            problems.append(("max_age_hours", _("{max_age_hours} is outside 1..720", max_age_hours=self.max_age_hours)))
        return problems


Step = (
    ConfirmStep | MaskStep | TemperatureStep | QuestionsStep | DeclarationStep | HealthCodeStep | NucleicTestStep
)
STEP_KINDS: Mapping[str, type[_StepBase]] = {
    cls.kind: cls
    for cls in (ConfirmStep, MaskStep, TemperatureStep, QuestionsStep, DeclarationStep, HealthCodeStep,
                NucleicTestStep)
}
