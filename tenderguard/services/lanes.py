"""What a desk (an entrance lane) shows beside the screening in front of it.

The place check runs as soon as the clerk has picked the session, the role and the company — before any step —
and says when and at which desk the company's place was taken, never by whom. The resting list holds the people
parked after a fever reading, with the time each may be measured again: the desk screens the next person
meanwhile and resumes a parked one with one tap.
"""

from __future__ import annotations

import datetime as dt

import attrs

from tenderguard.domain.model import Arrival
from tenderguard.domain.rules import Decision, check_place
from tenderguard.errors import InvalidInputError, NotFoundError
from tenderguard.identity import parse_document, person_key, validate_organisation_id
from tenderguard.policy import Role
from tenderguard.services.base import GateParts

__all__ = ["LaneUseCases", "RestingView"]


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
            raise InvalidInputError("role", f"{role!r} is not a role", hint="bidder, tenderer, agency…") from None
        code = None if credit_code is None else validate_organisation_id(credit_code)
        with self.uow_factory() as uow:
            found = uow.sessions.get(session)
            if found is None:
                raise NotFoundError(f"no session {session!r} is registered", hint="pick one of today's sessions")
            return check_place(self.policy, uow.attendance, day=found.day(self.centre), role=chosen,
                               organisation=code)

    def arrival_again(self, screening_id: str, id_number: str) -> Arrival:
        """The arrival of a refused screening, as the person presents the same document again (for an override).

        The document must be the one the screening was opened with (its keyed hash is compared): an override
        never moves a refusal onto another person.
        """
        with self.uow_factory() as uow:
            found = uow.screenings.get(screening_id)
        if found is None:
            raise NotFoundError(f"no screening {screening_id!r}", hint="pick the refusal on the desk's screen")
        visitor = found.visitor
        document = parse_document(id_number, visitor.document_kind)
        if person_key(document, self.secret) != found.person_key:
            raise InvalidInputError("id_number", "不是该次检查所登记的证件", hint="read the same person's document")
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
