"""Unit tests of the screening state machine: built from the policy, its expected actions, its diagram, errors."""

from __future__ import annotations

from typing import Any

import pytest
from gatekit import PEOPLE, PRESETS, Harness, policy_data, tiny_policy

from tenderguard.domain.machine import TERMINAL_STATES, Phase, ScreeningMachine
from tenderguard.errors import InvalidTransitionError, PolicyError
from tenderguard.policy import (
    DeclarationStep,
    Policy,
    QuestionsStep,
    TemperatureStep,
    load_preset,
    parse_policy,
)

#: These tests read the English wording of the messages (the catalogue's msgids); test_i18n checks the Chinese.
pytestmark = pytest.mark.usefixtures("english_module")


class Model:
    """A bare model for driving the machine without a screening."""

    def __init__(self, ident: str) -> None:
        """Name the model; the machine sets its state."""
        self.id = ident
        self.state = ""


def derived_states(policy: Policy) -> set[str]:
    """The states a policy's machine must have, worked out from the policy's steps by hand."""

    def of(step: Any, prefix: str) -> list[str]:
        names = [prefix + step.id]
        if isinstance(step, TemperatureStep):
            names.append(f"{prefix}{step.id}_rest")
            if step.ask_questions:
                names.append(f"{prefix}{step.id}_questions")
        if isinstance(step, DeclarationStep) and step.fill_in_at_desk:
            names.append(f"{prefix}{step.id}_fill_in")
        return names

    states = {"arrived", "cleared", *TERMINAL_STATES}
    for step in policy.steps:
        states.update(of(step, ""))
    if policy.reentry.allowed:
        for step in policy.reentry_steps():
            states.update(of(step, "re_"))
    return states


@pytest.mark.parametrize("preset", PRESETS)
def test_states_are_derived_from_the_policy(preset: str) -> None:
    """Every preset's machine has exactly the states its steps call for, and nothing else."""
    policy = load_preset(preset)
    machine = ScreeningMachine(policy)
    assert set(machine.states) == derived_states(policy)
    assert len(machine.states) == len(set(machine.states))


def test_a_single_confirm_step_gives_a_tiny_machine() -> None:
    """A policy with only a registration step has only that step between arrival and clearance."""
    policy = tiny_policy()
    machine = ScreeningMachine(policy)
    assert set(machine.states) == {"arrived", "registration", "re_registration", "cleared", *TERMINAL_STATES}
    model = Model("tiny-1")
    machine.attach(model, "arrived")
    machine.fire(model, "check_in")
    assert model.state == "registration"
    machine.fire(model, "advance")
    assert model.state == "cleared"
    machine.fire(model, "admit")
    assert model.state == "admitted"
    machine.detach(model)


def test_renamed_steps_rename_the_states() -> None:
    """State names come from the step ids of the policy, never from a fixed list."""
    policy = parse_policy({"name": "renamed", "title": "改名", "steps": [
        {"id": "kouzhao", "kind": "mask", "label": "口罩"},
        {"id": "tiwen", "kind": "temperature", "label": "体温"},
    ]})
    machine = ScreeningMachine(policy)
    assert {"kouzhao", "tiwen", "tiwen_rest"} <= set(machine.states)
    assert "mask" not in machine.states
    assert "temperature" not in machine.states
    assert machine.places["tiwen_rest"].phase is Phase.REST


def test_reentry_not_allowed_has_no_reentry_line() -> None:
    """With re-entry forbidden, no re_ states and no re_enter trigger exist."""
    data = policy_data("miyun-2020")
    data["reentry"] = {"allowed": False, "steps": []}
    machine = ScreeningMachine(parse_policy(data))
    assert not [s for s in machine.states if s.startswith("re_")]
    assert "re_enter" not in {t["trigger"] for t in machine.transitions}


def test_the_main_line_follows_the_step_order() -> None:
    """From arrival, passing every step visits the policy's steps in order, then clears."""
    policy = load_preset("miyun-2020")
    machine = ScreeningMachine(policy)
    model = Model("line-1")
    machine.attach(model, "arrived")
    machine.fire(model, "check_in")
    visited = [model.state]
    while model.state != "cleared":
        machine.fire(model, "advance")
        visited.append(model.state)
    main_steps = [s for s in visited if s in {st.id for st in policy.steps}]
    assert main_steps == [s.id for s in policy.steps]
    assert "temperature_questions" in visited
    assert visited.index("temperature_questions") == visited.index("temperature") + 1


def test_expected_actions_per_state() -> None:
    """expected() names the desk action each state waits for, plus abandon while open."""
    machine = ScreeningMachine(load_preset("health-code"))
    assert machine.expected("arrived") == ["check_in", "abandon"]
    assert machine.expected("cleared") == ["admit", "refuse", "abandon"]
    assert machine.expected("mask") == ["mask(ok|replaced|refused)", "abandon"]
    assert machine.expected("shoe_disinfection") == ["confirm", "abandon"]
    assert machine.expected("temperature") == ["measure", "abandon"]
    assert machine.expected("temperature_rest") == ["measure", "abandon"]
    assert machine.expected("temperature_questions") == ["answer", "abandon"]
    assert machine.expected("declaration")[0].startswith("declare(")
    assert machine.expected("declaration_fill_in") == ["declare(complete)", "abandon"]
    assert machine.expected("health_code")[0].startswith("health_code(")
    assert machine.expected("nucleic_test") == ["nucleic_test", "abandon"]
    for state in TERMINAL_STATES:
        assert machine.expected(state) == []


