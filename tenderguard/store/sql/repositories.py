"""The repositories of the day's records on SQL: sessions, agencies, companies, screenings (and :class:`Repo`).

Each runs plain SQLAlchemy Core statements on its unit of work's connection, built once where a desk runs them
at every step. Screenings are live process objects: rebuilt from their row when loaded (their step records when
first needed), tracked by the unit of work, and written back on commit. On PostgreSQL an admission reads its
session under a shared lock; admissions and badges, with their locks, are in :mod:`~tenderguard.store.sql.attendance`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import RowMapping, String, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect

from tenderguard.domain.model import (
    Agency,
    BidSession,
    Outcome,
    Reason,
    Visitor,
)
from tenderguard.domain.screening import Actor, Screening, StepRecord
from tenderguard.policy import Role
from tenderguard.store.tables import (
    agencies,
    companies,
    letter_sequences,
    screening_events,
    screenings,
    sessions,
)

if TYPE_CHECKING:
    from tenderguard.store.sql.unit_of_work import SqlUnitOfWork

__all__ = ["Repo", "insert_numbered"]


#: The INSERT of a numbered table's rows, per table and dialect (see :func:`insert_numbered`), built once each.
_NUMBERED: dict[tuple[str, bool], Any] = {}


def insert_numbered(table: Table, *, sqlite: bool) -> Any:
    """The INSERT of a row of ``table`` (its values given as parameters when run).

    On SQLite the row's ``ordinal`` is ``max + 1``; PostgreSQL numbers it with an identity.
    """
    found = _NUMBERED.get((table.name, sqlite))
    if found is None:
        stmt = insert(table)
        if sqlite:
            stmt = stmt.values(ordinal=select(func.coalesce(func.max(table.c.ordinal), 0) + 1).scalar_subquery())
        found = _NUMBERED[(table.name, sqlite)] = stmt
    return found


#: Wait for the other desks deciding on the same thing (PostgreSQL; held until the transaction ends).
_ADVISORY_LOCK = select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("name", type_=String), 0)))


def _reason(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return Reason(value)
    except ValueError:
        return value  # a reason code a policy's question defines


class Repo:
    """Base of the SQL repositories: the unit of work, its store, and the centre's time zone for instants."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow
        self.store = uow.store
        self.pg = uow.store.dialect == "postgresql"

    def _local(self, value: dt.datetime) -> dt.datetime:
        return value.astimezone(self.store.centre.tz)

    def _opt_local(self, value: dt.datetime | None) -> dt.datetime | None:
        return None if value is None else self._local(value)

    def _insert(self, table: Table) -> Any:
        return (postgresql.insert if self.pg else sqlite_dialect.insert)(table)

    def _lock(self, name: str) -> None:
        """PostgreSQL: wait for other desks deciding on ``name`` (held until this unit of work ends)."""
        if self.pg:
            self.uow.execute(_ADVISORY_LOCK, {"name": name})


_SESSION = select(sessions).where(sessions.c.code == bindparam("code"))
#: PostgreSQL: a session's row shared by admitting desks (FOR SHARE), or alone for a change (FOR UPDATE).
_SESSION_SHARED = _SESSION.with_for_update(read=True)
_SESSION_ALONE = _SESSION.with_for_update()


class Sessions(Repo):
    """Bid sessions."""

    def _values(self, session: BidSession) -> dict[str, Any]:
        return {"project_name": session.project_name, "opens_at": session.opens_at,
                "day": session.day(self.store.centre), "hall": session.hall, "agency": session.agency,
                "status": str(session.status), "postponed_from": session.postponed_from,
                "status_changed_at": session.status_changed_at, "status_reason": session.status_reason}

    def add(self, session: BidSession) -> None:
        self.uow.execute(insert(sessions), {"code": session.code, **self._values(session)})

    def save(self, session: BidSession) -> None:
        self.uow.execute(update(sessions).where(sessions.c.code == session.code).values(self._values(session)))

    def _of(self, row: RowMapping) -> BidSession:
        return BidSession(code=row["code"], project_name=row["project_name"], opens_at=self._local(row["opens_at"]),
                          hall=row["hall"], agency=row["agency"], status=row["status"],
                          postponed_from=self._opt_local(row["postponed_from"]),
                          status_changed_at=self._opt_local(row["status_changed_at"]),
                          status_reason=row["status_reason"])

    def _first(self, query: Any, code: str) -> BidSession | None:
        row = self.uow.execute(query, {"code": code}).mappings().first()
        return None if row is None else self._of(row)

    def get(self, code: str) -> BidSession | None:
        return self._first(_SESSION, code)

    def hold(self, code: str, *, change: bool = False) -> BidSession | None:
        # A desk that waited for a change reads the row as the change left it.
        if not self.pg:
            return self._first(_SESSION, code)
        return self._first(_SESSION_ALONE if change else _SESSION_SHARED, code)

    def all(self, day: dt.date | None = None) -> list[BidSession]:
        query = select(sessions).order_by(sessions.c.opens_at, sessions.c.code)
        if day is not None:
            query = query.where(sessions.c.day == day)
        return [self._of(row) for row in self.uow.execute(query).mappings()]


