"""The SQL repositories of places and badges: admissions (who holds which place, who is inside) and day badges.

The statements a desk runs at every admission are built once, here, and run with parameters. On PostgreSQL an
admission queues behind the other desks deciding on the same thing: one person (an advisory lock), one
organisation's quota (an advisory lock: rows another desk has not committed cannot be locked), one hall (its
``hall_occupancy`` row, locked until commit), the day's badge numbers (``day_sequences``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs
from sqlalchemy import RowMapping, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect

from tenderguard.domain.model import Admission, AdmissionStatus, Badge, BadgeStatus
from tenderguard.policy import Role
from tenderguard.store.sql.repositories import Repo, insert_numbered
from tenderguard.store.tables import admissions, badges, day_sequences, hall_occupancy

__all__ = ["Attendance", "Badges"]

_ACTIVE = str(AdmissionStatus.ACTIVE)
_BY_ORDINAL = admissions.c.ordinal
_PERSON_ADMISSIONS = (select(admissions)
                      .where(admissions.c.day == bindparam("day"), admissions.c.person_key == bindparam("person_key"))
                      .order_by(_BY_ORDINAL))
_ORGANISATION_ADMISSIONS = (select(admissions)
                            .where(admissions.c.day == bindparam("day"),
                                   admissions.c.organisation == bindparam("organisation"),
                                   admissions.c.role == bindparam("role"), admissions.c.status == _ACTIVE)
                            .order_by(_BY_ORDINAL))
_BADGE_ADMISSION = (select(admissions).where(admissions.c.badge == bindparam("badge"), admissions.c.status == _ACTIVE)
                    .order_by(_BY_ORDINAL))
_BADGE_ADMISSION_LOCKED = _BADGE_ADMISSION.with_for_update()
_HALL_WHERE = (hall_occupancy.c.day == bindparam("day"), hall_occupancy.c.hall == bindparam("hall"))
_INSIDE = select(hall_occupancy.c.inside).where(*_HALL_WHERE)
#: PostgreSQL: the hall's row, locked until commit (made at 0 on the day's first use): desks deciding on one hall
#: queue on it, and one that waited reads the count the other desk left.
_INSIDE_DECIDING = (postgresql.insert(hall_occupancy).values(inside=0)
                    .on_conflict_do_update(index_elements=[hall_occupancy.c.day, hall_occupancy.c.hall],
                                           set_={"inside": hall_occupancy.c.inside})
                    .returning(hall_occupancy.c.inside))
_SAVE_ADMISSION = update(admissions).where(admissions.c.id == bindparam("b_id"))

_BADGE = select(badges).where(badges.c.serial == bindparam("serial"))
_BADGE_FOR_UPDATE = _BADGE.with_for_update()
_ADD_BADGE = insert(badges)
_SAVE_BADGE = update(badges).where(badges.c.serial == bindparam("b_serial"))
#: The day's next badge number, per dialect (the row locked until commit: numbers are never skipped).
_NEXT_SEQUENCE = {
    pg: (dialect.insert(day_sequences).values(value=1)
         .on_conflict_do_update(index_elements=[day_sequences.c.centre, day_sequences.c.day],
                                set_={"value": day_sequences.c.value + 1})
         .returning(day_sequences.c.value))
    for pg, dialect in ((True, postgresql), (False, sqlite_dialect))
}


class Attendance(Repo):
    """Admissions: who holds which place, who is inside which hall (counted by triggers in ``hall_occupancy``)."""

    def _row(self, a: Admission) -> dict[str, Any]:
        row = attrs.asdict(a, recurse=False)
        row["role"], row["status"] = str(a.role), str(a.status)
        return row

    def _of(self, row: Mapping[Any, Any]) -> Admission:
        return Admission(
            id=row["id"], screening_id=row["screening_id"], day=row["day"], session=row["session"],
            hall=row["hall"], role=Role(row["role"]), organisation=row["organisation"],
            person_key=row["person_key"], badge=row["badge"], at=self._local(row["at"]), desk=row["desk"],
            status=AdmissionStatus(row["status"]), inside=row["inside"], exited_at=self._opt_local(row["exited_at"]),
            entries=row["entries"],
        )

    def _list(self, query: Any, params: Mapping[str, Any] | None = None) -> list[Admission]:
        return [self._of(row) for row in self.uow.execute(query, params).mappings()]

    def add(self, admission: Admission) -> None:
        self.uow.execute(insert_numbered(admissions, sqlite=not self.pg), self._row(admission))

    def save(self, admission: Admission) -> None:
        row = self._row(admission)
        row["b_id"] = row.pop("id")
        self.uow.execute(_SAVE_ADMISSION, row)

    def by_badge(self, serial: str) -> Admission | None:
        found = self._list(_BADGE_ADMISSION_LOCKED if self.pg else _BADGE_ADMISSION, {"badge": serial})
        return found[-1] if found else None

    def for_day(self, day: dt.date) -> list[Admission]:
        return self._list(select(admissions).where(admissions.c.day == day).order_by(_BY_ORDINAL))

    def for_person(self, day: dt.date, person_key: str) -> list[Admission]:
        return self._list(_PERSON_ADMISSIONS, {"day": day, "person_key": person_key})

    def hold_person(self, day: dt.date, person_key: str) -> None:
        self._lock(f"person|{day}|{person_key}")

    def active_for_organisation(self, day: dt.date, organisation: str, role: Role, *,
                                deciding: bool = False) -> list[Admission]:
        # Rows another desk has not committed yet cannot be locked: desks deciding on one organisation's role
        # queue on an advisory lock instead (and the unique index settles bidders' races in any case).
        if deciding:
            self._lock(f"quota|{day}|{organisation}|{role}")
        return self._list(_ORGANISATION_ADMISSIONS, {"day": day, "organisation": organisation, "role": str(role)})

    def inside(self, day: dt.date, hall: str, *, deciding: bool = False) -> int:
        stmt = _INSIDE_DECIDING if deciding and self.pg else _INSIDE
        count: int | None = self.uow.execute(stmt, {"day": day, "hall": hall}).scalar()
        return count or 0


class Badges(Repo):
    """Badges and the day's serial numbers."""

    def _row(self, b: Badge) -> dict[str, Any]:
        row = attrs.asdict(b, recurse=False)
        row["role"], row["status"] = str(b.role), str(b.status)
        return row

    def _of(self, row: RowMapping) -> Badge:
        return Badge(
            serial=row["serial"], centre=row["centre"], day=row["day"], session=row["session"], hall=row["hall"],
            role=Role(row["role"]), company=row["company"], credit_code=row["credit_code"],
            holder_masked=row["holder_masked"], person_key=row["person_key"],
            issued_at=self._local(row["issued_at"]), status=BadgeStatus(row["status"]),
            revoked_reason=row["revoked_reason"], reprints=row["reprints"],
        )

    def add(self, badge: Badge) -> None:
        self.uow.execute(_ADD_BADGE, self._row(badge))

    def get(self, serial: str) -> Badge | None:
        row = self.uow.execute(_BADGE_FOR_UPDATE if self.pg else _BADGE, {"serial": serial}).mappings().first()
        return None if row is None else self._of(row)

    def save(self, badge: Badge) -> None:
        row = self._row(badge)
        row["b_serial"] = row.pop("serial")
        self.uow.execute(_SAVE_BADGE, row)

    def next_sequence(self, centre: str, day: dt.date) -> int:
        value: int = self.uow.execute(_NEXT_SEQUENCE[self.pg], {"centre": centre, "day": day}).scalar_one()
        return value

    def for_day(self, day: dt.date) -> list[Badge]:
        query = select(badges).where(badges.c.day == day).order_by(badges.c.serial)
        return [self._of(row) for row in self.uow.execute(query).mappings()]
