"""The hall door's scans on SQLite and PostgreSQL: once per nonce, pass-backs, each hall's count by day."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlkit import AT, DAY, arrival, screen_fully, set_up_day

from tenderguard import BidSession, Gate
from tenderguard.domain.badge_code import VerdictReason
from tenderguard.domain.door import DoorDirection, DoorScan, DoorScanUpload
from tenderguard.domain.model import SHANGHAI
from tenderguard.errors import ConflictError
from tenderguard.store.sql import SqlStore

KEY = Ed25519PrivateKey.generate()
HALLS = ("第一开标室", "第二开标室")


def _gate(store: SqlStore) -> Gate:
    """The day set up (S1 in hall 1) and a second session, S2, in hall 2."""
    gate = set_up_day(store)
    gate.register_session(BidSession(code="S2", project_name="密云区中医院扩建工程", hall=HALLS[1],
                                     opens_at=AT + dt.timedelta(hours=2), agency="AG1"))
    return gate


def _admit(gate: Gate, person: int, session: str = "S1") -> tuple[str, str]:
    """A person (of their own company) screened and admitted to ``session``: the badge's serial and its code."""
    desk = gate.desk("A", "王芳")
    view = screen_fully(desk, desk.arrive(arrival(person, person, session=session)))
    assert view.badge, view.message
    return view.badge, gate.badge_code(gate.badge(view.badge), KEY)


def _upload(nonce: str, code: str, direction: str, at: dt.datetime) -> DoorScanUpload:
    return DoorScanUpload.of({"nonce": nonce, "code": code, "direction": direction, "scanned_at": at.isoformat(),
                              "reason": "valid"})


def _record(gate: Gate, *uploads: DoorScanUpload) -> list[DoorScan]:
    return gate.record_door_scans(uploads, door="刘洋", public_key=KEY.public_key())


def _inside(store: SqlStore, day: dt.date, hall: str) -> int:
    with store.unit_of_work() as uow:
        return uow.attendance.inside(day, hall)


def test_a_nonce_is_recorded_once_in_the_table(store: SqlStore) -> None:
    """A second row with a recorded nonce is a conflict (the primary key); the first row stays as it was."""
    scan = DoorScan(nonce="nonce-0001", door="刘洋", serial="MY-20261123-0001", direction=DoorDirection.IN,
                    scanned_at=AT, reason=VerdictReason.VALID, server_reason=VerdictReason.VALID, received_at=AT)
    with store.unit_of_work() as uow:
        uow.door_scans.add(scan)
        uow.commit()
    again = DoorScan(nonce="nonce-0001", door="赵敏", serial=None, direction=DoorDirection.OUT, scanned_at=AT,
                     reason=VerdictReason.MALFORMED, server_reason=VerdictReason.MALFORMED, received_at=AT)
    with store.unit_of_work() as uow, pytest.raises(ConflictError):
        uow.door_scans.add(again)
    with store.unit_of_work() as uow:
        assert uow.door_scans.get("nonce-0001") == scan
        assert uow.door_scans.for_day(DAY) == [scan]


def test_an_upload_repeated_records_each_scan_once_with_the_same_answers(store: SqlStore) -> None:
    """The same scans uploaded again, and the same nonce twice in one upload, change nothing."""
    gate = _gate(store)
    serial, code = _admit(gate, 1)
    scans = [_upload("in-000001", code, "in", AT), _upload("out-00001", code, "out", AT + dt.timedelta(minutes=5))]
    first = _record(gate, *scans)
    again = _record(gate, *scans, scans[1])
    assert [s.answer() for s in again] == [s.answer() for s in (*first, first[1])]
    assert [s.nonce for s in gate.door_scans(DAY)] == ["in-000001", "out-00001"]
    assert _inside(store, DAY, HALLS[0]) == 0  # the exit recorded once, not twice
    assert first[1].exit_recorded
    assert first[1].serial == serial


def test_two_uploads_of_one_nonce_at_the_same_instant_record_it_once(store: SqlStore) -> None:
    """Two door devices (or one retrying) upload the same scan together: one row, both told the same."""
    gate = _gate(store)
    _serial, code = _admit(gate, 1)
    scan = _upload("raced-0001", code, "out", AT + dt.timedelta(minutes=1))
    barrier = threading.Barrier(2)
    answers: list[dict[str, object]] = []
    errors: list[BaseException] = []

    def upload() -> None:
        barrier.wait()
        try:
            answers.extend(s.answer() for s in _record(gate, scan))
        except BaseException as exc:  # re-raised by the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(answers) == 2
    assert answers[0] == answers[1]
    assert [s.nonce for s in gate.door_scans(DAY)] == ["raced-0001"]
    assert _inside(store, DAY, HALLS[0]) == 0