class Agencies(Repo):
    """Procurement agencies (added or updated)."""

    def add(self, agency: Agency) -> None:
        values = {"code": agency.code, "name": agency.name, "contact": agency.contact, "phone": agency.phone,
                  "email": agency.email}
        stmt = self._insert(agencies).values(values).on_conflict_do_update(
            index_elements=[agencies.c.code], set_={k: v for k, v in values.items() if k != "code"})
        self.uow.execute(stmt)

    def get(self, code: str) -> Agency | None:
        row = self.uow.execute(select(agencies).where(agencies.c.code == code)).mappings().first()
        return None if row is None else Agency(**row)

    def all(self) -> list[Agency]:
        return [Agency(**row) for row in self.uow.execute(select(agencies).order_by(agencies.c.code)).mappings()]


_COMPANY_NAME = select(companies.c.name).where(companies.c.credit_code == bindparam("credit_code"))
_COMPANY_BY_KEY = select(companies.c.credit_code).where(companies.c.name_key == bindparam("name_key"))
_ADD_COMPANY = insert(companies)


class Companies(Repo):
    """Companies by credit code, with the name first seen."""

    def get(self, credit_code: str) -> str | None:
        found: str | None = self.uow.execute(_COMPANY_NAME, {"credit_code": credit_code}).scalar()
        return found

    def by_key(self, name_key: str) -> str | None:
        found: str | None = self.uow.execute(_COMPANY_BY_KEY, {"name_key": name_key}).scalar()
        return found

    def add(self, credit_code: str, name: str, name_key: str) -> None:
        self.uow.execute(_ADD_COMPANY, {"credit_code": credit_code, "name": name, "name_key": name_key})


#: A screening and its step records by id: built once (a desk loads one at every step).
_SCREENING_BY_ID = select(screenings).where(screenings.c.id == bindparam("id"))
_RECORDS_OF = (select(screening_events).where(screening_events.c.screening_id == bindparam("id"))
               .order_by(screening_events.c.seq))
_RECORDS_OF_MANY = (select(screening_events)
                    .where(screening_events.c.screening_id.in_(bindparam("ids", expanding=True)))
                    .order_by(screening_events.c.screening_id, screening_events.c.seq))
#: A person's screenings of a day (the arrival's and the admission's checks), in the order they were opened.
_PERSON_SCREENINGS = (select(screenings)
                      .where(screenings.c.day == bindparam("day"), screenings.c.person_key == bindparam("person_key"))
                      .order_by(screenings.c.ordinal))


