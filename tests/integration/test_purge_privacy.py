"""The health purge leaves no health fact behind, and the audit trail never told one (every store).

A fever, a re-measure, a rest, a contact referral or an abandonment during the rest must be indistinguishable, in
the trail and after the purge, from an ordinary visit — except for the outcome itself, whose health reason reads
``health`` after the purge.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from gatekit import COMPANIES, PEOPLE, Company, Harness, HarnessFactory, Person, answers_with

from tenderguard.domain.model import Centre
from tenderguard.factories import credit_code, resident_id
from tenderguard.policy import load_preset
from tenderguard.store.sql import SqlStore

ZHANG, LI, LIU = PEOPLE[:3]
BUILDER, BRIDGES, MUNICIPAL = COMPANIES[:3]


def _trail(h: Harness, screening_id: str) -> list[tuple[str, dict[str, object]]]:
    """The screening's entries as kind and payload (its badge serial left out: two visits have two badges)."""
    return [(e.kind, {k: v for k, v in e.payload.items() if k != "detail" or "badge" not in v})
            for e in h.audit() if e.subject == screening_id]


def _fever_then_normal(h: Harness, person: int = 0, company: int = 0) -> str:
    view = h.run(h.desk.arrive(h.arrival(PEOPLE[person], COMPANIES[company])), until="temperature")
    view = h.desk.measure(view.id, 37.8)
    h.clock.advance(minutes=5)
    view = h.desk.measure(view.id, 37.5)  # still a fever: rests again
    h.clock.advance(minutes=5)
    view = h.desk.measure(view.id, 36.9)
    assert h.run(view).outcome == "admitted"
    return view.id


def test_a_fever_that_passes_leaves_the_same_trail_as_an_ordinary_visit(make: HarnessFactory) -> None:
    """Two re-measures after a fever add step records but no audit entry, and no entry names a rest."""
    h = make()
    ordinary = h.admit(ZHANG, BUILDER)
    fever = _fever_then_normal(h, 1, 1)
    assert _trail(h, fever) == _trail(h, ordinary.id)
    for kind, payload in _trail(h, fever):
        assert "seq" not in payload, kind
        assert "rest" not in str(payload)
        assert "37." not in str(payload)


def test_a_contact_referral_and_an_abandoned_rest_say_nothing_in_the_trail(make: HarnessFactory) -> None:
    """``refer:contact`` reads ``refer`` (health data); leaving during the rest reads as leaving the step."""
    h = make()
    view = h.run(h.desk.arrive(h.arrival(ZHANG, BUILDER)), until="temperature")
    view = h.desk.measure(view.id, 36.6)
    referred = h.desk.answer(view.id, answers_with(h.policy, contact=True))
    assert (referred.outcome, referred.reason) == ("referred", "contact")
    left = h.run(h.desk.arrive(h.arrival(LI, BRIDGES)), until="temperature")
    left = h.desk.measure(left.id, 38.2)
    left = h.desk.abandon(left.id)
    text = str([e.payload for e in h.audit()])
    for telling in ("contact", "temperature_rest", "fever", "38.2"):
        assert telling not in text, telling
    assert ("outcome", {"step": "refer", "health_data": True}) in _trail(h, referred.id)


def test_the_purge_leaves_no_health_fact_in_the_records(make: HarnessFactory) -> None:
    """After the health purge: no reading, no rest state, no health reason; the outcome and the steps stay."""
    h = make()
    view = h.run(h.desk.arrive(h.arrival(ZHANG, BUILDER)), until="temperature")
    referred = h.desk.answer(h.desk.measure(view.id, 36.6).id, answers_with(h.policy, contact=True))
    left = h.run(h.desk.arrive(h.arrival(LI, BRIDGES)), until="temperature")
    left = h.desk.abandon(h.desk.measure(left.id, 38.2).id)
    fever = _fever_then_normal(h, 2, 2)
    h.clock.advance(days=h.policy.retention.health_data_days + 1)
    report = h.gate.purge(operator="信息科 李工")
    assert report.counts.screenings_scrubbed == 3
    with h.uow() as uow:
        for screening_id in (referred.id, left.id, fever):
            s = uow.screenings.get(screening_id)
            assert s is not None
            assert s.reason in (None, "health", "abandoned")
            assert s.fevers == 0
            assert not any(r.sensitive for r in s.records)
            states = {r.state_from for r in s.records} | {r.state_to for r in s.records}
            assert not any(state.endswith(("_rest", "_questions")) for state in states), states
            assert "*" in s.visitor.name
        assert uow.screenings.get(referred.id).reason == "health"
        assert uow.screenings.get(left.id).outcome == "abandoned"


def test_sqlite_keeps_nothing_purged_on_disk_and_shrinks(tmp_path: Path) -> None:
    """After purging, a name once stored is nowhere in the database file or its WAL; the file gives space back."""
    db = tmp_path / "gate.db"
    store = SqlStore(f"sqlite:///{db}", Centre(code="MY", name="密云区公共资源交易中心"))
    try:
        h = Harness(load_preset("badge-only"), store=store)
        marker = "欧阳建国"
        for n in range(1, 99):
            person = Person(marker if n == 1 else f"司马{n:02d}", resident_id(n))
            h.admit(person, Company(f"北京建设工程第{n}分公司", credit_code(n)))
        store.seal_audit()
        before = db.stat().st_size + _wal(db)
        h.clock.advance(days=h.policy.retention.attendance_days + 1)
        h.gate.purge(operator="信息科 李工")
        after = db.stat().st_size + _wal(db)
        assert after < before
        wal = db.with_name(db.name + "-wal")
        raw = db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
        assert marker.encode() not in raw
    finally:
        store.dispose()


def _wal(db: Path) -> int:
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_day_constant(make: HarnessFactory) -> None:
    """The harness day is the clock's day (guards the purge arithmetic above)."""
    h = make()
    assert h.centre.day_of(h.clock.now()) == dt.date(2026, 11, 23)
