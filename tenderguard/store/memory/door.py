"""The in-memory repository of the hall door's scans."""

from __future__ import annotations

import datetime as dt

from tenderguard.domain.door import DoorScan
from tenderguard.errors import ConflictError
from tenderguard.store.memory.repositories import Repo

__all__ = ["DoorScans"]


class DoorScans(Repo):
    """Door scans by nonce."""

    table = "door_scans"

    def add(self, scan: DoorScan) -> None:
        if self._get(scan.nonce) is not None:
            raise ConflictError(f"scan {scan.nonce} is already recorded")  # as the SQL primary key refuses it
        self._put(scan.nonce, scan)

    def get(self, nonce: str) -> DoorScan | None:
        found: DoorScan | None = self._get(nonce)
        return found

    def for_serial(self, serial: str) -> list[DoorScan]:
        return sorted(self._select(lambda s: s.serial == serial), key=lambda s: (s.scanned_at, s.received_at))

    def for_day(self, day: dt.date) -> list[DoorScan]:
        day_of = self.store.centre.day_of
        return sorted(self._select(lambda s: day_of(s.scanned_at) == day), key=lambda s: (s.scanned_at, s.received_at))
