"""The factories make valid, distinct identities and arrivals, as many as a day or a benchmark needs."""

from __future__ import annotations

import datetime as dt

from tenderguard.domain.model import SHANGHAI
from tenderguard.factories import arrival, credit_code, resident_id
from tenderguard.identity import parse_document, validate_credit_code

AT = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)


def test_resident_ids_and_credit_codes_are_valid_and_distinct() -> None:
    """Ten thousand of each pass the real check digits and never repeat."""
    ids = [resident_id(n) for n in range(10_000)]
    codes = [credit_code(n) for n in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert len(set(codes)) == len(codes)
    for n in range(0, 10_000, 997):
        assert parse_document(ids[n]).number == ids[n]
        assert validate_credit_code(codes[n]) == codes[n]


def test_an_arrival_is_its_person_for_its_company() -> None:
    """Person 7 for company 3: that person's ID and that company's code; by default a company of their own."""
    a = arrival(7, 3, session="S1", at=AT, phone="13800138000")
    assert (a.document.number, a.credit_code, a.role) == (resident_id(7), credit_code(3), "bidder")
    assert arrival(7, session="S1", at=AT).credit_code == credit_code(7)
