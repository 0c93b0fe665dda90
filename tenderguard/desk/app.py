"""The interactive entrance desk: take each arrival's details, walk the operator through the policy's steps.

:func:`run_desk` drives :class:`~tenderguard.services.Desk` use cases from what the operator types: every value
is checked before it reaches the gate (a mistyped ID number, credit code or temperature is asked again and never
stored), each step of the policy is asked in order from the screening's current state (so an interrupted
screening resumes where it stopped), and the outcome is shown before the screen is wiped for the next person.
All text comes from the catalogue in :mod:`tenderguard.desk.messages`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TypeVar

from tenderguard.desk.answers import NO, YES, TestTimeError, typed_reading, typed_test_time
from tenderguard.desk.messages import Catalogue, catalogue
from tenderguard.desk.terminal import PlainTerminal, Terminal
from tenderguard.domain.catalogue import reason_label, role_label
from tenderguard.domain.machine import Phase, StatePlace
from tenderguard.domain.model import Arrival
from tenderguard.errors import InvalidInputError, TenderGuardError
from tenderguard.identity import (
    normalise_company_name,
    normalise_mobile,
    parse_document,
    validate_organisation_id,
    validate_person_name,
)
from tenderguard.policy import (
    DeclarationStep,
    HealthCodeStep,
    MaskStep,
    NucleicTestStep,
    QuestionsStep,
    Role,
    TemperatureStep,
)
from tenderguard.services import Desk, Gate, ScreeningView

__all__ = ["DeskQuit", "run_desk"]

T = TypeVar("T")

QUIT, ABANDON, REMEASURE, PARK = "q", "a", "r", "p"
#: Roles whose company must be named (their places are counted per company).
_COMPANY_ROLES = (Role.BIDDER, Role.TENDERER, Role.AGENCY)
#: How often the rest countdown is shown while the operator waits.
_WAIT_TICK = 15.0


class DeskQuit(Exception):
    """Raised when the operator types ``q``: the desk closes, an open screening stays open to resume."""


class _Abandon(Exception):
    """The operator typed ``a``: the person left."""


class _Parked(Exception):
    """The operator typed ``p`` during a rest: the person waits aside and the desk takes the next arrival."""


class _Invalid(Exception):
    """A typed value was not accepted; the message says why (already translated)."""


class _DeskApp:
    """One desk session in a terminal."""

    def __init__(self, gate: Gate, desk: Desk, *, session: str, term: Terminal, t: Catalogue,
                 sleep: Callable[[float], None]) -> None:
        self.gate, self.desk, self.session, self.term, self.t, self.sleep = gate, desk, session, term, t, sleep
        self.hall = gate.session(session).hall
        self.tally: Counter[str] = Counter()

    # ------------------------------------------------------------------------------------------ the loop

    def run(self) -> Counter[str]:
        try:
            while True:
                self.term.clear()
                self.term.forget()
                self._header()
                view = self._next()
                view = self._walk(view)
                if view.closed:
                    self._outcome(view)
                else:  # parked during a rest: listed to resume when the re-measure is due
                    until = f"{view.rest_until:%H:%M:%S}" if view.rest_until else ""
                    self.term.say(self.t("rest.parked", name=view.name_masked, until=until), "warn")
                self.tally[view.outcome or "parked"] += 1
                self._ask_raw(self.t("prompt.next"))
        except (DeskQuit, EOFError, KeyboardInterrupt):
            pass
        except BaseException:  # an error ends the desk: leave nobody's data on the screen
            self.term.clear()
            self.term.forget()
            raise
        self.term.clear()
        self.term.forget()
        self.term.say(self.t("bye", admitted=self.tally["admitted"], refused=self.tally["refused"],
                             referred=self.tally["referred"], abandoned=self.tally["abandoned"]))
        return self.tally

    def _header(self, name: str | None = None) -> None:
        actor = self.desk.actor
        self.term.say(self.t("status", desk=actor.desk, operator=actor.operator, session=self.session,
                             hall=self.hall), "title")
        if name:
            self.term.say(self.t("status.person", name=name), "dim")

    def _next(self) -> ScreeningView:
        """Resume an interrupted screening of the session, or take a new arrival."""
        waiting = [v for v in self.gate.open_screenings() if v.session == self.session]
        if not waiting:
            return self._arrival()
        self.term.say(self.t("resume.title"), "warn")
        for number, view in enumerate(waiting, start=1):
            step = view.step_label or view.state
            if view.rest_until is not None:
                step += self.t("resume.resting", until=f"{view.rest_until:%H:%M:%S}")
            self.term.say(self.t("resume.item", number=number, name=view.name_masked,
                                 role=self._role_label(view.role), step=step))
        while True:
            answer = self._ask_raw(self.t("resume.prompt", count=len(waiting)))
            if not answer:
                return self._arrival()
            if answer.isdigit() and 1 <= int(answer) <= len(waiting):
                view = self.desk.view(waiting[int(answer) - 1].id)
                self.term.clear()
                self._header(view.name_masked)
                self.term.say(self.t("resume.resumed", name=view.name_masked), "warn")
                return view
            self.term.say(self.t("error.choice"), "bad")

    # ------------------------------------------------------------------------------------------ input

    def _ask_raw(self, prompt: str) -> str:
        """One line, stripped; ``q`` quits anywhere."""
        answer = self.term.ask(prompt).strip()
        if answer.lower() == QUIT:
            raise DeskQuit
        return answer

    def _ask(self, prompt: str, parse: Callable[[str], T]) -> T:
        """Ask until ``parse`` accepts the answer; ``a`` abandons (the person left)."""
        while True:
            answer = self._ask_raw(prompt)
            if answer.lower() == ABANDON:
                raise _Abandon
            try:
                return parse(answer)
            except _Invalid as exc:
                self.term.say(str(exc), "bad")
            except InvalidInputError as exc:
                self.term.say(self._problem(exc), "bad")

    def _problem(self, exc: TenderGuardError) -> str:
        field = getattr(exc, "field", "")
        label = self.t.get(f"field.{field}", self.t("field.other"))
        detail = exc.message.removeprefix(f"{field}: ") + (f" — {exc.hint}" if exc.hint else "")
        return self.t("error.invalid", field=label, detail=detail)

    def _yes_no(self, prompt: str) -> bool:
        def parse(answer: str) -> bool:
            word = answer.lower()
            if word in YES:
                return True
            if word in NO:
                return False
            raise _Invalid(self.t("error.yes_no"))

        return self._ask(prompt + self.t("hint.yes_no"), parse)

    def _choice(self, title: str, options: Sequence[str], labels: Sequence[str]) -> str:
        """One of ``options`` by its number or its code."""
        listed = "  ".join(f"{n}) {label}" for n, label in enumerate(labels, start=1))

        def parse(answer: str) -> str:
            word = answer.lower()
            if word.isdigit() and 1 <= int(word) <= len(options):
                return options[int(word) - 1]
            if word in options:
                return word
            raise _Invalid(self.t("error.choice"))

        self.term.say(f"{title}: {listed}")
        return self._ask(self.t("prompt.choice"), parse)

    @staticmethod
    def _optional(parse: Callable[[str], str]) -> Callable[[str], str | None]:
        return lambda answer: parse(answer) if answer else None

    def _role_label(self, role: str) -> str:
        return role_label(role, self.t.lang)

    # ------------------------------------------------------------------------------------------ arrival

    def _arrival(self) -> ScreeningView:
        """Take the arrival's details, each checked as it is typed, and open the screening."""
        self.term.say(self.t("arrival.title"), "title")
        try:
            name = self._ask(self.t("prompt.name"), validate_person_name)
            document = self._ask(self.t("prompt.id_number"), parse_document)
            roles = [r.value for r in Role]
            role = Role(self._choice(self.t("prompt.role"), roles, [self._role_label(r) for r in roles]))
            company = credit_code = None
            if role in _COMPANY_ROLES:
                company = self._ask(self.t("prompt.company"), normalise_company_name)
                credit_code = self._ask(self.t("prompt.credit_code"), validate_organisation_id)
            phone = self._ask(self.t("prompt.phone"), self._optional(normalise_mobile))
            key_area = self._yes_no(self.t("prompt.key_area"))
            while True:
                try:
                    arrival = Arrival(session=self.session, role=role, name=name, document=document,
                                      at=self.gate.clock.now(), company=company, credit_code=credit_code,
                                      phone=phone, key_area=key_area)
                    view = self.desk.arrive(arrival)
                except InvalidInputError as exc:
                    self.term.say(self._problem(exc), "bad")
                    if exc.field == "credit_code" and role in _COMPANY_ROLES:
                        credit_code = self._ask(self.t("prompt.credit_code"), validate_organisation_id)
                        continue
                    if exc.field == "company" and role in _COMPANY_ROLES:
                        company = self._ask(self.t("prompt.company"), normalise_company_name)
                        continue
                    raise
                self.term.clear()
                self._header(view.name_masked)
                self.term.say(self.t("arrival.opened", name=view.name_masked, id_number=document.masked(),
                                     role=self._role_label(role)))
                if view.badge_note:
                    self.term.say(self.t("arrival.badge_note", note=view.badge_note), "warn")
                return view
        except _Abandon:
            self.term.say(self.t("arrival.cancelled"), "warn")
            return self._arrival()

    # ------------------------------------------------------------------------------------------ steps

    def _walk(self, view: ScreeningView) -> ScreeningView:
        """Ask each step of the policy from the screening's current state until it closes."""
        while not view.closed:
            place = self.gate.machine.places.get(view.state)
            if place is None:  # between steps (never left so by the desk): read it again
                view = self.desk.view(view.id)
                if not view.closed and view.state not in self.gate.machine.places:
                    raise TenderGuardError(f"screening {view.id} is stuck in {view.state}")
                continue
            self.term.say(self.t("step.title", step=place.step.label), "title")
            try:
                view = self._act(view, place)
            except _Parked:
                return view
            except _Abandon:
                view = self.desk.abandon(view.id)
            except TenderGuardError as exc:  # refused by the gate: nothing was stored, ask the step again
                self.term.say(self._problem(exc), "bad")
        return view

    def _act(self, view: ScreeningView, place: StatePlace) -> ScreeningView:
        step, sid = place.step, view.id
        if place.phase is Phase.QUESTIONS or isinstance(step, QuestionsStep):
            answers = {q.id: self._yes_no(q.text) for q in self.gate.policy.questions}
            return self.desk.answer(sid, answers)
        if isinstance(step, MaskStep):
            options = ["ok", "replaced", "refused"]
            return self.desk.mask(sid, self._choice(step.label, options, [self.t(f"mask.{o}") for o in options]))
        if isinstance(step, TemperatureStep):
            return self._temperature(view, step, place)
        if isinstance(step, DeclarationStep):
            if place.phase is Phase.FILL_IN:
                filled = self._yes_no(self.t("prompt.fill_in"))
                return self.desk.declare(sid, "complete" if filled else "missing")
            options = ["complete", "missing", "mismatch"]
            return self.desk.declare(sid, self._choice(step.label, options,
                                                       [self.t(f"declaration.{o}") for o in options]))
        if isinstance(step, HealthCodeStep):
            options = ["green", "yellow", "red"]
            return self.desk.health_code(sid, self._choice(step.label, options,
                                                           [self.t(f"colour.{o}") for o in options]))
        if isinstance(step, NucleicTestStep):
            tested_at = self._ask(self.t("prompt.test_at"), self._test_time)
            negative = tested_at is None or self._yes_no(self.t("prompt.test_negative"))
            return self.desk.nucleic_test(sid, tested_at, negative=negative)
        self._ask(self.t("prompt.confirm", step=step.label), self._confirmed)
        return self.desk.confirm(sid)

    def _confirmed(self, answer: str) -> bool:
        if not answer or answer.lower() in YES:
            return True
        raise _Invalid(self.t("error.confirm"))

    def _test_time(self, answer: str) -> dt.datetime | None:
        try:
            return typed_test_time(answer, self.gate.clock.now(), self.gate.centre.tz)
        except TestTimeError as exc:
            raise _Invalid(self.t("error.test_future" if exc.args[0] == "future" else "error.test_time")) from None

    def _temperature(self, view: ScreeningView, step: TemperatureStep, place: StatePlace) -> ScreeningView:
        if place.phase is Phase.REST and view.rest_until is not None:
            self._rest(view.rest_until)
        celsius = self._ask(self.t("prompt.temperature"), lambda answer: self._reading(answer, step))
        after = self.desk.measure(view.id, celsius)
        if after.closed:
            return after
        if not step.is_plausible(celsius):
            self.term.say(self.t("temperature.error"), "warn")
        elif step.is_fever(celsius) and after.rest_until is not None:
            self.term.say(self.t("temperature.fever", celsius=celsius, until=f"{after.rest_until:%H:%M:%S}"), "warn")
        else:
            self.term.say(self.t("temperature.normal", celsius=celsius), "ok")
        return after

    def _reading(self, answer: str, step: TemperatureStep) -> float:
        """A typed reading in °C: two digits and up to two decimals; one outside the plausible range is confirmed."""
        celsius = typed_reading(answer)
        if celsius is None:
            raise _Invalid(self.t("error.temperature", value=answer))
        if not step.is_plausible(celsius) and not self._yes_no(self.t(
                "prompt.implausible", celsius=celsius, low=step.plausible_min, high=step.plausible_max)):
            raise _Invalid(self.t("temperature.again"))
        return celsius

    def _rest(self, until: dt.datetime) -> None:
        """After a fever: wait until the rest is over (Enter), or re-measure with ``r`` once it is."""
        while True:
            now = self.gate.clock.now()
            due = now >= until
            answer = self._ask_raw(self.t("prompt.rest_due" if due else "prompt.rest", until=f"{until:%H:%M:%S}"))
            if answer.lower() == ABANDON:
                raise _Abandon
            if answer.lower() == PARK:
                raise _Parked
            if answer.lower() == REMEASURE or (due and not answer):
                if self.gate.clock.now() >= until:
                    return
                self.term.say(self.t("rest.not_due", until=f"{until:%H:%M:%S}"), "bad")
                continue
            if not answer:
                self._wait(until)
                return
            self.term.say(self.t("error.choice"), "bad")

    def _wait(self, until: dt.datetime) -> None:
        try:
            while (left := (until - self.gate.clock.now()).total_seconds()) > 0:
                self.term.say(self.t("rest.waiting", seconds=int(left + 0.999), until=f"{until:%H:%M:%S}"), "dim")
                self.sleep(min(left, _WAIT_TICK))
        except KeyboardInterrupt:  # stop waiting, back to the rest prompt's choices
            self._rest(until)

    # ------------------------------------------------------------------------------------------ outcome

    def _outcome(self, view: ScreeningView) -> None:
        if view.outcome == "admitted":
            self.term.say(self.t("outcome.admitted", badge=view.badge, hall=self.hall), "ok")
        elif view.outcome == "refused":
            reason = reason_label(view.reason, self.t.lang)
            self.term.say(self.t("outcome.refused", reason=reason), "bad")
        elif view.outcome == "referred":
            reason = reason_label(view.reason, self.t.lang)
            services = self.t("list.separator").join(self.t.get(f"service.{s}", s) for s in view.services)
            self.term.say(self.t("outcome.referred", reason=reason, services=services), "warn")
        else:
            self.term.say(self.t("outcome.abandoned"), "warn")
        if view.outcome != "admitted" and view.message:
            self.term.say(self.t("outcome.tell", message=view.message))


def run_desk(
    gate: Gate,
    *,
    session: str,
    desk: str,
    operator: str,
    lang: str = "zh",
    terminal: Terminal | None = None,
    prompt_fn: Callable[[str], str] | None = None,
    output: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    """Run the interactive desk for one session until the operator types ``q``; return the outcomes counted.

    The terminal defaults to a plain one over ``prompt_fn`` and ``output`` (or standard input and output); the
    command passes a prompt_toolkit terminal on a real console. ``gate.session(session)`` must exist.
    """
    term = terminal or PlainTerminal(prompt_fn, output)
    app = _DeskApp(gate, gate.desk(desk, operator), session=session, term=term, t=catalogue(lang), sleep=sleep)
    return dict(app.run())
