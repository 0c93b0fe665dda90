"""The hall door: scans recorded once per nonce, exits through the door, badges let in twice (pass-back).

A door device verifies each badge's code itself, offline if need be, and uploads its scans. The server verifies
every code again with what it knows when the scan arrives — the current revocation list and the badges on record,
for the day the scan was made — and only its own verdict acts: a valid "out" records the exit (the hall has one
person fewer, as :meth:`~tenderguard.services.Desk.record_exit`), a valid "in" of a badge whose last door scan was
a valid "in" and that is still inside is flagged ``pass_back``. A nonce recorded before is answered as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tenderguard.domain import events
from tenderguard.domain.badge_code import Verdict, VerdictReason, verify_code
from tenderguard.domain.door import DoorDirection, DoorScan, DoorScanUpload
from tenderguard.domain.model import a_day
from tenderguard.domain.screening import Actor
from tenderguard.errors import ConflictError
from tenderguard.services.badges import BadgeUseCases
from tenderguard.store.unit_of_work import AbstractUnitOfWork

__all__ = ["DOOR_DESK", "DoorUseCases"]

#: The desk name the door's exits are recorded under (the operator is the door's account).
DOOR_DESK = "door"
_RETRIES = 3


class DoorUseCases(BadgeUseCases):
    """Scans at the hall doors: recorded once per nonce; exits and pass-backs by the server's own verdict."""

    def record_door_scans(self, scans: Sequence[DoorScanUpload], *, door: str,
                          public_key: Ed25519PublicKey) -> list[DoorScan]:
        """Record each scan once per nonce (in the order given); returns each scan as recorded."""
        return [self._record_door_scan(scan, door, public_key) for scan in scans]

    def door_scans(self, day: dt.date | None = None) -> list[DoorScan]:
        """The scans made at the doors on a day (default today), in the order they were made."""
        day = None if day is None else a_day(day, field="day")
        with self.uow_factory() as uow:
            return uow.door_scans.for_day(day or self.centre.day_of(self.clock.now()))

    def _record_door_scan(self, upload: DoorScanUpload, door: str, public_key: Ed25519PublicKey) -> DoorScan:
        day = self.centre.day_of(upload.scanned_at)
        for attempt in range(_RETRIES):
            # The list is read in its own transaction, before the scan's: one writer at a time on SQLite.
            verdict = verify_code(upload.code, public_key, centre=self.centre.code, today=day,
                                  revocations=self.revocations(day))
            uow = self.uow_factory()
            try:
                with uow:
                    known = uow.door_scans.get(upload.nonce)
                    if known is not None:
                        return known  # an upload repeated: answered as the first time
                    uow.actor = Actor(desk=DOOR_DESK, operator=door)
                    scan = self._scan(uow, upload, door, verdict)
                    uow.door_scans.add(scan)
                    uow.commit()
            except ConflictError:
                if attempt == _RETRIES - 1:
                    raise
                continue  # another upload of the same nonce (or a desk) committed first: look again
            self.bus.publish(uow.collect_new_events())
            return scan
        raise AssertionError("unreachable")  # pragma: no cover

    def _scan(self, uow: AbstractUnitOfWork, upload: DoorScanUpload, door: str, verdict: Verdict) -> DoorScan:
        now = self.clock.now()
        reason, claim = verdict.reason, verdict.claim
        if verdict.valid and claim is not None and uow.badges.get(claim.serial) is None:
            reason = VerdictReason.REVOKED  # signed with the key, but not a badge of this centre's records
        pass_back = exited = False
        admission = uow.attendance.by_badge(claim.serial) if reason is VerdictReason.VALID and claim else None
        if admission is not None and admission.inside:
            if upload.direction is DoorDirection.OUT:
                admission.inside, admission.exited_at = False, now
                uow.attendance.save(admission)
                uow.events.append(events.Exited(at=now, badge=admission.badge, hall=admission.hall,
                                                recorded_on_return=False, source=f"door:{upload.nonce}"))
                exited = True
            else:
                earlier = [s for s in uow.door_scans.for_serial(admission.badge)
                           if s.server_reason is VerdictReason.VALID and s.scanned_at <= upload.scanned_at]
                pass_back = bool(earlier) and earlier[-1].direction is DoorDirection.IN
        return DoorScan(nonce=upload.nonce, door=door, serial=claim.serial if claim else None,
                        direction=upload.direction, scanned_at=upload.scanned_at, reason=upload.reason,
                        server_reason=reason, received_at=now, pass_back=pass_back, exit_recorded=exited)