class Screenings(Repo):
    """Screenings: rows with their step records, rebuilt as live objects the unit of work writes back."""

    def add(self, screening: Screening) -> None:
        self.uow.track(screening, version=None)

    def _build(self, row: RowMapping, records: Iterable[RowMapping] | None) -> Screening:
        """A screening from its row, with its step records (None: fetched from the store when first needed)."""
        visitor = Visitor(
            session=row["session"], role=Role(row["role"]), name=row["name"], at=self._local(row["visitor_at"]),
            document_kind=row["document_kind"], document_masked=row["document_masked"], company=row["company"],
            credit_code=row["credit_code"], phone_masked=row["phone_masked"], key_area=row["key_area"],
            document_number=row["document_number"], phone_key=row["phone_key"],
        )
        s = Screening(id=row["id"], visitor=visitor, person_key=row["person_key"], hall=row["hall"],
                      reentry=row["reentry"], opened_at=self._local(row["opened_at"]),
                      actor=Actor(desk=row["opened_desk"], operator=row["opened_operator"]), state=row["state"],
                      source=row["source_ref"])
        s.outcome = Outcome(row["outcome"]) if row["outcome"] is not None else None
        s.reason = _reason(row["reason"])
        s.services = tuple(row["services"])
        s.badge = row["badge"]
        s.fevers = row["fevers"]
        s.measuring_errors = row["measuring_errors"]
        s.rest_until = self._opt_local(row["rest_until"])
        s.supplies = dict(row["supplies"])
        s.health_purged_at = self._opt_local(row["health_purged_at"])
        s.residence, s.letter_serial = row["residence"], row["letter_serial"]
        if records is None:
            s.keep_records_lazily(row["steps"], row["readings"], lambda: self._records_of(s.id))
        else:
            s.steps = row["steps"]
            s.keep_records([self._record(r) for r in records])
        self.uow.track(s, version=row["version"])
        return s

    def _record(self, r: RowMapping) -> StepRecord:
        return StepRecord(
            screening_id=r["screening_id"], seq=r["seq"], at=self._local(r["at"]), desk=r["desk"],
            operator=r["operator"], action=r["action"], state_from=r["state_from"], state_to=r["state_to"],
            detail=dict(r["detail"]), sensitive=r["sensitive"],
        )

    def _records_of(self, screening_id: str) -> list[StepRecord]:
        return [self._record(r) for r in self.uow.execute(_RECORDS_OF, {"id": screening_id}).mappings()]

    def _many(self, *where: Any) -> list[Screening]:
        """The stored screenings matching ``where``, in the order they were opened (those already loaded as such)."""
        return self._found(select(screenings).where(*where).order_by(screenings.c.ordinal))

    def _found(self, query: Any, params: Mapping[str, Any] | None = None) -> list[Screening]:
        """The screenings a query finds, with their step records (those already loaded as such)."""
        rows = self.uow.execute(query, params).mappings().all()
        wanted = [row for row in rows if self.uow.tracked(row["id"]) is None]
        records: dict[str, list[RowMapping]] = {}
        if wanted:
            for record in self.uow.execute(_RECORDS_OF_MANY, {"ids": [row["id"] for row in wanted]}).mappings():
                records.setdefault(record["screening_id"], []).append(record)
        found: list[Screening] = []
        for row in rows:
            known = self.uow.tracked(row["id"])
            found.append(known if known is not None else self._build(row, records.get(row["id"], ())))
        return found

    def _with_new(self, found: list[Screening], keep: Any) -> list[Screening]:
        """``found`` and the screenings added in this unit of work (not written yet) that ``keep`` accepts."""
        stored = {s.id for s in found}
        return found + [s for s in self.uow.new_screenings() if s.id not in stored and keep(s)]

    def get(self, screening_id: str) -> Screening | None:
        known = self.uow.tracked(screening_id)
        if known is not None:
            return known
        row = self.uow.execute(_SCREENING_BY_ID, {"id": screening_id}).mappings().first()
        if row is None:
            return None
        return self._build(row, None)

    def for_day(self, day: dt.date) -> list[Screening]:
        day_of = self.store.centre.day_of
        return self._with_new(self._many(screenings.c.centre == self.store.centre.code, screenings.c.day == day),
                              lambda s: day_of(s.opened_at) == day)

    def open(self) -> list[Screening]:
        return self._with_new(self._many(screenings.c.centre == self.store.centre.code,
                                         screenings.c.outcome.is_(None)), lambda s: not s.closed)

    def by_source(self, source: str) -> Screening | None:
        known = next((s for s in self.uow.new_screenings() if s.source == source), None)
        if known is not None:
            return known
        found = self._many(screenings.c.source_ref == source)
        return found[0] if found else None

    def for_person(self, day: dt.date, person_key: str) -> list[Screening]:
        day_of = self.store.centre.day_of
        return self._with_new(self._found(_PERSON_SCREENINGS, {"day": day, "person_key": person_key}),
                              lambda s: s.person_key == person_key and day_of(s.opened_at) == day)

    def with_phone(self, day: dt.date, session: str, phone_key: str) -> list[Screening]:
        return self._with_new(
            self._many(screenings.c.session == session, screenings.c.phone_key == phone_key,
                       screenings.c.day == day),
            lambda s: s.visitor.session == session and s.visitor.phone_key == phone_key)

    def companies_before(self, day: dt.date, prefix: str, limit: int) -> list[tuple[str, str]]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = (select(screenings.c.company, screenings.c.credit_code).distinct()
                 .where(screenings.c.centre == self.store.centre.code, screenings.c.day < day,
                        screenings.c.credit_code.is_not(None),
                        screenings.c.company.like(f"{escaped}%", escape="\\"))
                 .order_by(screenings.c.company, screenings.c.credit_code).limit(limit))
        return [(str(r["company"]), str(r["credit_code"])) for r in self.uow.execute(query).mappings()]

    def next_letter_serial(self, centre: str, year: int) -> int:
        stmt = (self._insert(letter_sequences).values(centre=centre, year=year, value=1)
                .on_conflict_do_update(index_elements=[letter_sequences.c.centre, letter_sequences.c.year],
                                       set_={"value": letter_sequences.c.value + 1})
                .returning(letter_sequences.c.value))
        value: int = self.uow.execute(stmt).scalar_one()
        return value
