"""One arrival's screening: the process object the shared machine drives, with each step's decisions.

A :class:`Screening` is a plain object (the ``transitions`` library adds trigger methods to its models, which
attrs classes with slots cannot take). Every action is recorded as a :class:`StepRecord` naming the desk, the
operator and the time; health data in a record is flagged ``sensitive`` so it can be purged on schedule.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from tenderguard.domain import events
from tenderguard.domain.machine import TERMINAL_STATES, Phase, ScreeningMachine, StatePlace
from tenderguard.domain.model import HEALTH_REASONS, Outcome, Reason, Visitor, aware
from tenderguard.errors import InvalidInputError, InvalidTransitionError, ScreeningError
from tenderguard.i18n import _
from tenderguard.policy import (
    ConfirmStep,
    DeclarationStep,
    HealthCodeStep,
    MaskStep,
    NucleicTestStep,
    QuestionsStep,
    Step,
    TemperatureStep,
)

__all__ = ["Actor", "Screening", "StepRecord"]

MASK_CONDITIONS = ("ok", "replaced", "refused")
DECLARATION_STATES = ("complete", "missing", "mismatch")


@attrs.frozen
class Actor:
    """Who does a step: the desk (entrance lane) and the operator on duty."""

    desk: str
    operator: str


@attrs.frozen
class StepRecord:
    """One committed action of a screening: what was done, by whom, when, and the state it moved between."""

    screening_id: str
    seq: int
    at: dt.datetime
    desk: str
    operator: str
    action: str
    state_from: str
    state_to: str
    detail: Mapping[str, Any] = attrs.field(factory=dict)
    #: The detail holds health data (a temperature, answers, a declaration) and is purged on schedule.
    sensitive: bool = False


def _is_reading(detail: Mapping[str, Any]) -> bool:
    """Whether a step record's detail is a temperature reading (what the desk counts as readings taken)."""
    return "celsius" in detail


