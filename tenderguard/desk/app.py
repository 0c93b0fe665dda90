"""The interactive entrance desk: take each arrival's details, walk the operator through the policy's steps.

:func:`run_desk` drives :class:`~tenderguard.services.Desk` use cases from what the operator types: every value
is checked before it reaches the gate (a mistyped ID number, credit code or temperature is asked again and never
stored), each step of the policy is asked in order from the screening's current state (so an interrupted
screening resumes where it stopped), and the outcome is shown before the screen is wiped for the next person.
All text comes from TenderGuard's one catalogue (:mod:`tenderguard.i18n`), in the desk's language.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TypeVar

from tenderguard.desk.answers import NO, YES, TestTimeError, typed_reading, typed_test_time
from tenderguard.desk.flow import DeskQuit, Invalid, Parked, PersonLeft
from tenderguard.desk.residence import ask_residence
from tenderguard.desk.terminal import PlainTerminal, Terminal
from tenderguard.domain.catalogue import FIELDS, answer_label, reason_label, role_label, service_label
from tenderguard.domain.machine import Phase, StatePlace
from tenderguard.domain.model import Arrival
from tenderguard.errors import InvalidInputError, TenderGuardError
from tenderguard.i18n import N_, _, use_language
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
REST = N_("Resting until {until}, then re-measure. p to let the person rest aside and take the next arrival; "
          "Enter to wait, r to re-measure when due, a if the person left> ")
REST_DUE = N_("Rest over ({until}): Enter or r to re-measure, p to keep resting> ")


class _DeskApp:
    """One desk session in a terminal."""

    def __init__(self, gate: Gate, desk: Desk, *, session: str, term: Terminal,
                 sleep: Callable[[float], None]) -> None:
        self.gate, self.desk, self.session, self.term, self.sleep = gate, desk, session, term, sleep
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
                    if view.asks_residence:
                        ask_residence(self, view)
                else:  # parked during a rest: listed to resume when the re-measure is due
                    until = f"{view.rest_until:%H:%M:%S}" if view.rest_until else ""
                    self.term.say(_("{name} is resting; re-measure from {until} (choose them when the list is shown)",
                                    name=view.name_masked, until=until), "warn")
                self.tally[view.outcome or "parked"] += 1
                self._ask_raw(_("Enter for the next arrival (the screen is cleared), q to quit> "))
        except (DeskQuit, EOFError, KeyboardInterrupt):
            pass
        except BaseException:  # an error ends the desk: leave nobody's data on the screen
            self.term.clear()
            self.term.forget()
            raise
        self.term.clear()
        self.term.forget()
        self.term.say(_("Desk closed: admitted {admitted}, refused {refused}, referred {referred}, left {abandoned}. "
                        "Unfinished screenings can be resumed at the next start.", admitted=self.tally["admitted"],
                        refused=self.tally["refused"], referred=self.tally["referred"],
                        abandoned=self.tally["abandoned"]))
        return self.tally

    def _header(self, name: str | None = None) -> None:
        actor = self.desk.actor
        self.term.say(_("[Desk {desk} · operator {operator} · session {session} · {hall}]", desk=actor.desk,
                        operator=actor.operator, session=self.session, hall=self.hall), "title")
        if name:
            self.term.say(_("Now screening: {name}", name=name), "dim")

    def _next(self) -> ScreeningView:
        """Resume an interrupted screening of the session, or take a new arrival."""
        waiting = [v for v in self.gate.open_screenings() if v.session == self.session]
        if not waiting:
            return self._arrival()
        self.term.say(_("Unfinished screenings of this session (can be resumed):"), "warn")
        for number, view in enumerate(waiting, start=1):
            step = view.step_label or view.state
            if view.rest_until is not None:
                step += _(" (resting, re-measure from {until})", until=f"{view.rest_until:%H:%M:%S}")
            self.term.say(_("  {number}) {name} ({role}) — stopped at: {step}", number=number, name=view.name_masked,
                                 role=role_label(view.role), step=step))
        while True:
            answer = self._ask_raw(_("Number to resume (1-{count}), Enter for a new arrival, q to quit> ",
                                     count=len(waiting)))
            if not answer:
                return self._arrival()
            if answer.isdigit() and 1 <= int(answer) <= len(waiting):
                view = self.desk.view(waiting[int(answer) - 1].id)
                self.term.clear()
                self._header(view.name_masked)
                self.term.say(_("Resuming the screening of {name}", name=view.name_masked), "warn")
                return view
            self.term.say(_("Type one of the numbers listed"), "bad")

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
                raise PersonLeft
            try:
                return parse(answer)
            except Invalid as exc:
                self.term.say(str(exc), "bad")
            except InvalidInputError as exc:
                self.term.say(self._problem(exc), "bad")

    def _problem(self, exc: TenderGuardError) -> str:
        field = getattr(exc, "field", "")
        label = _(FIELDS.get(field, N_("input")))
        detail = exc.detail if isinstance(exc, InvalidInputError) else exc.message
        if exc.hint:
            return _("{field} is not valid: {detail} — {hint}", field=label, detail=detail, hint=exc.hint)
        return _("{field} is not valid: {detail}; type it again", field=label, detail=detail)

    def _yes_no(self, prompt: str) -> bool:
        def parse(answer: str) -> bool:
            word = answer.lower()
            if word in YES:
                return True
            if word in NO:
                return False
            raise Invalid(_("Type y (yes) or n (no)"))

        return self._ask(prompt + _(" (y yes / n no)> "), parse)

    def _choice(self, title: str, options: Sequence[str], labels: Sequence[str]) -> str:
        """One of ``options`` by its number or its code."""
        listed = "  ".join(f"{n}) {label}" for n, label in enumerate(labels, start=1))

        def parse(answer: str) -> str:
            word = answer.lower()
            if word.isdigit() and 1 <= int(word) <= len(options):
                return options[int(word) - 1]
            if word in options:
                return word
            raise Invalid(_("Type one of the numbers listed"))

        self.term.say(_("{title}: {listed}", title=title, listed=listed))
        return self._ask(_("Choose (number)> "), parse)

    @staticmethod
    def _optional(parse: Callable[[str], str]) -> Callable[[str], str | None]:
        return lambda answer: parse(answer) if answer else None

    # ------------------------------------------------------------------------------------------ arrival

    def _arrival(self) -> ScreeningView:
        """Take the arrival's details, each checked as it is typed, and open the screening."""
        self.term.say(_("New arrival (a cancels this arrival, q quits)"), "title")
        try:
            name = self._ask(_("Name> "), validate_person_name)
            document = self._ask(_("ID number> "), parse_document)
            roles = [r.value for r in Role]
            role = Role(self._choice(_("Role"), roles, [role_label(r) for r in roles]))
            company = credit_code = None
            if role in _COMPANY_ROLES:
                company = self._ask(_("Company> "), normalise_company_name)
                credit_code = self._ask(_("Unified social credit code> "), validate_organisation_id)
            phone = self._ask(_("Mobile phone (Enter to skip)> "), self._optional(normalise_mobile))
            key_area = self._yes_no(_("From a key area in the last 14 days?"))
            while True:
                try:
                    arrival = Arrival(session=self.session, role=role, name=name, document=document,
                                      at=self.gate.clock.now(), company=company, credit_code=credit_code,
                                      phone=phone, key_area=key_area)
                    view = self.desk.arrive(arrival)
                except InvalidInputError as exc:
                    self.term.say(self._problem(exc), "bad")
                    if exc.field == "credit_code" and role in _COMPANY_ROLES:
                        credit_code = self._ask(_("Unified social credit code> "), validate_organisation_id)
                        continue
                    if exc.field == "company" and role in _COMPANY_ROLES:
                        company = self._ask(_("Company> "), normalise_company_name)
                        continue
                    raise
                self.term.clear()
                self._header(view.name_masked)
                self.term.say(_("Registered: {name} · {id_number} · {role}", name=view.name_masked,
                                id_number=document.masked(),
                                     role=role_label(role)))
                if view.badge_note:
                    self.term.say(_("Badge: {note}", note=view.badge_note), "warn")
                return view
        except PersonLeft:
            self.term.say(_("Arrival cancelled; nothing was stored"), "warn")
            return self._arrival()

    # ------------------------------------------------------------------------------------------ steps

    def _walk(self, view: ScreeningView) -> ScreeningView:
        """Ask each step of the policy from the screening's current state until it closes."""
        while not view.closed:
            place = self.gate.machine.places.get(view.state)
            if place is None:  # between steps (never left so by the desk): read it again
                view = self.desk.view(view.id)
                if not view.closed and view.state not in self.gate.machine.places:
                    raise TenderGuardError(_("screening {id} is stuck in {state}", id=view.id, state=view.state))
                continue
            self.term.say(_("▶ {step}", step=place.step.label), "title")
            try:
                view = self._act(view, place)
            except Parked:
                return view
            except PersonLeft:
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
            return self.desk.mask(sid, self._choice(step.label, options, [answer_label(o) for o in options]))
        if isinstance(step, TemperatureStep):
            return self._temperature(view, step, place)
        if isinstance(step, DeclarationStep):
            if place.phase is Phase.FILL_IN:
                filled = self._yes_no(_("Health declaration filled in at the desk?"))
                return self.desk.declare(sid, "complete" if filled else "missing")
            options = ["complete", "missing", "mismatch"]
            return self.desk.declare(sid, self._choice(step.label, options,
                                                       [answer_label(o) for o in options]))
        if isinstance(step, HealthCodeStep):
            options = ["green", "yellow", "red"]
            return self.desk.health_code(sid, self._choice(step.label, options,
                                                           [answer_label(o) for o in options]))
        if isinstance(step, NucleicTestStep):
            tested_at = self._ask(_("Nucleic-acid test taken at (e.g. 2026-11-22 08:30, 11-22 08:30 or 08:30; "
                                    "n if no report)> "), self._test_time)
            negative = tested_at is None or self._yes_no(_("Is the result negative?"))
            return self.desk.nucleic_test(sid, tested_at, negative=negative)
        self._ask(_("{step}: done? (Enter to confirm, a if the person left)> ", step=step.label), self._confirmed)
        return self.desk.confirm(sid)

    def _confirmed(self, answer: str) -> bool:
        if not answer or answer.lower() in YES:
            return True
        raise Invalid(_("Enter to confirm, or a if the person left"))

    def _test_time(self, answer: str) -> dt.datetime | None:
        try:
            return typed_test_time(answer, self.gate.clock.now(), self.gate.centre.tz)
        except TestTimeError as exc:
            raise Invalid(_("That time is in the future: check the date on the report") if exc.args[0] == "future"
                           else _("Not a time (e.g. 2026-11-22 08:30)")) from None

    def _temperature(self, view: ScreeningView, step: TemperatureStep, place: StatePlace) -> ScreeningView:
        if place.phase is Phase.REST and view.rest_until is not None:
            self._rest(view.rest_until)
        celsius = self._ask(_("Temperature reading (°C, e.g. 36.5)> "), lambda answer: self._reading(answer, step))
        after = self.desk.measure(view.id, celsius)
        if after.closed:
            return after
        if not step.is_plausible(celsius):
            self.term.say(_("Measuring error: measure again"), "warn")
        elif step.is_fever(celsius) and after.rest_until is not None:
            self.term.say(_("Temperature {celsius} °C is high: rest, re-measure at {until}", celsius=celsius,
                            until=f"{after.rest_until:%H:%M:%S}"), "warn")
        else:
            self.term.say(_("Temperature {celsius} °C: normal", celsius=celsius), "ok")
        return after

    def _reading(self, answer: str, step: TemperatureStep) -> float:
        """A typed reading in °C: two digits and up to two decimals; one outside the plausible range is confirmed."""
        celsius = typed_reading(answer)
        if celsius is None:
            raise Invalid(_('"{value}" is not a reading (e.g. 36.5): measure again and type it', value=answer))
        if not step.is_plausible(celsius) and not self._yes_no(_(
                "{celsius} °C is outside {low}–{high} °C: record it as a measuring error?",
                celsius=celsius, low=step.plausible_min, high=step.plausible_max)):
            raise Invalid(_("Type the reading again"))
        return celsius

    def _rest(self, until: dt.datetime) -> None:
        """After a fever: wait until the rest is over (Enter), or re-measure with ``r`` once it is."""
        while True:
            now = self.gate.clock.now()
            due = now >= until
            answer = self._ask_raw(_(REST_DUE if due else REST, until=f"{until:%H:%M:%S}"))
            if answer.lower() == ABANDON:
                raise PersonLeft
            if answer.lower() == PARK:
                raise Parked
            if answer.lower() == REMEASURE or (due and not answer):
                if self.gate.clock.now() >= until:
                    return
                self.term.say(_("Not due yet: re-measure at {until}", until=f"{until:%H:%M:%S}"), "bad")
                continue
            if not answer:
                self._wait(until)
                return
            self.term.say(_("Type one of the numbers listed"), "bad")

    def _wait(self, until: dt.datetime) -> None:
        try:
            while (left := (until - self.gate.clock.now()).total_seconds()) > 0:
                self.term.say(_("Waiting to re-measure: {seconds} s left (until {until})",
                                seconds=int(left + 0.999), until=f"{until:%H:%M:%S}"), "dim")
                self.sleep(min(left, _WAIT_TICK))
        except KeyboardInterrupt:  # stop waiting, back to the rest prompt's choices
            self._rest(until)

    # ------------------------------------------------------------------------------------------ outcome

    def _outcome(self, view: ScreeningView) -> None:
        if view.outcome == "admitted":
            self.term.say(_("✔ ADMITTED — badge {badge} — {hall}", badge=view.badge, hall=self.hall), "ok")
        elif view.outcome == "refused":
            reason = reason_label(view.reason)
            self.term.say(_("✘ REFUSED — reason: {reason}", reason=reason), "bad")
        elif view.outcome == "referred":
            reason = reason_label(view.reason)
            services = _(", ").join(service_label(s) for s in view.services)
            self.term.say(_("➜ REFERRED — reason: {reason} — services: {services}", reason=reason,
                            services=services), "warn")
        else:
            self.term.say(_("Left before finishing (recorded)"), "warn")
        if view.outcome != "admitted" and view.message:
            self.term.say(_("Tell the person: {message}", message=view.message))


def run_desk(
    gate: Gate,
    *,
    session: str,
    desk: str,
    operator: str,
    lang: str | None = None,
    terminal: Terminal | None = None,
    prompt_fn: Callable[[str], str] | None = None,
    output: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    """Run the interactive desk for one session until the operator types ``q``; return the outcomes counted.

    The terminal defaults to a plain one over ``prompt_fn`` and ``output`` (or standard input and output); the
    command passes a prompt_toolkit terminal on a real console. ``gate.session(session)`` must exist. ``lang``
    (``zh_CN`` or ``en``) pins the desk's language; without it the environment's is used (Chinese by default).
    """
    term = terminal or PlainTerminal(prompt_fn, output)
    with use_language(lang):
        app = _DeskApp(gate, gate.desk(desk, operator), session=session, term=term, sleep=sleep)
        return dict(app.run())
