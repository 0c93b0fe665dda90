"""Every branch of every step, through the Desk service, for each preset; and what each step records."""

from __future__ import annotations

import copy
import datetime as dt
import math
import uuid
from typing import Any

import attrs
import pytest
from gatekit import DAY, HEALTH_PRESETS, PEOPLE, PRESETS, Harness, answers_with, policy_data, safe_answers

from tenderguard.domain.machine import Phase
from tenderguard.domain.model import SHANGHAI, new_id
from tenderguard.domain.screening import StepRecord
from tenderguard.errors import InvalidInputError, ScreeningError
from tenderguard.policy import TemperatureStep, load_preset, parse_policy
from tenderguard.services import ScreeningView

#: These tests read the English wording of the messages (the catalogue's msgids); test_i18n checks the Chinese.
pytestmark = pytest.mark.usefixtures("english_module")


def temperature_step(h: Harness) -> TemperatureStep:
    """The policy's temperature step."""
    step = h.policy.step("temperature")
    assert isinstance(step, TemperatureStep)
    return step


def at_step(h: Harness, step: str, phase: Phase = Phase.MAIN) -> ScreeningView:
    """A fresh arrival screened up to (not through) a step."""
    view = h.run(h.desk.arrive(h.arrival()), until=step, phase=phase)
    assert not view.closed
    assert view.step == step
    return view


def custom(preset: str, step_index: int, **changes: Any) -> Harness:
    """A gate running a preset with some keys of one step changed."""
    data = copy.deepcopy(policy_data(preset))
    data["steps"][step_index].update(changes)
    return Harness(parse_policy(data))


# --- the admitted path -------------------------------------------------------------------------------------


