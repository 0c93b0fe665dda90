"""The screening state machine, built from the policy's steps (never hard-coded).

One shared :class:`transitions.Machine` per policy defines the graph every screening moves through: each desk
action fires one of the machine's triggers on the screening (its ``state`` attribute is the machine state), so
thousands of open screenings share one machine without being bound to it. The graph is::

    arrived --check_in--> <step 1> --advance--> ... <step n> --advance--> cleared --admit--> admitted
    arrived --re_enter--> re_<step a> --advance--> ... ------------------> cleared
    <temperature> --rest--> <temperature>_rest --rest--> ... --advance--> next      (fever, re-measure)
    <temperature> --advance--> <temperature>_questions --advance--> next          (测温问体)
    <declaration> --fill_in--> <declaration>_fill_in --advance--> next           (form filled in at the desk)
    any open state --refuse / refer / abandon--> refused / referred / abandoned

The machine only knows which moves exist; the decisions (is this a fever? is the quota used?) are made by the
screening and the admission rules, which then fire the one trigger that applies.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import attrs
from transitions import Machine, MachineError

from tenderguard.errors import InvalidTransitionError, PolicyError
from tenderguard.i18n import _
from tenderguard.policy import (
    DeclarationStep,
    HealthCodeStep,
    MaskStep,
    NucleicTestStep,
    Policy,
    QuestionsStep,
    Step,
    TemperatureStep,
)

__all__ = ["TERMINAL_STATES", "Phase", "ScreeningMachine", "StatePlace"]

ARRIVED, CLEARED = "arrived", "cleared"
TERMINAL_STATES = ("admitted", "refused", "referred", "abandoned")
REENTRY_PREFIX = "re_"


class Phase(enum.StrEnum):
    """Which part of a step a state stands for."""

    MAIN = "main"
    REST = "rest"  # resting after a fever, waiting to be re-measured
    QUESTIONS = "questions"  # the health questions of a 测温问体 step
    FILL_IN = "fill_in"  # filling in the declaration at the desk


@attrs.frozen
class StatePlace:
    """Where a state sits in the procedure: its step, the phase within the step, and whether it is a re-entry."""

    step: Step
    phase: Phase
    reentry: bool

    def expected_action(self) -> str:
        """The desk action this state waits for (for error messages and the desk display)."""
        if self.phase is Phase.QUESTIONS or isinstance(self.step, QuestionsStep):
            return "answer"
        if self.phase is Phase.FILL_IN:
            return "declare(complete)"
        return {
            MaskStep: "mask(ok|replaced|refused)",
            TemperatureStep: "measure",
            DeclarationStep: "declare(complete|missing|mismatch)",
            HealthCodeStep: "health_code(green|yellow|red)",
            NucleicTestStep: "nucleic_test",
        }.get(type(self.step), "confirm")


def _states_of(step: Step, prefix: str) -> list[tuple[str, Phase]]:
    """The states one step occupies, in order of the main line, plus its side states."""
    base = prefix + step.id
    states = [(base, Phase.MAIN)]
    if isinstance(step, TemperatureStep):
        states.append((f"{base}_rest", Phase.REST))
        if step.ask_questions:
            states.append((f"{base}_questions", Phase.QUESTIONS))
    if isinstance(step, DeclarationStep) and step.fill_in_at_desk:
        states.append((f"{base}_fill_in", Phase.FILL_IN))
    return states


class ScreeningMachine:
    """The shared machine of one policy, plus the map from each state to its step and phase."""

    def __init__(self, policy: Policy) -> None:
        """Build the graph for the policy's entry steps and re-entry steps."""
        self.policy = policy
        self.places: dict[str, StatePlace] = {}
        self.transitions: list[dict[str, Any]] = []
        entry_first = self._line(policy.steps, "", reentry=False)
        self.transitions.append({"trigger": "check_in", "source": ARRIVED, "dest": entry_first})
        if policy.reentry.allowed:
            re_first = self._line(policy.reentry_steps(), REENTRY_PREFIX, reentry=True)
            self.transitions.append({"trigger": "re_enter", "source": ARRIVED, "dest": re_first})
        self.open_states = [ARRIVED, *self.places, CLEARED]
        self.transitions.append({"trigger": "admit", "source": CLEARED, "dest": "admitted"})
        for trigger, dest in (("refuse", "refused"), ("refer", "referred"), ("abandon", "abandoned")):
            self.transitions.append({"trigger": trigger, "source": list(self.open_states), "dest": dest})
        self.states = [*self.open_states, *TERMINAL_STATES]
        self.machine = Machine(
            model=None,
            states=self.states,
            transitions=self.transitions,
            initial=ARRIVED,
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )
        #: Per state, worked out once (every desk view shows them): the step's id and label (None outside the
        #: steps) and what a desk may do.
        self.desk_lines: dict[str, tuple[str | None, str | None, tuple[str, ...]]] = {
            state: (place.step.id, place.step.label, self._expected_in(state)) if (place := self.places.get(state))
            else (None, None, self._expected_in(state)) for state in self.states
        }

    def _line(self, steps: Sequence[Step], prefix: str, *, reentry: bool) -> str:
        """Add one line of steps (entry or re-entry) and return its first state."""
        lines = [_states_of(step, prefix) for step in steps]
        for step, states in zip(steps, lines, strict=True):
            for name, phase in states:
                if name in self.places or name in (ARRIVED, CLEARED, *TERMINAL_STATES):
                    raise PolicyError([(f"steps.{step.id}", _("state name {name!r} collides with another state; "
                                                              "rename the step", name=name))])
                self.places[name] = StatePlace(step, phase, reentry)
        firsts = [states[0][0] for states in lines]
        for i, states in enumerate(lines):
            nxt = firsts[i + 1] if i + 1 < len(lines) else CLEARED
            main = states[0][0]
            by_phase = {phase: name for name, phase in states}
            questions = by_phase.get(Phase.QUESTIONS)
            after_reading = questions or nxt
            if Phase.REST in by_phase:
                rest = by_phase[Phase.REST]
                self.transitions += [
                    {"trigger": "advance", "source": [main, rest], "dest": after_reading},
                    {"trigger": "rest", "source": [main, rest], "dest": rest},
                ]
                if questions:
                    self.transitions.append({"trigger": "advance", "source": questions, "dest": nxt})
            elif Phase.FILL_IN in by_phase:
                fill = by_phase[Phase.FILL_IN]
                self.transitions += [
                    {"trigger": "advance", "source": [main, fill], "dest": nxt},
                    {"trigger": "fill_in", "source": main, "dest": fill},
                ]
            else:
                self.transitions.append({"trigger": "advance", "source": main, "dest": nxt})
        return firsts[0] if firsts else CLEARED

    # -- driving models

    def attach(self, model: Any, state: str) -> None:
        """Put a screening in a (stored) state of this machine before it is driven; an unknown state is refused."""
        if state not in self.states:
            raise InvalidTransitionError(getattr(model, "id", "?"), state, "resume", self.states)
        model.state = state

    def detach(self, model: Any) -> None:
        """Nothing to undo: screenings are driven through the shared machine's events, never bound to it."""

    def fire(self, model: Any, trigger: str) -> None:
        """Move a screening along one edge with the shared machine's own event (``Event.trigger``).

        The graph has no conditions: the decisions are the screening's. A move the graph lacks — which
        ``transitions`` reports with a ``MachineError`` — is raised as :class:`InvalidTransitionError` naming the
        screening, its state and what the desk may do there.
        """
        event = self.machine.events.get(trigger)
        try:
            moved = event is not None and event.trigger(model)
        except MachineError:
            moved = False
        if not moved:
            raise InvalidTransitionError(model.id, model.state, trigger, self.expected(model.state))

    def edges(self) -> dict[tuple[str, str], str]:
        """Every move of the graph: ``(state, trigger) -> next state``, read from the machine's events."""
        return {(source, trigger): str(transitions[0].dest)
                for trigger, event in self.machine.events.items()
                for source, transitions in event.transitions.items()}

    def expected(self, state: str) -> list[str]:
        """The actions a desk may take in a state."""
        return list(self.expected_actions(state))

    def expected_actions(self, state: str) -> tuple[str, ...]:
        """The actions a desk may take in a state, as a tuple (the same one every time)."""
        found = self.desk_lines.get(state)
        return self._expected_in(state) if found is None else found[2]

    def _expected_in(self, state: str) -> tuple[str, ...]:
        if state in TERMINAL_STATES:
            return ()
        if state == ARRIVED:
            return ("check_in", "abandon")
        if state == CLEARED:
            return ("admit", "refuse", "abandon")
        return (self.places[state].expected_action(), "abandon")

    def mermaid(self) -> str:
        """The machine as a Mermaid state diagram (``stateDiagram-v2``)."""
        from transitions.extensions import GraphMachine  # noqa: PLC0415 - the diagram tools, only when drawing

        class _Diagram:
            pass

        graph = GraphMachine(
            model=_Diagram(),
            states=self.states,
            transitions=self.transitions,
            initial=ARRIVED,
            auto_transitions=False,
            graph_engine="mermaid",
            title=f"TenderGuard screening — {self.policy.name}",
            show_state_attributes=False,
        )
        text: str = graph.get_graph().draw(None)
        return text
