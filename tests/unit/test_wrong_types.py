"""Wrong types at the library's entry points raise InvalidInputError naming the argument, never a Python error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from gatekit import COMPANIES, PEOPLE, Harness

from tenderguard import Agency, Arrival, BidSession, ManualClock
from tenderguard.errors import InvalidInputError

UTC9 = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)


def _arrival(**changed: Any) -> Arrival:
    fields: dict[str, Any] = {"session": "MY-2026-118", "role": "bidder", "name": "张伟",
                              "document": PEOPLE[0].id_number, "at": UTC9, "company": COMPANIES[0].name,
                              "credit_code": COMPANIES[0].credit_code}
    return Arrival(**(fields | changed))


CASES: dict[str, tuple[str, Callable[[Harness], object]]] = {
    "an arrival's time as text": ("at", lambda h: _arrival(at="2026-11-23T09:00")),
    "an arrival's time as None": ("at", lambda h: _arrival(at=None)),
    "a session's hall as None": ("session.hall", lambda h: BidSession(code="X1", project_name="p", opens_at=UTC9,
                                                                     hall=None)),  # type: ignore[arg-type]
    "a session's project as a number": ("session.project_name", lambda h: BidSession(
        code="X1", project_name=5, opens_at=UTC9, hall="第一开标室")),  # type: ignore[arg-type]
    "a hall with a bidi override": ("session.hall", lambda h: BidSession(code="X1", project_name="p",
                                                                         opens_at=UTC9, hall="第一\u202e开标室")),
    "a session's opening as text": ("session.opens_at", lambda h: BidSession(
        code="X1", project_name="p", opens_at="2026-11-23", hall="h")),  # type: ignore[arg-type]
    "a clock set to text": ("at", lambda h: ManualClock("2026")),  # type: ignore[arg-type]
    "no arrival at all": ("arrival", lambda h: h.desk.arrive(None)),  # type: ignore[arg-type]
    "a day as text (screenings)": ("day", lambda h: h.gate.screenings("2026-11-23")),  # type: ignore[arg-type]
    "a day as text (report)": ("day", lambda h: h.gate.daily_report("2026-11-23")),  # type: ignore[arg-type]
    "a day as a datetime (export)": ("day", lambda h: h.gate.export(UTC9, "x.csv")),
    "today as text (purge)": ("today", lambda h: h.gate.purge(today="2026-11-23")),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_wrong_type_is_an_input_error_naming_the_argument(case: str) -> None:
    """The error is the library's own and names the argument."""
    field, call = CASES[case]
    with pytest.raises(InvalidInputError) as info:
        call(Harness())
    assert info.value.field == field


@pytest.mark.parametrize("contact", ["李\u202e娜", "李\x00娜", "李\x1b娜", "<b>李娜</b>", "", 42])
def test_an_agencys_contact_follows_the_text_rules_of_names(contact: object) -> None:
    """The contact person printed on the agency's notices: bidi, control and markup characters are refused."""
    with pytest.raises(InvalidInputError) as caught:
        Agency(code="ZX", name="北京正信招标代理有限公司", contact=contact)  # type: ignore[arg-type]
    assert caught.value.field == "agency.contact"