def test_new_ids_are_version_4_uuids_and_distinct() -> None:
    """Screening and admission ids have uuid4().hex's form: 32 hex digits, version 4, the RFC 4122 variant."""
    ids = [new_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for made in ids:
        parsed = uuid.UUID(hex=made)
        assert (parsed.hex, parsed.version, parsed.variant) == (made, 4, uuid.RFC_4122)
    # every one of the 122 random bits varies across the ids (none is stuck by the version/variant masks)
    values = [int(i, 16) for i in ids]
    fixed = (0xF000 << 64) | (0xC000 << 48)
    varying = 0
    for v in values:
        varying |= v ^ values[0]
    assert varying == ((1 << 128) - 1) & ~fixed


def test_every_preset_admits_a_healthy_bidder(any_preset: Harness) -> None:
    """Passing every step of a preset admits the person with the day's first badge serial."""
    h = any_preset
    view = h.admit(PEOPLE[0])
    assert view.outcome == "admitted"
    assert view.state == "admitted"
    assert view.reason is None
    assert view.badge == f"MY-{DAY:%Y%m%d}-0001"
    assert view.badge is not None
    assert view.badge in view.message
    assert view.name_masked == "张*"


def test_the_admitted_path_visits_the_policy_steps_in_order(any_preset: Harness) -> None:
    """The records of an admission walk through the policy's step ids in the policy's order."""
    h = any_preset
    view = h.admit(PEOPLE[0])
    records = h.screening(view).records
    visited: list[str] = []
    for record in records:
        place = h.gate.machine.places.get(record.state_from)
        if place is not None and place.step.id not in visited:
            visited.append(place.step.id)
    assert visited == [s.id for s in h.policy.steps]
    assert records[0].action == "check_in"
    assert records[-1].action == "admit"
    assert [r.seq for r in records] == list(range(1, len(records) + 1))


def test_each_record_names_the_screening_the_desk_the_operator_the_time_and_the_move(any_preset: Harness) -> None:
    """Every field of a step record is where StepRecord declares it; the records chain state to state."""
    h = any_preset
    view = h.admit(PEOPLE[0])
    records = h.screening(view).records
    state = "arrived"
    for record in records:
        assert isinstance(record, StepRecord)
        assert (record.screening_id, record.desk, record.operator) == (view.id, "A", "王芳")
        assert record.at == h.clock.now()
        assert type(record.seq) is int
        assert type(record.sensitive) is bool
        assert isinstance(record.detail, dict)
        assert record.state_from == state
        state = record.state_to
    assert state == "admitted"
    assert records[-1].detail == {"badge": view.badge}
    assert StepRecord(**attrs.asdict(records[-1], recurse=False)) == records[-1]


# --- mask --------------------------------------------------------------------------------------------------


def test_mask_replaced_is_counted_as_a_supply(with_health: Harness) -> None:
    """An unsuitable mask replaced at the desk counts one mask and the person goes on to be admitted."""
    h = with_health
    view = at_step(h, "mask")
    view = h.desk.mask(view.id, "replaced")
    assert view.step != "mask"
    assert h.store.screenings[view.id].supplies == {"mask": 1}
    final = h.run(view)
    assert final.outcome == "admitted"
    assert h.store.screenings[view.id].supplies == {"mask": 1}


def test_mask_ok_uses_no_supply(with_health: Harness) -> None:
    """A suitable mask uses nothing."""
    h = with_health
    view = h.desk.mask(at_step(h, "mask").id, "ok")
    assert h.store.screenings[view.id].supplies == {}


def test_mask_refused_refuses_entry(with_health: Harness) -> None:
    """A person who will not wear a mask is refused with no_mask."""
    h = with_health
    view = h.desk.mask(at_step(h, "mask").id, "refused")
    assert (view.outcome, view.reason) == ("refused", "no_mask")
    assert view.badge is None
    assert h.store.admissions == {}


def test_mask_replacement_not_allowed_refuses() -> None:
    """With replace_allowed false, an unsuitable mask is a refusal and no supply is counted."""
    h = custom("miyun-2020", 0, replace_allowed=False)
    view = h.desk.mask(at_step(h, "mask").id, "replaced")
    assert (view.outcome, view.reason) == ("refused", "no_mask")
    assert h.store.screenings[view.id].supplies == {}


def test_unknown_mask_condition_is_invalid_input(miyun: Harness) -> None:
    """A mask condition other than ok, replaced, refused is refused as input."""
    view = at_step(miyun, "mask")
    with pytest.raises(InvalidInputError) as info:
        miyun.desk.mask(view.id, "broken")
    assert info.value.field == "mask"
    assert miyun.screening(view).state == "mask"


# --- temperature -------------------------------------------------------------------------------------------


def test_fever_then_rest_then_normal_reading_is_admitted(with_health: Harness) -> None:
    """A fever sends the person to rest; after the rest time a normal reading lets them through."""
    h = with_health
    step = temperature_step(h)
    view = at_step(h, "temperature")
    measured_at = h.clock.now()
    view = h.desk.measure(view.id, 37.8)
    assert view.state == "temperature_rest"
    assert view.outcome is None
    assert view.rest_until == measured_at + dt.timedelta(minutes=step.rest_minutes)
    assert h.screening(view).fevers == 1
    h.clock.advance(minutes=step.rest_minutes)
    view = h.desk.measure(view.id, 36.9)
    assert view.state == "temperature_questions"
    assert view.rest_until is None
    final = h.run(view)
    assert final.outcome == "admitted"


def test_fever_on_every_reading_is_refused(with_health: Harness) -> None:
    """A fever on the first reading and on each of the allowed re-measures ends in a fever refusal."""
    h = with_health
    step = temperature_step(h)
    view = at_step(h, "temperature")
    for reading in range(step.remeasures + 1):
        assert view.outcome is None, f"closed early after reading {reading}"
        view = h.desk.measure(view.id, 38.2)
        h.clock.advance(minutes=step.rest_minutes)
    assert (view.outcome, view.reason) == ("refused", "fever")
    readings = [r for r in h.screening(view).records if "celsius" in r.detail]
    assert len(readings) == 1 + step.remeasures
    assert h.screening(view).fevers == 1 + step.remeasures


def test_remeasure_before_rest_time_changes_nothing(with_health: Harness) -> None:
    """A re-measure during the rest raises ScreeningError and leaves the screening exactly as it was."""
    h = with_health
    view = h.desk.measure(at_step(h, "temperature").id, 37.5)
    screening = h.screening(view)
    before = (screening.state, len(screening.records), screening.fevers, screening.rest_until)
    h.clock.advance(minutes=2)
    with pytest.raises(ScreeningError, match="resting") as info:
        h.desk.measure(view.id, 36.5)
    assert "3 min" in str(info.value)
    assert (screening.state, len(screening.records), screening.fevers, screening.rest_until) == before


@pytest.mark.parametrize("reading", [33.0, 45.0, 98.6, 33.99, 42.51])
def test_implausible_reading_is_a_measuring_error_not_a_fever(with_health: Harness, reading: float) -> None:
    """A reading outside 34.0–42.5 °C (a cold forehead, a Fahrenheit display) is a measuring error."""
    h = with_health
    view = at_step(h, "temperature")
    after = h.desk.measure(view.id, reading)
    screening = h.screening(view)
    assert after.state == "temperature"
    assert after.outcome is None
    assert screening.fevers == 0
    assert screening.measuring_errors == 1
    assert screening.records[-1].action == "temperature:measuring_error"
    assert h.desk.measure(view.id, 36.4).state == "temperature_questions"


@pytest.mark.parametrize("reading", [34.0, 42.5])
def test_plausible_range_is_inclusive(with_health: Harness, reading: float) -> None:
    """The ends of the plausible range are real readings (34.0 normal, 42.5 a fever)."""
    h = with_health
    view = h.desk.measure(at_step(h, "temperature").id, reading)
    expected = "temperature_rest" if reading >= temperature_step(h).threshold else "temperature_questions"
    assert view.state == expected
    assert h.screening(view).measuring_errors == 0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "36.5", True, None])
