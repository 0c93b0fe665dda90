"""What a desk (an entrance lane) shows beside the screening in front of it.

The place check runs as soon as the clerk has picked the session, the role and the company — before any step —
and says when and at which desk the company's place was taken, never by whom. The resting list holds the people
parked after a fever reading, with the time each may be measured again: the desk screens the next person
meanwhile and resumes a parked one with one tap.
"""

from __future__ import annotations

import datetime as dt

import attrs

from tenderguard.domain.model import Arrival, Outcome
from tenderguard.domain.residence import clean_residence, residence_wanted
from tenderguard.domain.rules import Decision, check_place
from tenderguard.domain.screening import Actor, Screening
from tenderguard.errors import InvalidInputError, NotFoundError, OverrideError
from tenderguard.i18n import _
from tenderguard.identity import parse_document, person_key, validate_organisation_id
from tenderguard.policy import Role
from tenderguard.records.audit import AuditDraft
from tenderguard.services.base import GateParts
from tenderguard.services.views import ScreeningView, screening_view
from tenderguard.store.unit_of_work import AbstractUnitOfWork

__all__ = ["OVERRIDE_APPROVED", "LaneUseCases", "RestingView"]

#: The audit entry of a supervisor's approval, from the board, to set a refusal aside.
OVERRIDE_APPROVED = "override_approved"


@attrs.frozen
class RestingView:
    """A person parked after a fever reading: masked name, company, the ID's last four, when to measure again."""

    id: str
    session: str
    name_masked: str
    company: str | None
    id_tail: str
    rest_until: dt.datetime
    desk: str


class LaneUseCases(GateParts):
    """The place check before the steps, and the people resting."""

    def place_check(self, session: str, role: str, credit_code: str | None) -> Decision:
        """Whether the company's (or role's) place in ``session``'s day is still free; refused with when and where."""
        try:
            chosen = Role(role)
        except ValueError:
            raise InvalidInputError(
                "role", _("{role!r} is not a role", role=role), hint=_("bidder, tenderer, agency…")
            ) from None
        code = None if credit_code is None else validate_organisation_id(credit_code)
        with self.uow_factory() as uow:
            found = uow.sessions.get(session)
            if found is None:
                raise NotFoundError(
                    _("no session {session!r} is registered", session=session), hint=_("pick one of today's sessions")
                )
            return check_place(self.policy, uow.attendance, day=found.day(self.centre), role=chosen,
                               organisation=code)

    def arrival_again(self, screening_id: str, id_number: str) -> Arrival:
        """The arrival of a refused screening, as the person presents the same document again (for an override).

        The document must be the one the screening was opened with (its keyed hash is compared): an override
        never moves a refusal onto another person.
        """
        with self.uow_factory() as uow:
            found = _screening(uow, screening_id)
        visitor = found.visitor
        document = parse_document(id_number, visitor.document_kind)
        if person_key(document, self.secret) != found.person_key:
            raise InvalidInputError("id_number", "不是该次检查所登记的证件", hint=_("read the same person's document"))
        return Arrival(session=visitor.session, role=visitor.role, name=visitor.name, document=document,
                       at=self.clock.now(), company=visitor.company, credit_code=visitor.credit_code,
                       key_area=visitor.key_area)

    def companies_like(self, prefix: str, limit: int = 8) -> list[tuple[str, str]]:
        """Companies seen at the gate on earlier days whose name starts with ``prefix`` (two characters at least).

        Only earlier days: a company registered today may be a bidder in a session not yet opened, and nothing may
        tell who is bidding before the opening (Bidding Law art. 22).
        """
        text = prefix.strip() if isinstance(prefix, str) else ""
        if len(text) < 2:
            return []
        today = self.centre.day_of(self.clock.now())
        with self.uow_factory() as uow:
            return uow.screenings.companies_before(today, text, max(1, min(limit, 20)))

    def approve_override(self, screening_id: str, *, reason: str, supervisor: str) -> None:
        """The supervisor's approval, from the board, to set a refusal aside (audited, kind ``override_approved``).

        The desk that refused the person then applies it when the person's document is read again
        (:meth:`Desk.supervisor_override` with the approval's reason and supervisor).
        """
        if not isinstance(reason, str) or not reason.strip():
            raise OverrideError(_("a supervisor's override needs a reason"), hint=_("say why the refusal is set aside"))
        with self.uow_factory() as uow:
            found = uow.screenings.get(screening_id)
            if found is None or found.outcome is not Outcome.REFUSED:
                raise NotFoundError(
                    _("no refused screening {screening_id!r}", screening_id=screening_id),
                    hint=_("pick one of today's refusals"),
                )
            uow.audit.record(AuditDraft(at=self.clock.now(), kind=OVERRIDE_APPROVED, subject=screening_id,
                                        desk="supervisor", operator=supervisor,
                                        payload={"reason": reason.strip(), "refusal": str(found.reason)}))
            uow.commit()

    def record_residence(self, screening_id: str, residence: str | None, *, actor: Actor) -> ScreeningView:
        """Keep where a refused person lives (居住街道/社区) for the community's letter; empty clears it.

        Asked only for a refusal the policy notifies to the community (:attr:`ScreeningView.asks_residence`).
        Audited (kind ``residence``) without the residence itself.
        """
        text = clean_residence(residence)
        with self.uow_factory() as uow:
            found = _screening(uow, screening_id)
            if not residence_wanted(found, self.policy):
                raise InvalidInputError(
                    "residence",
                    _("a residence is kept only for a refusal the policy notifies to the person's community"),
                    hint=_("this screening needs no residence"))
            found.residence = text
            uow.audit.record(AuditDraft(at=self.clock.now(), kind="residence", subject=screening_id,
                                        desk=actor.desk, operator=actor.operator, payload={"given": text is not None}))
            uow.commit()
            return screening_view(found, self.machine)

    def override_approval(self, screening_id: str) -> tuple[str, str] | None:
        """The supervisor and reason of the latest approval to set this refusal aside, if there is one."""
        with self.uow_factory() as uow:
            found = uow.audit.about(screening_id, OVERRIDE_APPROVED)
        if not found:
            return None
        last = found[-1]
        return str(last.operator), str(last.payload.get("reason", ""))

    def resting(self, desk: str | None = None) -> list[RestingView]:
        """Today's people parked after a fever reading (at ``desk`` only, when given), the first due first."""
        today = self.centre.day_of(self.clock.now())
        with self.uow_factory() as uow:
            parked = [s for s in uow.screenings.open()
                      if s.rest_until is not None and self.centre.day_of(s.opened_at) == today
                      and (desk is None or s.opened_by.desk == desk)]
        return sorted((RestingView(id=s.id, session=s.visitor.session, name_masked=s.visitor.name_masked,
                                   company=s.visitor.company, id_tail=s.visitor.document_masked[-4:],
                                   rest_until=s.rest_until, desk=s.opened_by.desk)
                       for s in parked if s.rest_until is not None), key=lambda r: r.rest_until)


def _screening(uow: AbstractUnitOfWork, screening_id: str) -> Screening:
    """The screening a desk picked from its screen (a refusal), or NotFoundError."""
    found = uow.screenings.get(screening_id)
    if found is None:
        raise NotFoundError(_("no screening {screening_id!r}", screening_id=screening_id),
                            hint=_("pick the refusal on the desk's screen"))
    return found