def test_a_second_in_without_an_out_is_a_pass_back(store: SqlStore) -> None:
    """in, in: the second is flagged; in, out, in: the last is not (the badge left in between)."""
    gate = _gate(store)
    serial, twice = _admit(gate, 1)
    _other, once = _admit(gate, 2)
    minute = dt.timedelta(minutes=1)
    made = _record(gate, _upload("twice-001", twice, "in", AT), _upload("twice-002", twice, "in", AT + minute),
                   _upload("once-0001", once, "in", AT), _upload("once-0002", once, "out", AT + minute),
                   _upload("once-0003", once, "in", AT + 2 * minute))
    assert [(s.nonce, s.pass_back, s.exit_recorded) for s in made] == [
        ("twice-001", False, False), ("twice-002", True, False),
        ("once-0001", False, False), ("once-0002", False, True), ("once-0003", False, False)]
    with store.unit_of_work() as uow:
        assert [s.nonce for s in uow.door_scans.for_serial(serial)] == ["twice-001", "twice-002"]


def test_an_in_uploaded_late_counts_for_the_scans_made_after_it(store: SqlStore) -> None:
    """Pass-back looks at when scans were made, not when they arrived (an offline door uploads hours later)."""
    gate = _gate(store)
    _serial, code = _admit(gate, 1)
    later = _record(gate, _upload("late-0002", code, "in", AT + dt.timedelta(minutes=30)))
    early = _record(gate, _upload("late-0001", code, "in", AT))
    assert (later[0].pass_back, early[0].pass_back) == (False, False)
    again = _record(gate, _upload("late-0003", code, "in", AT + dt.timedelta(minutes=40)))
    assert again[0].pass_back


def test_door_exits_move_each_halls_count_on_its_day_only(store: SqlStore) -> None:
    """A valid "out" makes its own hall one fewer on the day; a refused "out" and the other hall do not move."""
    gate = _gate(store)
    first, first_code = _admit(gate, 1)
    _second, second_code = _admit(gate, 2)
    _third, third_code = _admit(gate, 3, session="S2")
    assert (_inside(store, DAY, HALLS[0]), _inside(store, DAY, HALLS[1])) == (2, 1)
    gate.revoke_badge(first, reason="遗失", operator="李强")  # revoking lets the badge out of the count itself
    assert _inside(store, DAY, HALLS[0]) == 1
    made = _record(gate, _upload("out-00001", first_code, "out", AT + dt.timedelta(minutes=1)),
                   _upload("out-00002", second_code, "out", AT + dt.timedelta(minutes=2)))
    assert [(str(s.server_reason), s.exit_recorded) for s in made] == [("revoked", False), ("valid", True)]
    assert (_inside(store, DAY, HALLS[0]), _inside(store, DAY, HALLS[1])) == (0, 1)
    assert _inside(store, DAY + dt.timedelta(days=1), HALLS[1]) == 0
    _record(gate, _upload("out-00003", third_code, "out", AT + dt.timedelta(minutes=3)))
    assert (_inside(store, DAY, HALLS[0]), _inside(store, DAY, HALLS[1])) == (0, 0)


def test_the_days_scans_are_bounded_by_midnight_in_shanghai(store: SqlStore) -> None:
    """for_day takes the scans made from 00:00 to 24:00 Asia/Shanghai, in the order they were made."""
    midnight = dt.datetime.combine(DAY, dt.time(), tzinfo=SHANGHAI)
    times = {"before-0001": midnight - dt.timedelta(seconds=1), "first-0001": midnight,
             "utc-noon-01": dt.datetime.combine(DAY, dt.time(3, 59), tzinfo=dt.UTC),  # 11:59 in Shanghai
             "last-00001": midnight + dt.timedelta(days=1, seconds=-1),
             "after-0001": midnight + dt.timedelta(days=1)}
    with store.unit_of_work() as uow:
        for nonce, at in reversed(times.items()):
            uow.door_scans.add(DoorScan(nonce=nonce, door="刘洋", serial=None, direction=DoorDirection.IN,
                                        scanned_at=at, reason=VerdictReason.MALFORMED,
                                        server_reason=VerdictReason.MALFORMED, received_at=AT))
        uow.commit()
    with store.unit_of_work() as uow:
        found = uow.door_scans.for_day(DAY)
    assert [s.nonce for s in found] == ["first-0001", "utc-noon-01", "last-00001"]
    assert [s.scanned_at for s in found] == [times[s.nonce] for s in found]
    assert all(s.scanned_at.tzinfo is not None for s in found)