def test_non_numeric_readings_are_invalid_input(miyun: Harness, bad: Any) -> None:
    """NaN, infinities, text, booleans and None are not temperatures."""
    view = at_step(miyun, "temperature")
    with pytest.raises(InvalidInputError) as info:
        miyun.desk.measure(view.id, bad)
    assert info.value.field == "temperature"
    assert miyun.screening(view).records[-1].action != "temperature:measuring_error"
    assert miyun.screening(view).state == "temperature"


def test_threshold_is_inclusive(with_health: Harness) -> None:
    """37.3 °C is a fever; 37.29 °C is not."""
    h = with_health
    assert temperature_step(h).threshold == 37.3
    fever = h.desk.measure(at_step(h, "temperature").id, 37.3)
    assert fever.state == "temperature_rest"
    normal = h.desk.measure(at_step(h, "temperature").id, 37.29)
    assert normal.state == "temperature_questions"


def test_device_is_recorded_with_the_reading(miyun: Harness) -> None:
    """The thermometer used is kept beside the reading."""
    view = miyun.desk.measure(at_step(miyun, "temperature").id, 36.6, device="额温枪-03")
    assert miyun.screening(view).records[-1].detail == {"celsius": 36.6, "device": "额温枪-03"}


def test_too_many_measuring_errors_end_the_screening(miyun: Harness) -> None:
    """After the policy's max_measuring_errors implausible readings the screening ends with measuring_error."""
    step = temperature_step(miyun)
    view = at_step(miyun, "temperature")
    for _ in range(step.max_measuring_errors + 1):
        if view.closed:
            break
        view = miyun.desk.measure(view.id, 30.0)
    assert (view.outcome, view.reason) == ("refused", "measuring_error")


# --- questions ---------------------------------------------------------------------------------------------


def test_symptoms_refuse(with_health: Harness) -> None:
    """Answering yes to symptoms refuses with symptoms."""
    h = with_health
    view = at_step(h, "temperature", Phase.QUESTIONS)
    view = h.desk.answer(view.id, answers_with(h.policy, symptoms=True))
    assert (view.outcome, view.reason) == ("refused", "symptoms")


@pytest.mark.parametrize(("question", "reason"), [("key_area_travel", "key_area"), ("contact", "contact")])
def test_travel_or_contact_refer(with_health: Harness, question: str, reason: str) -> None:
    """A yes to key-area travel or contact refers the person to the separate services."""
    h = with_health
    view = at_step(h, "temperature", Phase.QUESTIONS)
    view = h.desk.answer(view.id, answers_with(h.policy, **{question: True}))
    assert (view.outcome, view.reason) == ("referred", reason)
    assert view.services == h.policy.key_area.services
    assert h.store.admissions == {}


