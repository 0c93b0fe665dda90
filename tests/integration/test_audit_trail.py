"""The audit trail on SQLite and PostgreSQL: every step is chained, tampering is caught, no health data leaks."""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import delete, func, select, update
from sqlkit import CENTRE, DAY, arrival, gate_on, screen_fully, set_up_day

from tenderguard.records.audit import AuditDraft, sealed_entries, verify_trail
from tenderguard.store.sql import SqlStore
from tenderguard.store.tables import audit_head, audit_log, screening_events


def _verify(store: SqlStore) -> tuple[bool, int | None, str | None]:
    store.seal_audit()
    with store.unit_of_work() as uow:
        report = verify_trail(uow.audit, page=7)  # a small page: the paging is exercised too
    return report.ok, report.first_bad, report.problem


def _hold_seals(store: SqlStore) -> None:
    """Stop this store's commits from sealing (for the next hour)."""
    store.seal_interval, store.last_seal = 3600.0, time.monotonic()


def _a_small_day(store: SqlStore) -> None:
    gate = set_up_day(store)
    desk = gate.desk("A", "王芳")
    admitted = screen_fully(desk, desk.arrive(arrival(1, 1)))
    screen_fully(desk, desk.arrive(arrival(2, 2)), celsius=38.2)  # fever: rests
    refused = desk.arrive(arrival(3, 1))  # second person of company 1
    assert refused.reason == "company_quota"
    assert admitted.badge is not None
    desk.record_exit(admitted.badge)
    store.seal_audit()


def test_every_committed_step_and_badge_is_in_the_chain(store: SqlStore) -> None:
    """Each step record has one audit entry; badge issue and exit are there; the chain verifies."""
    _a_small_day(store)
    with store.engine.connect() as conn:
        steps = conn.execute(select(func.count()).select_from(screening_events)).scalar_one()
        kinds = {str(kind): int(n) for kind, n in conn.execute(
            select(audit_log.c.kind, func.count()).group_by(audit_log.c.kind)).all()}
        seqs = conn.execute(select(audit_log.c.seq).order_by(audit_log.c.seq)).scalars().all()
        head = conn.execute(select(audit_head.c.seq)).scalar_one()
    assert kinds["step"] + kinds["outcome"] == steps
    assert kinds["badge_issued"] == 1
    assert kinds["exit"] == 1
    assert seqs == list(range(1, head + 1))
    assert _verify(store) == (True, None, None)


def test_no_health_data_in_the_audit_trail(store: SqlStore) -> None:
    """Temperatures and answers stay in the purgeable step records; the audit entries only flag them."""
    _a_small_day(store)
    with store.engine.connect() as conn:
        payloads = conn.execute(select(audit_log.c.payload)).scalars().all()
    text_of_all = repr(payloads)
    assert "38.2" not in text_of_all
    assert "36.5" not in text_of_all
    assert "celsius" not in text_of_all
    assert "fever" not in text_of_all  # neither the reading's result nor the move to the rest state
    assert "_rest" not in text_of_all
    assert any(p.get("health_data") for p in payloads)


def test_an_altered_entry_is_named(store: SqlStore) -> None:
    """Changing one stored entry's payload is reported at that entry."""
    _a_small_day(store)
    with store.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 5).values(payload={"action": "admit"}))
    ok, first_bad, problem = _verify(store)
    assert (ok, first_bad) == (False, 5)
    assert problem is not None
    assert "altered" in problem


def test_a_deleted_entry_is_named(store: SqlStore) -> None:
    """Removing an entry in the middle is reported as missing."""
    _a_small_day(store)
    with store.engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.seq == 4))
    ok, first_bad, problem = _verify(store)
    assert (ok, first_bad) == (False, 4)
    assert problem is not None
    assert "missing" in problem


def test_a_cut_off_tail_is_caught_by_the_head(store: SqlStore) -> None:
    """Deleting the newest entries is caught: the head remembers how many were written."""
    _a_small_day(store)
    with store.engine.begin() as conn:
        last = conn.execute(select(func.max(audit_log.c.seq))).scalar_one()
        conn.execute(delete(audit_log).where(audit_log.c.seq > last - 2))
    ok, first_bad, problem = _verify(store)
    assert (ok, first_bad) == (False, last - 1)
    assert problem is not None
    assert "missing" in problem