def test_a_questions_step_expects_answers() -> None:
    """A separate questions step waits for answers."""
    policy = parse_policy({
        "name": "asked", "title": "问询",
        "steps": [{"id": "wenxun", "kind": "questions", "label": "问询"}],
        "questions": [{"id": "symptoms", "text": "近14天内是否有发热症状?"}],
    })
    machine = ScreeningMachine(policy)
    assert isinstance(machine.places["wenxun"].step, QuestionsStep)
    assert machine.expected("wenxun") == ["answer", "abandon"]


@pytest.mark.parametrize("preset", PRESETS)
def test_mermaid_names_every_step(preset: str) -> None:
    """The Mermaid diagram is a stateDiagram-v2 mentioning every step id of the policy."""
    policy = load_preset(preset)
    text = ScreeningMachine(policy).mermaid()
    assert "stateDiagram-v2" in text
    for step in policy.steps:
        assert step.id in text
    assert "admitted" in text


def test_firing_an_impossible_trigger_raises_with_the_expected_actions() -> None:
    """Admitting straight from arrival is not a move of the graph."""
    machine = ScreeningMachine(load_preset("miyun-2020"))
    model = Model("jump-1")
    machine.attach(model, "arrived")
    with pytest.raises(InvalidTransitionError) as info:
        machine.fire(model, "admit")
    assert info.value.screening_id == "jump-1"
    assert info.value.state == "arrived"
    assert info.value.expected == ("check_in", "abandon")
    assert model.state == "arrived"


TRIGGERS = ("check_in", "re_enter", "advance", "rest", "fill_in", "admit", "refuse", "refer", "abandon", "jump")


@pytest.mark.parametrize("preset", PRESETS)
def test_every_state_and_trigger_moves_as_the_graph_says_or_is_refused(preset: str) -> None:
    """For every state and trigger, firing moves exactly along the graph's edge, or refuses and stays put."""
    machine = ScreeningMachine(load_preset(preset))
    edges = machine.edges()
    moves = 0
    for state in machine.states:
        for trigger in TRIGGERS:
            model = Model("m")
            machine.attach(model, state)
            if (state, trigger) not in edges:
                with pytest.raises(InvalidTransitionError) as info:
                    machine.fire(model, trigger)
                assert (info.value.state, model.state) == (state, state)
                continue
            machine.fire(model, trigger)
            assert model.state == edges[state, trigger]
            moves += 1
    assert moves == len(edges)
    assert moves > len(machine.states)


def test_attaching_in_an_unknown_state_is_refused() -> None:
    """A stored state the policy's machine does not have cannot be resumed."""
    machine = ScreeningMachine(load_preset("badge-only"))
    with pytest.raises(InvalidTransitionError):
        machine.attach(Model("old-1"), "temperature")


def test_state_name_collision_is_a_policy_error() -> None:
    """A step whose id equals another step's side state cannot be built into a machine."""
    data = policy_data("miyun-2020")
    data["steps"].append({"id": "temperature_rest", "kind": "confirm", "label": "休息"})
    with pytest.raises(PolicyError, match="collides"):
        ScreeningMachine(parse_policy(data))


# --- through the desk --------------------------------------------------------------------------------------


def test_out_of_order_action_names_screening_state_and_expected(miyun: Harness) -> None:
    """Measuring while the person is at the mask step is refused, naming the screening, state and action."""
    view = miyun.desk.arrive(miyun.arrival())
    assert view.state == "mask"
    with pytest.raises(InvalidTransitionError) as info:
        miyun.desk.measure(view.id, 36.5)
    err = info.value
    assert err.screening_id == view.id
    assert err.state == "mask"
    assert err.action == "measure"
    assert "mask(ok|replaced|refused)" in err.expected
    message = str(err)
    assert view.id in message
    assert "'mask'" in message
    assert "measure" in message
    assert "mask(ok|replaced|refused)" in message
    assert miyun.screening(view).state == "mask"


def test_answer_before_the_reading_is_refused(miyun: Harness) -> None:
    """At the temperature step the reading comes first; answering then is out of order."""
    view = miyun.run(miyun.desk.arrive(miyun.arrival()), until="temperature")
    with pytest.raises(InvalidTransitionError, match="cannot answer now"):
        miyun.desk.answer(view.id, {"symptoms": False, "key_area_travel": False, "contact": False})


@pytest.mark.parametrize("action", ["confirm", "mask", "measure", "declare", "abandon"])
def test_a_closed_screening_refuses_further_actions(miyun: Harness, action: str) -> None:
    """Once admitted, nothing more can be done to a screening, and it stays admitted."""
    view = miyun.admit(PEOPLE[1])
    assert view.state == "admitted"
    calls = {
        "confirm": lambda: miyun.desk.confirm(view.id),
        "mask": lambda: miyun.desk.mask(view.id, "ok"),
        "measure": lambda: miyun.desk.measure(view.id, 36.5),
        "declare": lambda: miyun.desk.declare(view.id, "complete"),
        "abandon": lambda: miyun.desk.abandon(view.id),
    }
    with pytest.raises(InvalidTransitionError) as info:
        calls[action]()
    assert info.value.expected == ()
    assert "closed" in str(info.value)
    assert miyun.screening(view).state == "admitted"
    assert miyun.desk.view(view.id).outcome == "admitted"