def test_symptoms_win_over_a_referral(miyun: Harness) -> None:
    """With both a refusing and a referring answer, the person is refused."""
    view = at_step(miyun, "temperature", Phase.QUESTIONS)
    view = miyun.desk.answer(view.id, answers_with(miyun.policy, symptoms=True, contact=True))
    assert view.reason == "symptoms"


def test_missing_answers_raise(miyun: Harness) -> None:
    """Every question must be answered."""
    view = at_step(miyun, "temperature", Phase.QUESTIONS)
    with pytest.raises(InvalidInputError, match=r"not answered: .*contact"):
        miyun.desk.answer(view.id, {"symptoms": False, "key_area_travel": False})
    assert miyun.screening(view).state == "temperature_questions"


def test_unknown_question_ids_raise(miyun: Harness) -> None:
    """An answer to a question the policy does not ask is refused."""
    view = at_step(miyun, "temperature", Phase.QUESTIONS)
    with pytest.raises(InvalidInputError, match="unknown question"):
        miyun.desk.answer(view.id, safe_answers(miyun.policy) | {"pets": False})


def test_answers_must_be_yes_or_no(miyun: Harness) -> None:
    """An answer that is not a boolean is refused, naming the question."""
    view = at_step(miyun, "temperature", Phase.QUESTIONS)
    answers: dict[str, Any] = {**safe_answers(miyun.policy), "symptoms": "否"}
    with pytest.raises(InvalidInputError) as info:
        miyun.desk.answer(view.id, answers)
    assert info.value.field == "answers.symptoms"


# --- declaration -------------------------------------------------------------------------------------------


def test_complete_declaration_passes(with_health: Harness) -> None:
    """A complete form moves on to mask disposal."""
    h = with_health
    view = h.desk.declare(at_step(h, "declaration").id, "complete")
    assert view.step == "mask_disposal"


def test_missing_declaration_is_filled_in_at_the_desk(with_health: Harness) -> None:
    """A missing form is filled in at the desk, then completed, and the person is admitted."""
    h = with_health
    view = h.desk.declare(at_step(h, "declaration").id, "missing")
    assert view.state == "declaration_fill_in"
    assert view.expected[0] == "declare(complete)"
    view = h.desk.declare(view.id, "complete")
    assert h.screening(view).records[-1].action == "declaration:filled_in_at_desk"
    assert h.run(view).outcome == "admitted"


def test_missing_again_at_fill_in_refuses(miyun: Harness) -> None:
    """A form still not handed in after the fill-in is refused with no_declaration."""
    view = miyun.desk.declare(at_step(miyun, "declaration").id, "missing")
    view = miyun.desk.declare(view.id, "missing")
    assert (view.outcome, view.reason) == ("refused", "no_declaration")


def test_mismatch_without_fill_in_refuses() -> None:
    """With fill_in_at_desk false, a form not matching the person refuses with declaration_mismatch."""
    h = custom("miyun-2020", 4, fill_in_at_desk=False)
    view = h.desk.declare(at_step(h, "declaration").id, "mismatch")
    assert (view.outcome, view.reason) == ("refused", "declaration_mismatch")


def test_missing_without_fill_in_refuses_when_required() -> None:
    """With no fill-in at the desk and the form required, a missing form refuses with no_declaration."""
    h = custom("miyun-2020", 4, fill_in_at_desk=False)
    view = h.desk.declare(at_step(h, "declaration").id, "missing")
    assert (view.outcome, view.reason) == ("refused", "no_declaration")


def test_missing_passes_when_not_required() -> None:
    """With required false (and no fill-in), a missing form is recorded and the person goes on."""
    h = custom("miyun-2020", 4, fill_in_at_desk=False, required=False)
    view = h.desk.declare(at_step(h, "declaration").id, "missing")
    assert view.step == "mask_disposal"
    assert h.run(view).outcome == "admitted"


def test_unknown_declaration_status_is_invalid(miyun: Harness) -> None:
    """A declaration status other than complete, missing, mismatch is refused as input."""
    view = at_step(miyun, "declaration")
    with pytest.raises(InvalidInputError):
        miyun.desk.declare(view.id, "lost")


# --- health code and nucleic test ---------------------------------------------------------------------------


