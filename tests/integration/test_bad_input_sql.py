"""Bad input against a real database: each rejected line or call leaves every table exactly as it was."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlkit import AT, CENTRE, arrival, gate_on, set_up_day

from tenderguard import ManualClock
from tenderguard.batch import run_batch
from tenderguard.errors import TenderGuardError
from tenderguard.store.sql import SqlStore
from tenderguard.store.tables import (
    admissions,
    agencies,
    audit_log,
    badges,
    companies,
    screening_events,
    screenings,
    sessions,
)

TABLES = (screenings, screening_events, admissions, badges, companies, sessions, agencies, audit_log)
GOOD = {"session": "S1", "name": "张伟", "id_number": "11010519491231002X", "company": "北京某某建设工程有限公司",
        "credit_code": "91350100M000100Y43", "at": AT.isoformat(), "temperatures": [36.5]}
BAD_LINES = [
    "{not json",
    json.dumps(GOOD | {"id_number": "110105194912310021"}),  # wrong check digit
    json.dumps(GOOD | {"credit_code": "91350100M000100Y44"}),  # wrong check character
    json.dumps(GOOD | {"temperatures": ["36.5"]}),
    json.dumps(GOOD | {"temperatures": []}),
    json.dumps(GOOD | {"at": "2026-11-23T09:00:00"}),  # no UTC offset
    json.dumps(GOOD | {"name": "<img src=file:///etc/passwd>"}),
    json.dumps(GOOD | {"name": "\u202e张伟"}),
    json.dumps(GOOD | {"role": "spectator"}),
    json.dumps(GOOD | {"mask": "maybe"}),
    json.dumps(GOOD | {"answers": {"symptoms": "no"}}),
    json.dumps({"exit": "MY-20261123-9999", "at": AT.isoformat()}),
    json.dumps(GOOD | {"replaces": "MY-20261123-9999", "reason": "遗失"}),
    json.dumps([1, 2, 3]),
]


def _counts(store: SqlStore) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES}


@pytest.mark.parametrize("line", BAD_LINES, ids=range(len(BAD_LINES)))
def test_a_bad_batch_line_changes_no_table(db_url: str, line: str) -> None:
    """The line is reported invalid (naming its problem) and no row anywhere was added or changed."""
    store = SqlStore(db_url, CENTRE)
    try:
        gate = set_up_day(store)
        store.seal_audit()
        before = _counts(store)
        clock = ManualClock(AT)
        gate = gate_on(store, clock)
        results = list(run_batch([line], gate, gate.desk("A", "王芳"), clock))
        assert [r["outcome"] for r in results] == ["invalid"]
        assert results[0]["message"]
        store.seal_audit()
        after = _counts(store)
        assert after == before
    finally:
        store.dispose()


def test_a_rejected_desk_call_changes_no_table(db_url: str) -> None:
    """A reading out of order, a NaN temperature and a wrong declaration word change nothing."""
    store = SqlStore(db_url, CENTRE)
    try:
        gate = set_up_day(store)
        desk = gate.desk("A", "王芳")
        view = desk.arrive(arrival(1, 1))
        store.seal_audit()
        before = _counts(store)
        screening = view.id
        attempts: list[Callable[[], object]] = [
            lambda: desk.measure(screening, 36.5), lambda: desk.declare(screening, "yes"),
            lambda: desk.mask(screening, "maybe")]
        for attempt in attempts:
            with pytest.raises(TenderGuardError):
                attempt()
        desk.mask(screening, "ok")
        for attempt in [lambda: desk.measure(screening, float("nan")), lambda: desk.confirm("no-such-screening")]:
            with pytest.raises(TenderGuardError):
                attempt()
        store.seal_audit()
        after = _counts(store)
        assert after["screening_events"] == before["screening_events"] + 1  # only the accepted mask step
        assert {k: v for k, v in after.items() if k not in ("screening_events", "audit_log")} == \
            {k: v for k, v in before.items() if k not in ("screening_events", "audit_log")}
    finally:
        store.dispose()
