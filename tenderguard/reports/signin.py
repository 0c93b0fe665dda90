"""The bidder sign-in sheet (投标人签到表) of a bid opening: who holds each bidder company's place, from the records.

:func:`signin_rows` builds the rows from a day's screenings, admissions and badges: one per company admitted in the
bidder role for the session, the person who holds its place now (a substitute, not the one who handed the badge
back, with the substitution noted), the representative's name masked as on the badge (:func:`mask_name`), the time
of admission and the badge serial, by admission time. A company whose place was given up (its badge revoked and
nobody admitted since) has no row. The sheet tells who bids, so the gate makes it only once the session has opened
(:meth:`~tenderguard.services.gate.Gate.signin_sheet`); the writers are in :mod:`tenderguard.reports.signin_writers`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import attrs

from tenderguard.domain.model import Admission, AdmissionStatus, Agency, Badge, BidSession, Centre, Outcome
from tenderguard.domain.screening import Screening
from tenderguard.policy import Role

__all__ = ["Replaced", "SigninRow", "SigninSession", "SigninSheet", "signin_rows", "signin_session"]

#: The step record of a substitution (the desk's override) and the field naming the handed-back badge.
_SUBSTITUTION = "override:substitution"


@attrs.frozen
class SigninSession:
    """The session a sign-in sheet is for: code, project, opening time, hall and the agency (name and code)."""

    code: str
    project: str
    opens_at: dt.datetime
    hall: str
    agency: str | None = None
    agency_code: str | None = None


@attrs.frozen
class Replaced:
    """A representative who handed the company's badge back for the one who holds the place now."""

    badge: str
    representative: str


@attrs.frozen
class SigninRow:
    """One bidder company on the sheet, as its place is held now.

    The company's name and credit code (or registration number), the representative (masked), the time of
    admission, the badge serial and, for a substitute, whom they replaced (latest first).
    """

    company: str
    credit_code: str
    representative: str
    arrived_at: dt.datetime
    badge: str
    replaced: tuple[Replaced, ...] = ()

    @property
    def note(self) -> str | None:
        """``换人：接替 张*(MY-20261123-0001)`` for a substitute; None otherwise."""
        if not self.replaced:
            return None
        return "换人：接替 " + "、".join(f"{r.representative}({r.badge})" for r in self.replaced)


@attrs.frozen
class SigninSheet:
    """The bidder sign-in sheet of one session: the centre, the session, the rows by admission time, when made."""

    centre: Centre
    session: SigninSession
    rows: tuple[SigninRow, ...]
    made_at: dt.datetime

    @property
    def substitutions(self) -> int:
        """How many rows are substitutes."""
        return sum(1 for row in self.rows if row.replaced)


def signin_session(session: BidSession, agency: Agency | None) -> SigninSession:
    """The sheet's view of a registered session and its agency."""
    return SigninSession(code=session.code, project=session.project_name, opens_at=session.opens_at,
                         hall=session.hall, agency=agency.name if agency else None, agency_code=session.agency)


def _admitted_at(screening: Screening) -> dt.datetime:
    """When the screening admitted its person (its ``admit`` step), else when it was opened."""
    return next((r.at for r in reversed(screening.records) if r.action == "admit"), screening.opened_at)


def _replaced_badge(screening: Screening | None) -> str | None:
    """The badge handed back for the person of this screening, when it was a substitution."""
    if screening is None:
        return None
    record = next((r for r in screening.records if r.action == _SUBSTITUTION), None)
    replaces = None if record is None else record.detail.get("replaces")
    return replaces if isinstance(replaces, str) else None


def _chain(admission: Admission, screenings: Mapping[str, Screening], admissions: Mapping[str, Admission],
           badges: Mapping[str, Badge]) -> tuple[Replaced, ...]:
    """Whom the holder of ``admission`` replaced, and whom that one replaced…, latest first."""
    chain: list[Replaced] = []
    seen = {admission.badge}
    current: Admission | None = admission
    while current is not None:
        serial = _replaced_badge(screenings.get(current.screening_id))
        if serial is None or serial in seen:
            break
        seen.add(serial)
        badge = badges.get(serial)
        chain.append(Replaced(badge=serial, representative=badge.holder_masked if badge else "—"))
        current = admissions.get(serial)
    return tuple(chain)


def signin_rows(code: str, *, screenings: Iterable[Screening], admissions: Iterable[Admission],
                badges: Iterable[Badge]) -> tuple[SigninRow, ...]:
    """The sheet's rows for session ``code`` from the day's screenings, admissions and badges, by admission time.

    A company is on the sheet when someone was admitted for it in the bidder role for this session; its row shows
    whoever holds its place now (its active admission), admitted at the first admission of that badge for this
    session (or, for a substitute who came for another session, when the substitute was admitted).
    """
    by_screening = {s.id: s for s in screenings}
    by_badge = {a.badge: a for a in admissions}
    badge_of = {b.serial: b for b in badges}
    holders = {a.organisation: a for a in by_badge.values()
               if a.role is Role.BIDDER and a.status is AdmissionStatus.ACTIVE and a.organisation is not None}
    first_here: dict[str, dt.datetime] = {}  # badge serial -> its first admission for this session
    companies: set[str] = set()
    for s in by_screening.values():
        v = s.visitor
        if v.session != code or v.role is not Role.BIDDER or s.outcome is not Outcome.ADMITTED or s.badge is None:
            continue
        at = _admitted_at(s)
        first_here[s.badge] = min(at, first_here.get(s.badge, at))
        admitted = by_badge.get(s.badge)
        company = admitted.organisation if admitted is not None else v.credit_code
        if company is not None:
            companies.add(company)
    rows: list[SigninRow] = []
    for company in companies:
        holder = holders.get(company)
        badge = None if holder is None else badge_of.get(holder.badge)
        if holder is None or badge is None:
            continue  # the place was given up (its badge revoked) and nobody holds it now
        rows.append(SigninRow(
            company=badge.company or "—", credit_code=badge.credit_code or company,
            representative=badge.holder_masked, arrived_at=first_here.get(holder.badge, holder.at),
            badge=holder.badge, replaced=_chain(holder, by_screening, by_badge, badge_of),
        ))
    return tuple(sorted(rows, key=lambda r: (r.arrived_at, r.badge)))