@pytest.mark.parametrize(("colour", "admitted"), [("green", True), ("yellow", False), ("red", False)])
def test_health_code_colours(health: Harness, colour: str, admitted: bool) -> None:
    """Green passes; yellow and red are refused with health_code."""
    view = health.desk.health_code(at_step(health, "health_code").id, colour)
    if admitted:
        assert view.step == "nucleic_test"
        assert health.run(view).outcome == "admitted"
    else:
        assert (view.outcome, view.reason) == ("refused", "health_code")


def test_unknown_health_code_colour_is_invalid(health: Harness) -> None:
    """A colour that is not green, yellow or red is refused as input."""
    view = at_step(health, "health_code")
    with pytest.raises(InvalidInputError):
        health.desk.health_code(view.id, "blue")


@pytest.mark.parametrize(
    ("age", "negative", "outcome", "reason"),
    [
        (dt.timedelta(hours=6), True, None, None),
        (dt.timedelta(hours=48), True, None, None),
        (dt.timedelta(hours=48, minutes=1), True, "refused", "test_expired"),
        (dt.timedelta(days=5), True, "refused", "test_expired"),
        (dt.timedelta(hours=12), False, "refused", "test_positive"),
    ],
)
def test_nucleic_test_age_and_result(health: Harness, age: dt.timedelta, negative: bool, outcome: str | None,
                                     reason: str | None) -> None:
    """A negative test up to 48 h old passes; an older one is expired; a positive one is refused."""
    view = at_step(health, "nucleic_test")
    tested_at = health.clock.now() - age
    view = health.desk.nucleic_test(view.id, tested_at, negative=negative)
    assert (view.outcome, view.reason) == (outcome, reason)
    if outcome is None:
        assert view.step == "mask"


def test_no_nucleic_test_refuses(health: Harness) -> None:
    """No test report refuses with no_test."""
    view = health.desk.nucleic_test(at_step(health, "nucleic_test").id, None)
    assert (view.outcome, view.reason) == ("refused", "no_test")


def test_nucleic_test_in_the_future_is_invalid(health: Harness) -> None:
    """A test dated after the arrival is a typing error, not a pass."""
    view = at_step(health, "nucleic_test")
    with pytest.raises(InvalidInputError):
        health.desk.nucleic_test(view.id, health.clock.now() + dt.timedelta(hours=1))
    assert health.screening(view).state == "nucleic_test"


def test_nucleic_test_time_without_offset_is_invalid(health: Harness) -> None:
    """A test time without a UTC offset is ambiguous and refused."""
    view = at_step(health, "nucleic_test")
    with pytest.raises(InvalidInputError):
        health.desk.nucleic_test(view.id, dt.datetime(2026, 11, 22, 9, 0))  # noqa: DTZ001 - the point of the test


def test_nucleic_test_in_utc_is_compared_as_an_instant(health: Harness) -> None:
    """A report time in UTC is converted: 47 h before arrival in Shanghai time still passes."""
    view = at_step(health, "nucleic_test")
    tested_at = (health.clock.now() - dt.timedelta(hours=47)).astimezone(dt.UTC)
    assert health.desk.nucleic_test(view.id, tested_at).step == "mask"


# --- key area and abandonment --------------------------------------------------------------------------------


def test_key_area_arrival_is_referred_with_services(with_health: Harness) -> None:
    """An arrival from a key area is referred at once to the separate room, proxy and remote services."""
    h = with_health
    view = h.desk.arrive(h.arrival(key_area=True))
    assert (view.outcome, view.reason) == ("referred", "key_area")
    assert view.services == ("separate_room", "proxy", "remote")
    assert view.message
    assert h.store.admissions == {}


def test_key_area_arrival_is_screened_under_badge_only(badge_only: Harness) -> None:
    """The badge-only regime has no key-area rule: the arrival is registered like everyone."""
    view = badge_only.run(badge_only.desk.arrive(badge_only.arrival(key_area=True)))
    assert view.outcome == "admitted"


