"""The repository of the hall door's scans on SQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import RowMapping, insert, select

from tenderguard.domain.badge_code import VerdictReason
from tenderguard.domain.door import DoorDirection, DoorScan
from tenderguard.store.sql.repositories import Repo
from tenderguard.store.tables import door_scans

__all__ = ["DoorScans"]

_INSERT = insert(door_scans)


class DoorScans(Repo):
    """Door scans by nonce (a second INSERT of a nonce is the primary key's unique violation: a conflict)."""

    def _of(self, row: RowMapping) -> DoorScan:
        return DoorScan(nonce=row["nonce"], door=row["door"], serial=row["serial"],
                        direction=DoorDirection(row["direction"]), scanned_at=self._local(row["scanned_at"]),
                        reason=VerdictReason(row["reason"]), server_reason=VerdictReason(row["server_reason"]),
                        received_at=self._local(row["received_at"]), pass_back=bool(row["pass_back"]),
                        exit_recorded=bool(row["exit_recorded"]))

    def add(self, scan: DoorScan) -> None:
        self.uow.execute(_INSERT, {
            "nonce": scan.nonce, "door": scan.door, "serial": scan.serial, "direction": str(scan.direction),
            "scanned_at": scan.scanned_at, "verdict": scan.verdict, "reason": str(scan.reason),
            "server_reason": str(scan.server_reason), "pass_back": scan.pass_back,
            "exit_recorded": scan.exit_recorded, "received_at": scan.received_at})

    def get(self, nonce: str) -> DoorScan | None:
        row = self.uow.execute(select(door_scans).where(door_scans.c.nonce == nonce)).mappings().first()
        return None if row is None else self._of(row)

    def for_serial(self, serial: str) -> list[DoorScan]:
        query = (select(door_scans).where(door_scans.c.serial == serial)
                 .order_by(door_scans.c.scanned_at, door_scans.c.received_at))
        return [self._of(row) for row in self.uow.execute(query).mappings()]

    def for_day(self, day: dt.date) -> list[DoorScan]:
        tz = self.store.centre.tz
        start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
        query = (select(door_scans)
                 .where(door_scans.c.scanned_at >= start, door_scans.c.scanned_at < start + dt.timedelta(days=1))
                 .order_by(door_scans.c.scanned_at, door_scans.c.received_at))
        return [self._of(row) for row in self.uow.execute(query).mappings()]
