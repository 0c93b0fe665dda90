"""The repository interface of the hall door's scans (kept apart: the unit of work declares it through a mixin)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from tenderguard.domain.door import DoorScan

__all__ = ["DoorScanRepository", "DoorScanStore"]


class DoorScanRepository(Protocol):
    """Scans made at the hall doors, one per nonce."""

    def add(self, scan: DoorScan) -> None:
        """Record a scan (its nonce not recorded before)."""

    def get(self, nonce: str) -> DoorScan | None:
        """The scan recorded with this nonce, or None."""

    def for_serial(self, serial: str) -> list[DoorScan]:
        """A badge's scans, in the order they were made."""

    def for_day(self, day: dt.date) -> list[DoorScan]:
        """The scans made on a day (in the centre's time zone), in the order they were made."""


class DoorScanStore:
    """The part of a unit of work that holds the door's scans."""

    door_scans: DoorScanRepository