def _abandon_points() -> list[tuple[str, str, Phase]]:
    points: list[tuple[str, str, Phase]] = []
    for preset in PRESETS:
        policy = load_preset(preset)
        for step in policy.steps:
            points.append((preset, step.id, Phase.MAIN))
            if isinstance(step, TemperatureStep) and step.ask_questions:
                points.append((preset, step.id, Phase.QUESTIONS))
    return points


@pytest.mark.parametrize(("preset", "step", "phase"), _abandon_points())
def test_abandon_at_any_step(preset: str, step: str, phase: Phase) -> None:
    """A person who walks away at any step ends abandoned, with no admission and no badge."""
    h = Harness(preset)
    view = at_step(h, step, phase)
    view = h.desk.abandon(view.id)
    assert (view.outcome, view.reason, view.state) == ("abandoned", "abandoned", "abandoned")
    assert h.store.admissions == {}
    assert h.store.badges == {}


def test_abandon_while_resting(miyun: Harness) -> None:
    """Leaving during the rest after a fever is an abandonment too."""
    view = miyun.desk.measure(at_step(miyun, "temperature").id, 38.0)
    assert miyun.desk.abandon(view.id).outcome == "abandoned"


# --- records -----------------------------------------------------------------------------------------------


def test_every_record_names_desk_operator_and_an_aware_time(any_preset: Harness) -> None:
    """Each step record says which desk and operator did it and when, with a UTC offset."""
    h = any_preset
    view = h.admit(PEOPLE[0])
    records = h.screening(view).records
    assert records
    for record in records:
        assert (record.desk, record.operator) == ("A", "王芳")
        assert record.at.utcoffset() is not None
        assert record.screening_id == view.id


def test_records_carry_the_clock_time(miyun: Harness) -> None:
    """Records take the time of the clock when the action was done."""
    view = at_step(miyun, "temperature")
    miyun.clock.set(dt.datetime(2026, 11, 23, 9, 12, tzinfo=SHANGHAI))
    miyun.desk.measure(view.id, 36.5)
    assert miyun.screening(view).records[-1].at == dt.datetime(2026, 11, 23, 9, 12, tzinfo=SHANGHAI)


def test_health_records_are_sensitive_and_others_not(with_health: Harness) -> None:
    """Readings, answers, declarations, codes and tests are flagged sensitive; mask and confirm steps are not."""
    h = with_health
    view = h.run(h.desk.measure(at_step(h, "temperature").id, 33.0))
    assert view.outcome == "admitted"
    health_steps = {"temperature", "declaration", "health_code", "nucleic_test"}
    for record in h.screening(view).records:
        step = record.action.split(":")[0]
        if step in health_steps:
            assert record.sensitive, record.action
        else:
            assert not record.sensitive, record.action
    actions = {r.action for r in h.screening(view).records}
    assert {"temperature:measuring_error", "temperature:normal", "temperature:answers"} <= actions


def test_fever_and_symptom_refusals_are_sensitive(miyun: Harness) -> None:
    """A refusal that records a reading or answers is flagged sensitive; a mask refusal is not."""
    view = at_step(miyun, "temperature", Phase.QUESTIONS)
    symptoms = miyun.desk.answer(view.id, answers_with(miyun.policy, symptoms=True))
    assert miyun.screening(symptoms).records[-1].sensitive
    no_mask = miyun.desk.mask(at_step(miyun, "mask").id, "refused")
    assert not miyun.screening(no_mask).records[-1].sensitive


def test_every_declaration_record_is_sensitive(miyun: Harness) -> None:
    """Whatever the form's status, the declaration step's records are health data and flagged sensitive."""
    view = miyun.desk.declare(at_step(miyun, "declaration").id, "missing")
    miyun.desk.declare(view.id, "complete")
    records = [r for r in miyun.screening(view).records if r.action.startswith("declaration:")]
    assert len(records) == 2
    assert all(r.sensitive for r in records)


def test_badge_only_records_nothing_sensitive(badge_only: Harness) -> None:
    """Without health checks, no record is flagged sensitive."""
    view = badge_only.admit(PEOPLE[0])
    assert not any(r.sensitive for r in badge_only.screening(view).records)


def test_health_presets_list() -> None:
    """The presets with health steps are exactly those whose policy says so."""
    assert {p for p in PRESETS if load_preset(p).health_checks} == set(HEALTH_PRESETS)