class Screening:
    """The screening of one arrival, from the arrival check to admitted / refused / referred / abandoned."""

    def __init__(
        self,
        *,
        id: str,
        visitor: Visitor,
        person_key: str,
        hall: str,
        reentry: bool,
        opened_at: dt.datetime,
        actor: Actor,
        state: str = "arrived",
        source: str | None = None,
    ) -> None:
        """Create a screening in a stored state (``arrived`` for a new one)."""
        self.id = id
        self.visitor = visitor
        self.person_key = person_key
        self.hall = hall
        self.reentry = reentry
        self.opened_at = opened_at
        self.opened_by = actor
        #: Where a replayed arrival came from (a batch line's reference); a second replay resumes this screening.
        self.source = source
        self.state = state
        self.outcome: Outcome | None = None
        self.reason: str | None = None
        self.services: tuple[str, ...] = ()
        self.badge: str | None = None
        self.fevers = 0
        self.measuring_errors = 0
        self.rest_until: dt.datetime | None = None
        self.supplies: dict[str, int] = {}
        #: When the health data was purged (retention); None while it is kept.
        self.health_purged_at: dt.datetime | None = None
        #: Where a refused person lives (街道/社区), asked at the desk for the community's letter; purged with the
        #: health data.
        self.residence: str | None = None
        #: The serial of the refusal letters' reference number (文号) in the year of the refusal, once given.
        self.letter_serial: int | None = None
        #: The step records held in memory: all of them, or (stored ones not loaded yet) those added since loading.
        self._records: list[StepRecord] = []
        #: Fetches the stored step records not loaded yet (a screening loaded for one step never reads them).
        self._fetch_stored: Callable[[], list[StepRecord]] | None = None
        #: The number of the last step record (the next is ``steps + 1``), stored with the screening's row.
        self.steps = 0
        #: How many of the records are temperature readings (the desk shows it on every call; kept with them).
        self.readings = 0
        self.events: list[events.DomainEvent] = []
        self._machine: ScreeningMachine | None = None

    def __repr__(self) -> str:
        """Identity and state only: a repr must never print personal data."""
        return f"<Screening {self.id} {self.state}>"

    # ------------------------------------------------------------------------------------------ plumbing

    def bind(self, machine: ScreeningMachine) -> None:
        """Attach to the shared machine in the current state (on open, or when loaded from storage)."""
        machine.attach(self, self.state)
        self._machine = machine

    def unbind(self) -> None:
        """Detach from the shared machine (when closed or unloaded)."""
        if self._machine is not None:
            self._machine.detach(self)
            self._machine = None

    @property
    def machine(self) -> ScreeningMachine:
        """The machine driving this screening (it must be bound)."""
        if self._machine is None:
            raise ScreeningError(self.id, self.state, _("is not open at a desk"), hint=_("load it through the desk"))
        return self._machine

    @property
    def closed(self) -> bool:
        """Whether the screening has ended (admitted, refused, referred or abandoned)."""
        return self.state in TERMINAL_STATES

    @property
    def place(self) -> StatePlace | None:
        """The step and phase the screening is at, or None before check-in and once cleared or closed."""
        return self.machine.places.get(self.state)

    @property
    def records(self) -> list[StepRecord]:
        """Every step record, in order (the stored ones are fetched on first use)."""
        if self._fetch_stored is not None:
            fetch, self._fetch_stored = self._fetch_stored, None
            self._records = fetch() + self._records
        return self._records

    def keep_records(self, records: list[StepRecord]) -> None:
        """Hold these step records (loaded from storage, or what a purge left), counting their readings."""
        self._records, self._fetch_stored = records, None
        self.steps = max(self.steps, max((r.seq for r in records), default=0))  # a purge leaves the numbering
        self.readings = sum(1 for r in records if _is_reading(r.detail))

    def keep_records_lazily(self, steps: int, readings: int, fetch: Callable[[], list[StepRecord]]) -> None:
        """Know how many step records and readings are stored, and fetch the records themselves when asked."""
        self._records, self._fetch_stored = [], fetch
        self.steps, self.readings = steps, readings

    def detached_copy(self) -> Screening:
        """A copy with lists of its own (records, supplies), no events and bound to no machine (a store's copy)."""
        twin = copy.copy(self)
        twin._records, twin._fetch_stored = list(self.records), None
        twin.supplies, twin.events, twin._machine = dict(self.supplies), [], None
        return twin

    def records_after(self, seq: int) -> list[StepRecord]:
        """The step records numbered after ``seq`` (those added since, without fetching the stored ones)."""
        return [r for r in self._records if r.seq > seq]

    def _record(self, actor: Actor, at: dt.datetime, action: str, before: str,
                detail: Mapping[str, Any] | None = None, *, sensitive: bool = False) -> None:
        kept = dict(detail) if detail else {}
        self.steps += 1
        self._records.append(StepRecord(screening_id=self.id, seq=self.steps, at=at, desk=actor.desk,
                                        operator=actor.operator, action=action, state_from=before,
                                        state_to=self.state, detail=kept, sensitive=sensitive))
        if _is_reading(kept):
            self.readings += 1

    def _move(self, trigger: str, actor: Actor, at: dt.datetime, action: str,
              detail: Mapping[str, Any] | None = None, *, sensitive: bool = False) -> None:
        before = self.state
        self.machine.fire(self, trigger)
        self._record(actor, at, action, before, detail, sensitive=sensitive)
        if trigger in ("advance", "rest", "fill_in"):
            self.events.append(events.StepCompleted(at=at, screening_id=self.id, step=action.partition(":")[0],
                                                    action=action))

    def _expect(self, action: str, *kinds: type[Step], phases: tuple[Phase, ...] = (Phase.MAIN,)) -> StatePlace:
        place = self.place
        if place is None or not isinstance(place.step, kinds) or place.phase not in phases:
            raise InvalidTransitionError(self.id, self.state, action, self.machine.expected(self.state))
        return place

    # ------------------------------------------------------------------------------------------ outcomes

    def check_in(self, actor: Actor, at: dt.datetime) -> None:
        """Start the procedure after the arrival check passed (first entry or same-day re-entry)."""
        trigger = "re_enter" if self.reentry else "check_in"
        self._move(trigger, actor, at, trigger)
        self.events.append(events.ScreeningStarted(at=at, screening_id=self.id, session=self.visitor.session,
                                                   role=self.visitor.role, desk=actor.desk,
                                                   reentry=self.reentry))

    def refuse(self, actor: Actor, at: dt.datetime, reason: str, detail: Mapping[str, Any] | None = None,
               *, sensitive: bool = False) -> None:
        """End with a refusal and its reason code (``sensitive`` when it tells something about health)."""
        self._move("refuse", actor, at, f"refuse:{reason}", detail, sensitive=sensitive or reason in HEALTH_REASONS)
        self.outcome, self.reason = Outcome.REFUSED, reason
        self.events.append(events.Refused(at=at, screening_id=self.id, session=self.visitor.session,
                                          reason=reason))

    def refer(self, actor: Actor, at: dt.datetime, reason: str, services: tuple[str, ...]) -> None:
        """End with a referral (separate room, proxy service, remote participation)."""
        self._move("refer", actor, at, f"refer:{reason}", {"services": list(services)},
                   sensitive=reason in HEALTH_REASONS)
        self.outcome, self.reason, self.services = Outcome.REFERRED, reason, services
        self.events.append(events.Referred(at=at, screening_id=self.id, session=self.visitor.session,
                                           reason=reason, services=services))

    def abandon(self, actor: Actor, at: dt.datetime) -> None:
        """The person left before the screening finished."""
        self._move("abandon", actor, at, "abandon")
        self.outcome, self.reason = Outcome.ABANDONED, Reason.ABANDONED
        self.events.append(events.Abandoned(at=at, screening_id=self.id, session=self.visitor.session))

    def admit(self, actor: Actor, at: dt.datetime, badge: str) -> None:
        """Admit with the day's badge (the admission rules have already been checked)."""
        self._move("admit", actor, at, "admit", {"badge": badge})
        self.outcome, self.badge = Outcome.ADMITTED, badge
        self.events.append(events.Admitted(at=at, screening_id=self.id, session=self.visitor.session,
                                           hall=self.hall, badge=badge, reentry=self.reentry))

    # --------------------------------------------------------------------------------------------- steps

    def confirm(self, actor: Actor, at: dt.datetime) -> None:
        """Confirm a plain step was done (shoe soles, hands, mask disposal, registration)."""
        place = self._expect("confirm", ConfirmStep)
        self._move("advance", actor, at, place.step.id)

    def mask(self, actor: Actor, at: dt.datetime, condition: str) -> None:
        """The mask check: ``ok``, ``replaced`` (a mask is handed out and counted) or ``refused``."""
        place = self._expect("mask", MaskStep)
        if condition not in MASK_CONDITIONS:
            raise InvalidInputError("mask", _("{condition!r} is not one of {items}", condition=condition,
                                              items=_(", ").join(MASK_CONDITIONS)))
        step = place.step
        assert isinstance(step, MaskStep)  # noqa: S101 - narrowed by _expect
        if condition == "ok":
            self._move("advance", actor, at, f"{step.id}:ok")
        elif condition == "replaced" and step.replace_allowed:
            self.supplies["mask"] = self.supplies.get("mask", 0) + 1
            self._move("advance", actor, at, f"{step.id}:replaced", {"supply": "mask"})
        else:
            self.refuse(actor, at, Reason.NO_MASK, {"mask": condition})

    def measure(self, actor: Actor, at: dt.datetime, celsius: float, *, device: str | None = None) -> None:
        """Take a temperature reading: pass, fever (rest and re-measure, or refuse), or a measuring error."""
        place = self._expect("measure", TemperatureStep, phases=(Phase.MAIN, Phase.REST))
        step = place.step
        assert isinstance(step, TemperatureStep)  # noqa: S101 - narrowed by _expect
        if isinstance(celsius, bool) or not isinstance(celsius, int | float) or not math.isfinite(celsius):
            raise InvalidInputError("temperature", _("{celsius!r} is not a temperature in °C", celsius=celsius),
                                    hint=_("enter the reading in degrees Celsius, e.g. 36.5"))
        celsius = round(float(celsius), 2)
        if place.phase is Phase.REST and self.rest_until is not None and at < self.rest_until:
            wait = math.ceil((self.rest_until - at).total_seconds() / 60)
            raise ScreeningError(
                self.id,
                self.state,
                _("the person is resting after a fever reading; re-measure in {wait} min", wait=wait),
                hint=_("re-measure at {rest_until:%H:%M}", rest_until=self.rest_until),
            )
        detail: dict[str, Any] = {"celsius": celsius}
        if device:
            detail["device"] = device
        if not step.is_plausible(celsius):
            self.measuring_errors += 1
            detail["error"] = f"outside {step.plausible_min}–{step.plausible_max} °C"
            if self.measuring_errors > step.max_measuring_errors:
                self.refuse(actor, at, Reason.MEASURING_ERROR, detail, sensitive=True)
                return
            self._record(actor, at, f"{step.id}:measuring_error", self.state, detail, sensitive=True)
            self.events.append(events.StepCompleted(at=at, screening_id=self.id, step=step.id,
                                                    action="measuring_error"))
            return
        if not step.is_fever(celsius):
            self.rest_until = None
            self._move("advance", actor, at, f"{step.id}:normal", detail, sensitive=True)
            return
        self.fevers += 1
        if self.fevers > step.remeasures:
            self.refuse(actor, at, Reason.FEVER, detail, sensitive=True)
            return
        self.rest_until = at + dt.timedelta(minutes=step.rest_minutes)
        self._move("rest", actor, at, f"{step.id}:fever", detail | {"rest_until": self.rest_until.isoformat()},
                   sensitive=True)

    def answer(self, actor: Actor, at: dt.datetime, answers: Mapping[str, bool]) -> None:
        """Record the answers to every health question; a risk answer refuses or refers as the policy says."""
        place = self._expect("answer", TemperatureStep, QuestionsStep, phases=(Phase.QUESTIONS, Phase.MAIN))
        if isinstance(place.step, TemperatureStep) and place.phase is not Phase.QUESTIONS:
            raise InvalidTransitionError(self.id, self.state, "answer", self.machine.expected(self.state))
        questions = self.machine.policy.questions
        known = {q.id for q in questions}
        unknown = sorted(set(answers) - known)
        if unknown:
            raise InvalidInputError("answers", _("unknown question(s) {items}", items=_(", ").join(unknown)),
                                    hint=_("the policy asks: {items}", items=_(", ").join(sorted(known))))
        missing = [q.id for q in questions if q.id not in answers]
        if missing:
            raise InvalidInputError("answers", _("question(s) not answered: {items}", items=_(", ").join(missing)),
                                    hint=_("ask every question of the policy"))
        for qid, value in answers.items():
            if not isinstance(value, bool):
                raise InvalidInputError(f"answers.{qid}", _("{value!r} is not yes/no (true/false)", value=value))
        risks = [q for q in questions if answers[q.id] == q.risk_answer and q.on_risk != "record"]
        detail = {"risks": tuple(q.id for q in questions if answers[q.id] == q.risk_answer)}
        refusal = next((q for q in risks if q.on_risk == "refuse"), None)
        referral = next((q for q in risks if q.on_risk == "refer"), None)
        if refusal is not None:
            self.refuse(actor, at, refusal.reason, detail, sensitive=True)
        elif referral is not None:
            self._record(actor, at, f"{place.step.id}:answers", self.state, detail, sensitive=True)
            self.refer(actor, at, referral.reason, self.machine.policy.key_area.services or ("separate_room",))
        else:
            self._move("advance", actor, at, f"{place.step.id}:answers", detail, sensitive=True)

    def declare(self, actor: Actor, at: dt.datetime, status: str) -> None:
        """The health declaration form: ``complete``, ``missing`` or ``mismatch`` (not this person's)."""
        place = self._expect("declare", DeclarationStep, phases=(Phase.MAIN, Phase.FILL_IN))
        step = place.step
        assert isinstance(step, DeclarationStep)  # noqa: S101 - narrowed by _expect
        if status not in DECLARATION_STATES:
            raise InvalidInputError("declaration", _("{status!r} is not one of {items}", status=status,
                                                     items=_(", ").join(DECLARATION_STATES)))
        if status == "complete":
            action = "filled_in_at_desk" if place.phase is Phase.FILL_IN else "complete"
            self._move("advance", actor, at, f"{step.id}:{action}", {"declaration": action}, sensitive=True)
            return
        reason = Reason.NO_DECLARATION if status == "missing" else Reason.DECLARATION_MISMATCH
        if place.phase is Phase.MAIN and step.fill_in_at_desk:
            self._move("fill_in", actor, at, f"{step.id}:{status}", {"declaration": status}, sensitive=True)
        elif not step.required:
            self._move("advance", actor, at, f"{step.id}:{status}", {"declaration": status}, sensitive=True)
        else:
            self.refuse(actor, at, reason, {"declaration": status}, sensitive=True)

    def health_code(self, actor: Actor, at: dt.datetime, colour: str) -> None:
        """The health-code colour; a colour the policy does not accept refuses with ``health_code``."""
        place = self._expect("health_code", HealthCodeStep)
        step = place.step
        assert isinstance(step, HealthCodeStep)  # noqa: S101 - narrowed by _expect
        if colour not in HealthCodeStep.COLOURS:
            raise InvalidInputError("health_code", _("{colour!r} is not one of green, yellow, red", colour=colour))
        if colour in step.accepted:
            self._move("advance", actor, at, f"{step.id}:{colour}", {"colour": colour}, sensitive=True)
        else:
            self.refuse(actor, at, Reason.HEALTH_CODE, {"colour": colour}, sensitive=True)

    def nucleic_test(self, actor: Actor, at: dt.datetime, tested_at: dt.datetime | None,
                     *, negative: bool = True) -> None:
        """A negative test within the policy's hours; none, expired or positive refuses."""
        place = self._expect("nucleic_test", NucleicTestStep)
        step = place.step
        assert isinstance(step, NucleicTestStep)  # noqa: S101 - narrowed by _expect
        if tested_at is None:
            self.refuse(actor, at, Reason.NO_TEST)
            return
        tested_at = aware(tested_at, field="test_at")
        if tested_at > at:
            raise InvalidInputError("test_at", _("{tested_at} is after the arrival time",
                                                 tested_at=tested_at.isoformat()),
                                    hint=_("check the date on the test report"))
        age_h = (at - tested_at).total_seconds() / 3600
        detail = {"age_hours": round(age_h, 1), "negative": negative}
        if not negative or age_h > step.max_age_hours:
            self.refuse(actor, at, Reason.TEST_EXPIRED if negative else Reason.TEST_POSITIVE, detail,
                        sensitive=True)
        else:
            self._move("advance", actor, at, f"{step.id}:negative", detail, sensitive=True)
