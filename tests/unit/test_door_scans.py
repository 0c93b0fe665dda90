"""The hall door's scans on the in-memory store: once per nonce, exits, pass-backs, the server's own verdict."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from gatekit import COMPANIES, PEOPLE, Harness

from tenderguard.domain.badge_code import VerdictReason
from tenderguard.domain.door import DoorScanUpload
from tenderguard.domain.events import Exited
from tenderguard.errors import InvalidInputError

KEY = Ed25519PrivateKey.generate()


def _upload(nonce: str, code: str, direction: str, at: dt.datetime, reason: str = "valid") -> DoorScanUpload:
    return DoorScanUpload.of({"nonce": nonce, "code": code, "direction": direction, "scanned_at": at.isoformat(),
                              "verdict": "valid" if reason == "valid" else "invalid", "reason": reason})


def _admitted(h: Harness, n: int = 0) -> tuple[str, str]:
    view = h.admit(PEOPLE[n], COMPANIES[n])
    assert view.badge
    return view.badge, h.gate.badge_code(h.gate.badge(view.badge), KEY)


def test_a_scan_uploaded_twice_is_recorded_once_with_the_same_answer() -> None:
    """The same nonce again changes nothing and is answered as the first time."""
    h = Harness()
    _serial, code = _admitted(h)
    scan = _upload("nonce-0001", code, "in", h.clock.now())
    first = h.gate.record_door_scans([scan], door="刘洋", public_key=KEY.public_key())
    again = h.gate.record_door_scans([scan, scan], door="刘洋", public_key=KEY.public_key())
    assert [s.answer() for s in again] == [first[0].answer()] * 2
    assert len(h.gate.door_scans()) == 1


def test_a_valid_out_records_the_exit_and_a_second_in_is_a_pass_back() -> None:
    """"out" makes the hall one fewer (an Exited event); "in" twice without "out" is flagged, the first is not."""
    h = Harness()
    serial, code = _admitted(h)
    now = h.clock.now()
    made = h.gate.record_door_scans(
        [_upload("in-000001", code, "in", now), _upload("in-000002", code, "in", now + dt.timedelta(seconds=5)),
         _upload("out-00001", code, "out", now + dt.timedelta(seconds=9))], door="刘洋", public_key=KEY.public_key())
    assert [(s.pass_back, s.exit_recorded) for s in made] == [(False, False), (True, False), (False, True)]
    assert [e.badge for e in h.published_of(Exited)] == [serial]
    assert not h.store.admissions[next(iter(h.store.admissions))].inside


def test_the_server_verdict_decides_not_the_devices() -> None:
    """A forged code the device called valid records no exit; a revoked badge is revoked on the server too."""
    h = Harness()
    serial, code = _admitted(h)
    forged = Ed25519PrivateKey.generate()
    fake = h.gate.badge_code(h.gate.badge(serial), forged)
    h.gate.revoke_badge(serial, reason="遗失", operator="李强")
    made = h.gate.record_door_scans([_upload("forged-01", fake, "out", h.clock.now()),
                                     _upload("revoked-1", code, "out", h.clock.now())],
                                    door="刘洋", public_key=KEY.public_key())
    assert [(s.reason, s.server_reason, s.exit_recorded) for s in made] == [
        (VerdictReason.VALID, VerdictReason.BAD_SIGNATURE, False), (VerdictReason.VALID, VerdictReason.REVOKED, False)]


@pytest.mark.parametrize(("field", "value"), [("nonce", "short"), ("direction", "sideways"), ("reason", "fine"),
                                              ("scanned_at", "yesterday"), ("verdict", "invalid")])
def test_an_upload_that_is_not_a_scan_is_refused_naming_the_field(field: str, value: str) -> None:
    """Each field of an uploaded scan is checked; the error names it."""
    data = {"nonce": "nonce-0001", "code": "TG1.x", "direction": "in", "scanned_at": "2026-11-23T09:00:00+08:00",
            "verdict": "valid", "reason": "valid"} | {field: value}
    with pytest.raises(InvalidInputError) as info:
        DoorScanUpload.of(data)
    assert info.value.field == field
