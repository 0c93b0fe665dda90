"""Shared test kit: valid identities, Chinese companies and a gate wired to an in-memory store and manual clock."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from tenderguard.domain.events import DomainEvent
from tenderguard.domain.machine import Phase
from tenderguard.domain.model import SHANGHAI, Arrival, BidSession, Centre, ManualClock
from tenderguard.domain.screening import Screening
from tenderguard.factories import credit_code, lettered_credit_code, resident_id
from tenderguard.policy import (
    ConfirmStep,
    DeclarationStep,
    HealthCodeStep,
    MaskStep,
    NucleicTestStep,
    Policy,
    QuestionsStep,
    Role,
    TemperatureStep,
    load_policy,
    parse_policy,
)
from tenderguard.services import Desk, Gate, MessageBus, ScreeningView
from tenderguard.store.memory import InMemoryStore

SECRET = b"tenderguard-unit-tests-secret-32"
DAY = dt.date(2026, 11, 23)
MORNING = dt.datetime(2026, 11, 23, 8, 30, tzinfo=SHANGHAI)
HALL_1 = "第一开标室"
HALL_2 = "第二开标室"
SESSION = "MY-2026-118"
SESSION_PM = "MY-2026-121"
CENTRE = Centre(code="MY", name="密云区公共资源交易中心")
PRESETS = ("miyun-2020", "health-code", "badge-only")
HEALTH_PRESETS = ("miyun-2020", "health-code")


@dataclass(frozen=True)
class Person:
    """A person who may come to the gate."""

    name: str
    id_number: str


@dataclass(frozen=True)
class Company:
    """A bidding company (or agency, or tenderer) with its credit code."""

    name: str
    credit_code: str


PEOPLE = (
    Person("张伟", resident_id(11)),
    Person("李娜", resident_id(12)),
    Person("刘洋", resident_id(13)),
    Person("陈静", resident_id(14)),
    Person("杨帆", resident_id(15)),
    Person("赵磊", resident_id(16)),
    Person("黄敏", resident_id(17)),
    Person("周杰", resident_id(18)),
    Person("吴婷", resident_id(19)),
    Person("孙浩", resident_id(20)),
)
GB_EXAMPLE = Person("徐明", "11010519491231002X")

#: Codes with letters and codes of digits only, as business licences have them.
COMPANIES = (
    Company("北京某某建设工程有限公司", lettered_credit_code(1)),
    Company("北京城建道桥工程有限公司", credit_code(2)),
    Company("密云区市政工程有限公司", lettered_credit_code(3)),
    Company("北京正信招标代理有限公司", credit_code(4)),
    Company("北京市密云区住房和城乡建设委员会", credit_code(5)),
)


def safe_answers(policy: Policy) -> dict[str, bool]:
    """The no-risk answer to every question of the policy."""
    return {q.id: q.safe_answer for q in policy.questions}


def tiny_policy(**extra: Any) -> Policy:
    """A one-step registration policy, with extra top-level keys (halls, quotas…) merged in."""
    data: dict[str, Any] = {
        "name": "tiny",
        "title": "登记入场",
        "steps": [{"id": "registration", "kind": "confirm", "label": "登记核验身份"}],
        "reentry": {"allowed": True, "steps": ["registration"]},
    }
    data.update(extra)
    return parse_policy(data)


class Harness:
    """A gate of 密云区公共资源交易中心 over an in-memory store, a manual clock and a recording message bus."""

    def __init__(self, policy: Policy | str = "miyun-2020", *, at: dt.datetime = MORNING,
                 store: Any = None) -> None:
        """Load the policy, register the morning and afternoon sessions and open desk A.

        ``store`` is an empty store of centre :data:`CENTRE` (a SQL store); by default a new in-memory one.
        """
        self.policy = load_policy(policy) if isinstance(policy, str) else policy
        self.centre = CENTRE
        self.store = store if store is not None else InMemoryStore(self.centre)
        self.clock = ManualClock(at)
        self.bus = MessageBus()
        self.published: list[DomainEvent] = []
        self.bus.subscribe(DomainEvent, self.published.append)
        self.gate = Gate(policy=self.policy, centre=self.centre, uow_factory=self.uow, clock=self.clock,
                         bus=self.bus, secret=SECRET)
        self.add_session(SESSION, dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI), HALL_1,
                         "京沈客专密云站市政配套道路顺潮街道路工程施工")
        self.add_session(SESSION_PM, dt.datetime(2026, 11, 23, 14, 0, tzinfo=SHANGHAI), HALL_2,
                         "密云水库环湖路绿化提升工程")
        self.desk = self.gate.desk("A", "王芳")

    def uow(self) -> Any:
        """A unit of work over the shared store, as the store hands them out (the gate's factory)."""
        return self.store.unit_of_work()

    def add_session(self, code: str, opens_at: dt.datetime, hall: str, project: str = "道路工程") -> None:
        """Register a bid session."""
        self.gate.register_session(BidSession(code=code, project_name=project, opens_at=opens_at, hall=hall))

    def arrival(
        self,
        person: Person = PEOPLE[0],
        company: Company | None = COMPANIES[0],
        *,
        role: Role | str = Role.BIDDER,
        session: str = SESSION,
        at: dt.datetime | None = None,
        company_name: str | None = None,
        key_area: bool = False,
        phone: str | None = None,
        name: str | None = None,
    ) -> Arrival:
        """An arrival of a person (for a company, in a role) at the clock's time unless ``at`` is given."""
        return Arrival(
            session=session, role=role, name=name or person.name, document=person.id_number, phone=phone,
            at=at or self.clock.now(),
            company=company_name or (company.name if company else None),
            credit_code=company.credit_code if company else None,
            key_area=key_area,
        )

    def screening(self, view: ScreeningView | str) -> Screening:
        """The stored screening behind a view."""
        return self.store.screenings[view if isinstance(view, str) else view.id]

    def pass_step(self, view: ScreeningView, desk: Desk | None = None) -> ScreeningView:
        """Take the passing action for whatever the screening waits for now."""
        desk = desk or self.desk
        place = self.gate.machine.places[view.state]
        step = place.step
        if place.phase is Phase.QUESTIONS or isinstance(step, QuestionsStep):
            return desk.answer(view.id, safe_answers(self.policy))
        if place.phase is Phase.FILL_IN or isinstance(step, DeclarationStep):
            return desk.declare(view.id, "complete")
        if place.phase is Phase.REST:
            self.clock.advance(minutes=getattr(step, "rest_minutes", 0))
            return desk.measure(view.id, 36.5)
        if isinstance(step, TemperatureStep):
            return desk.measure(view.id, 36.5)
        if isinstance(step, MaskStep):
            return desk.mask(view.id, "ok")
        if isinstance(step, HealthCodeStep):
            return desk.health_code(view.id, "green")
        if isinstance(step, NucleicTestStep):
            return desk.nucleic_test(view.id, self.clock.now() - dt.timedelta(hours=24))
        assert isinstance(step, ConfirmStep)
        return desk.confirm(view.id)

    def run(self, view: ScreeningView, desk: Desk | None = None, *, until: str | None = None,
            phase: Phase = Phase.MAIN) -> ScreeningView:
        """Pass steps until the screening closes, or until it waits at step ``until`` in ``phase``."""
        for _ in range(50):
            if view.closed:
                return view
            place = self.gate.machine.places[view.state]
            if until is not None and place.step.id == until and place.phase is phase:
                return view
            view = self.pass_step(view, desk)
        raise AssertionError(f"screening did not finish: {view.state}")

    def admit(self, person: Person = PEOPLE[0], company: Company | None = COMPANIES[0], *,
              desk: Desk | None = None, **kwargs: Any) -> ScreeningView:
        """Arrive and pass every step."""
        view = (desk or self.desk).arrive(self.arrival(person, company, **kwargs))
        return self.run(view, desk)

    def audit(self) -> list[Any]:
        """The audit trail, sealed up to now."""
        self.gate.seal_audit()
        with self.uow() as uow:
            return list(uow.audit.entries())

    def published_of(self, kind: type[DomainEvent]) -> list[Any]:
        """The published events of one type, in order."""
        return [e for e in self.published if isinstance(e, kind)]

    def active_admissions(self, day: dt.date = DAY) -> list[Any]:
        """The admissions of a day still holding their place."""
        return [a for a in self.store.admissions.values() if a.day == day and str(a.status) == "active"]


#: Builds a harness on a test's store (see the ``make`` fixture of the integration tests).
HarnessFactory = Callable[..., Harness]


def policy_data(preset: str) -> dict[str, Any]:
    """The raw TOML data of a built-in preset (to derive custom policies from it)."""
    text = (resources.files("tenderguard") / "presets" / f"{preset}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def answers_with(policy: Policy, **risky: bool) -> Mapping[str, bool]:
    """Safe answers with some questions answered as given."""
    return safe_answers(policy) | risky
