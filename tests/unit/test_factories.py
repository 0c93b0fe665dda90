"""The factories make valid, distinct identities and arrivals, as many as a day or a benchmark needs."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tenderguard.batch import parse_record
from tenderguard.domain.model import SHANGHAI
from tenderguard.factories import (
    NO_RISK,
    arrival,
    batch_line,
    credit_code,
    lettered_credit_code,
    passing_action,
    resident_id,
)
from tenderguard.identity import parse_document, validate_credit_code
from tenderguard.policy import load_preset

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


def test_lettered_credit_codes_are_valid_distinct_and_have_letters_to_type_in_lower_case() -> None:
    """Lettered codes pass GB 32100, never repeat or meet a plain code, and carry letters in their last six."""
    codes = [lettered_credit_code(n) for n in range(0, 92_610_000, 9_261)]
    assert len(set(codes)) == len(codes)
    assert not set(codes) & {credit_code(n) for n in range(10_000)}
    for code in codes:
        assert validate_credit_code(code) == code
        assert code.startswith("91110000MA")
        assert any(c.isalpha() for c in code[12:17])
    assert validate_credit_code(lettered_credit_code(7, prefix="91110228")).startswith("91110228MA")
    with pytest.raises(ValueError, match="92609999"):
        lettered_credit_code(92_610_000)


def test_an_arrival_may_name_its_company() -> None:
    """``company_name`` names the company; the credit code is still the company number's."""
    a = arrival(7, 3, session="S1", at=AT, company_name="北京城建道桥工程有限公司")
    assert (a.company, a.credit_code) == ("北京城建道桥工程有限公司", credit_code(3))


def test_a_batch_line_is_the_arrival_the_batch_reads_back() -> None:
    """The batch parser reads the line back as the same arrival; empty fields are left out, extras kept."""
    policy = load_preset("miyun-2020")
    for a in (arrival(7, 3, session="S1", at=AT, phone="13800138000", key_area=True),
              arrival(8, session="S1", at=AT, role="supervisor")):
        line = batch_line(a, temperatures=[36.5], hall="第一开标室")
        assert parse_record(json.loads(json.dumps(line, ensure_ascii=False)), policy).arrival == a
        assert (line["temperatures"], line["hall"]) == ([36.5], "第一开标室")
    plain = batch_line(arrival(8, session="S1", at=AT))
    assert not {"phone", "key_area", "document_kind"} & plain.keys()
    assert plain["at"] == "2026-11-23T09:00:00+08:00"


def test_the_passing_action_follows_the_expected_one() -> None:
    """Each kind of expected action gets the no-risk action that passes it; anything else is confirmed."""
    assert passing_action(["mask(ok|replaced|refused)", "abandon"]) == {"action": "mask", "condition": "ok"}
    assert passing_action(["measure", "abandon"]) == {"action": "measure", "celsius": 36.5}
    assert passing_action(["answer"]) == {"action": "answer", "answers": dict(NO_RISK)}
    assert passing_action(["declare(complete|missing|mismatch)"]) == {"action": "declare", "status": "complete"}
    assert passing_action(["confirm", "abandon"]) == {"action": "confirm"}