def test_a_rewritten_chain_with_recomputed_hashes_is_caught_at_the_head(store: SqlStore) -> None:
    """Rewriting the last entry and its hash consistently still disagrees with the recorded head hash."""
    _a_small_day(store)
    with store.engine.begin() as conn:
        last = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc()).limit(1)).mappings().one()
        conn.execute(update(audit_log).where(audit_log.c.seq == last["seq"]).values(hash="f" * 64))
    ok, first_bad, _problem = _verify(store)
    assert (ok, first_bad) == (False, last["seq"])


def test_explicit_entries_are_chained_on_commit_and_dropped_on_rollback(store: SqlStore) -> None:
    """An entry recorded in a unit of work that rolls back never reaches the trail."""
    draft = AuditDraft(at=arrival(1).at, kind="export", subject=str(DAY), payload={"rows": 3})
    _hold_seals(store)
    with store.unit_of_work() as uow:
        uow.audit.record(draft)
    with store.unit_of_work() as uow:
        assert uow.audit.head()[0] == 0
        uow.audit.record(draft)
        uow.commit()
    with store.unit_of_work() as uow:
        assert (uow.audit.pending(), uow.audit.entries()) == (1, [])  # written, waiting for its seal
    assert store.seal_audit() == 1
    with store.unit_of_work() as uow:
        [entry] = uow.audit.entries()
    assert (entry.seq, entry.kind, entry.payload) == (1, "export", {"rows": 3})
    assert _verify(store)[0]


def test_desks_appending_at_once_keep_one_unbroken_chain(store: SqlStore, db_url: str) -> None:
    """Four desks (each with its own store) screening at the same time produce one gap-free verified chain."""
    set_up_day(store)
    errors: list[BaseException] = []

    def desk_work(n: int) -> None:
        own = SqlStore(db_url, CENTRE)
        try:
            desk = gate_on(own).desk(f"D{n}", "王芳")
            for i in range(5):
                screen_fully(desk, desk.arrive(arrival(n * 10 + i, n * 10 + i)))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=desk_work, args=(n,)) for n in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _verify(store) == (True, None, None)
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar_one() == \
            conn.execute(select(audit_head.c.seq)).scalar_one()


def test_desks_seal_as_they_go_and_a_crash_leaves_entries_waiting_not_lost(store: SqlStore) -> None:
    """Commits seal the trail every seal_interval; entries written but not sealed are chained by the next seal."""
    gate = set_up_day(store)
    desk = gate.desk("A", "王芳")
    store.seal_interval = 0.0  # seal after every commit
    screen_fully(desk, desk.arrive(arrival(1, 1)))
    with store.unit_of_work() as uow:
        assert uow.audit.pending() == 0
        sealed = uow.audit.head()[0]
    assert sealed > 0
    _hold_seals(store)  # as if the process died before sealing again
    screen_fully(desk, desk.arrive(arrival(2, 2)))
    with store.unit_of_work() as uow:
        waiting = uow.audit.pending()
    assert waiting > 0
    restarted = SqlStore(str(store.engine.url.render_as_string(hide_password=False)), CENTRE)
    try:
        report = gate_on(restarted).verify_audit()
    finally:
        restarted.dispose()
    assert report.ok
    assert report.checked == sealed + waiting


def test_entries_since_an_instant_skip_older_ones_in_order(store: SqlStore) -> None:
    """``entries(since=…)`` gives the sealed entries at or after the instant, in chain order, page by page."""
    at = arrival(1).at
    with store.unit_of_work() as uow:
        for hours, rows in ((-30, 1), (-2, 2), (0, 3), (5, 4)):
            uow.audit.record(AuditDraft(at=at + dt.timedelta(hours=hours), kind="export", subject=str(DAY),
                                        payload={"rows": rows}))
        uow.commit()
    store.seal_audit()
    with store.unit_of_work() as uow:
        every = uow.audit.entries()
        recent = uow.audit.entries(since=at - dt.timedelta(hours=2))
        paged = list(sealed_entries(uow.audit, page=1, since=at))
    assert [e.payload["rows"] for e in every] == [1, 2, 3, 4]
    assert [e.payload["rows"] for e in recent] == [2, 3, 4]
    assert [(e.seq, e.payload["rows"]) for e in paged] == [(3, 3), (4, 4)]
