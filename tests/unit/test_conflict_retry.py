"""A desk that loses a race with another desk re-runs the use case on fresh data (ConflictError retry)."""

from __future__ import annotations

import datetime as dt

import pytest

from tenderguard import (
    Arrival,
    BidSession,
    Centre,
    ConflictError,
    DomainEvent,
    Gate,
    InMemoryStore,
    InMemoryUnitOfWork,
    ManualClock,
    load_preset,
)
from tenderguard.domain.model import SHANGHAI
from tenderguard.factories import arrival

AT = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)


class FlakyUnitOfWork(InMemoryUnitOfWork):
    """An in-memory unit of work whose first ``failures`` commits lose a race."""

    failures = 0

    def commit(self) -> None:
        """Raise ConflictError while failures remain (after rolling back, as a database would)."""
        if FlakyUnitOfWork.failures > 0:
            FlakyUnitOfWork.failures -= 1
            self.rollback()
            raise ConflictError("another desk committed first", hint="retry")
        super().commit()


def _gate(store: InMemoryStore) -> Gate:
    gate = Gate(policy=load_preset("badge-only"), centre=store.centre,
                uow_factory=lambda: FlakyUnitOfWork(store), clock=ManualClock(AT))
    gate.register_session(BidSession(code="S1", project_name="道路工程", opens_at=AT, hall="第一开标室"))
    return gate


def _arrival(n: int) -> Arrival:
    return arrival(n, session="S1", at=AT)


def test_conflict_is_retried_and_nothing_is_duplicated() -> None:
    """Two lost races then success: one screening, one admission, one badge, events published once."""
    store = InMemoryStore(Centre(code="MY", name="密云区公共资源交易中心"))
    gate = _gate(store)
    published: list[object] = []
    gate.bus.subscribe(DomainEvent, published.append)
    desk = gate.desk("A", "王芳")
    view = desk.arrive(_arrival(1))
    FlakyUnitOfWork.failures = 2
    view = desk.confirm(view.id)
    assert view.outcome == "admitted"
    assert len(store.screenings) == 1
    assert len(store.admissions) == 1
    assert list(store.badges) == ["MY-20261123-0001"]
    assert sum(type(e).__name__ == "Admitted" for e in published) == 1


def test_conflict_retries_are_bounded() -> None:
    """A desk that keeps losing gets the ConflictError after its retries, and the screening is unchanged."""
    store = InMemoryStore(Centre(code="MY", name="密云区公共资源交易中心"))
    gate = _gate(store)
    desk = gate.desk("A", "王芳")
    view = desk.arrive(_arrival(2))
    FlakyUnitOfWork.failures = desk.conflict_retries + 1
    with pytest.raises(ConflictError):
        desk.confirm(view.id)
    FlakyUnitOfWork.failures = 0
    assert store.screenings[view.id].state == "registration"
    assert store.admissions == {}
