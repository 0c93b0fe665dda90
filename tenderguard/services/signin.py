"""The bidder sign-in sheet (投标人签到表) of a session, made only once the session has opened; audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tenderguard.errors import InvalidInputError, NotFoundError, TooEarlyError
from tenderguard.i18n import _, format_datetime
from tenderguard.records.audit import AuditDraft

if TYPE_CHECKING:
    from tenderguard.reports.signin import SigninSheet

from tenderguard.services.base import GateParts

__all__ = ["SigninUseCases"]


class SigninUseCases(GateParts):
    """The bidder sign-in sheet of a session for the opening record."""

    def signin_sheet(self, session_code: str, *, operator: str = "system") -> SigninSheet:
        """The sign-in sheet of a session: one row per bidder company admitted for it, by admission time; audited.

        Before the session's opening time it is refused with :class:`TooEarlyError`: nothing may tell who bids
        before the opening (Bidding Law art. 22). Each sheet made is recorded in the audit trail (kind
        ``signin_sheet``, the session's code, the operator, how many rows and substitutes).
        """
        if not isinstance(session_code, str) or not session_code.strip():
            raise InvalidInputError("session", _("is required"), hint=_("give the session's code, e.g. MY-2026-118"))
        if not isinstance(operator, str) or not operator.strip():
            raise InvalidInputError("operator", _("is required"), hint=_("who makes the sheet (recorded in the audit "
                                                                      "trail)"))
        code = session_code.strip()
        # Loaded on demand: the reports package brings the spreadsheet library with it.
        from tenderguard.reports.signin import SigninSheet, signin_rows, signin_session  # noqa: PLC0415

        with self.uow_factory() as uow:
            session = uow.sessions.get(code)
            if session is None:
                raise NotFoundError(
                    _("no session {code!r} is registered", code=code), hint=_("check the session's code")
                )
            now = self.clock.now()
            if now < session.opens_at:
                opens = session.opens_at.astimezone(self.centre.tz)
                raise TooEarlyError(code, session.opens_at,
                                    _("the sign-in sheet cannot be made before the opening: session {code} opens "
                                      "at {opens}", code=code, opens=format_datetime(opens)),
                                    hint=_("nothing may tell who bids before the opening (Bidding Law, article 22); "
                                           "make the sheet once the session has opened"))
            day = self.centre.day_of(session.opens_at)
            agency = uow.agencies.get(session.agency) if session.agency is not None else None
            sheet = SigninSheet(
                centre=self.centre, session=signin_session(session, agency), made_at=now.astimezone(self.centre.tz),
                rows=signin_rows(code, screenings=uow.screenings.for_day(day),
                                 admissions=uow.attendance.for_day(day), badges=uow.badges.for_day(day)),
            )
            uow.audit.record(AuditDraft(at=now, kind="signin_sheet", subject=code, operator=operator.strip(),
                                        payload={"rows": len(sheet.rows), "substitutions": sheet.substitutions}))
            uow.commit()
        return sheet
