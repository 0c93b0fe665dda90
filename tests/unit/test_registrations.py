"""Companies without a mainland credit code: Hong Kong, Macao, Taiwan and foreign registration numbers."""

from __future__ import annotations

import pytest
from gatekit import PEOPLE, Company, Harness

from tenderguard.errors import InvalidInputError
from tenderguard.identity import validate_organisation_id
from tenderguard.identity.registrations import taiwan_check_ok


@pytest.mark.parametrize(("given", "kept"), [
    ("HK:12345678", "HK:12345678"), ("hk: 1234 5678", "HK:12345678"), ("HK：１２３４５６７８", "HK:12345678"),
    ("MO:12345", "MO:12345"), ("TW:04595257", "TW:04595257"), ("TW:10458575", "TW:10458575"),
    ("OS:abc123", "OS:ABC123"),
])
def test_a_registration_number_is_kept_with_its_kind(given: str, kept: str) -> None:
    """Spacing, case and full-width forms fold; the kind stays in front of the number."""
    assert validate_organisation_id(given) == kept


@pytest.mark.parametrize(("given", "wrong"), [
    ("HK:1234567", "香港商业登记号码应为8位数字"), ("MO:123456789", "应为1–8位数字"), ("TW:04595258", "检查码不符"),
    ("TW:0459525", "应为8位数字"), ("OS:A-1", "应为1至15位字母和数字"), ("XX:123", "“XX”不是注册号类型"),
    ("OS:" + "A" * 16, "应为1至15位字母和数字"),
])
def test_a_wrong_registration_number_is_refused_saying_why(given: str, wrong: str) -> None:
    """Each kind's own rule; an unknown kind is named."""
    with pytest.raises(InvalidInputError, match=wrong) as caught:
        validate_organisation_id(given)
    assert caught.value.field == "credit_code"


def test_taiwans_check_digit_follows_the_rule_of_2023() -> None:
    """Weights 1,2,1,2,1,2,4,1, digit sums, divisible by 5 (a 7 in the seventh place counts either way)."""
    assert taiwan_check_ok("04595257")
    assert taiwan_check_ok("10458575")
    assert not taiwan_check_ok("04595258")
    assert not taiwan_check_ok("0459525X")


def test_a_hong_kong_company_has_one_place_a_day_as_any_other() -> None:
    """A company identified by its Hong Kong registration: its person admitted, a second one refused."""
    h = Harness("badge-only")
    hong_kong = Company("香港某某工程顾问有限公司", "HK:12345678")
    assert h.admit(PEOPLE[0], hong_kong).outcome == "admitted"
    second = h.admit(PEOPLE[1], hong_kong)
    assert (second.outcome, second.reason) == ("refused", "company_quota")
    assert h.admit(PEOPLE[2], Company("台湾某某科技股份有限公司", "TW:04595257")).outcome == "admitted"
