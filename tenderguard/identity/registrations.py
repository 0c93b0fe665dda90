"""Organisations without a mainland credit code: Hong Kong, Macao, Taiwan and foreign registration numbers.

A company from Hong Kong, Macao or Taiwan, or from abroad, has no unified social credit code; it is identified at
the gate by its own registration number with the kind in front — ``HK:12345678`` (Hong Kong business registration
number), ``MO:12345`` (Macao commercial registration number), ``TW:04595257`` (Taiwan unified business number,
check digit verified) or ``OS:<letters and digits>`` (a registration number abroad). One company, one key: the
one-company rule counts these exactly as it counts a credit code. :func:`validate_organisation_id` accepts either.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping

from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _
from tenderguard.identity.organisations import validate_credit_code
from tenderguard.identity.text import compact_number, require_str

__all__ = ["REGISTRATION_KINDS", "taiwan_check_ok", "validate_organisation_id"]

#: Kind prefix → what it is called at the desk.
REGISTRATION_KINDS: Mapping[str, str] = {
    "HK": "香港商业登记号码", "MO": "澳门商业登记编号", "TW": "台湾统一编号", "OS": "境外机构注册号",
}
_TW_WEIGHTS = (1, 2, 1, 2, 1, 2, 4, 1)


def taiwan_check_ok(number: str) -> bool:
    """Whether an 8-digit Taiwan unified business number passes its check (the rule of 2023: divisible by 5)."""
    if len(number) != 8 or not number.isascii() or not number.isdigit():
        return False
    products = [int(d) * w for d, w in zip(number, _TW_WEIGHTS, strict=True)]
    total = sum(p // 10 + p % 10 for p in products)
    if number[6] == "7":  # 7 x 4 = 28 → 10: either 1 or 0 counts
        return total % 5 == 0 or (total + 1) % 5 == 0
    return total % 5 == 0


def _digits(low: int, high: int) -> Callable[[str], str | None]:
    def check(number: str) -> str | None:
        if not number.isascii() or not number.isdigit() or not low <= len(number) <= high:
            span = f"{low}" if low == high else f"{low}–{high}"
            return _("has {span} digits", span=span)
        return None
    return check


def _taiwan(number: str) -> str | None:
    problem = _digits(8, 8)(number)
    return problem or (None if taiwan_check_ok(number) else _("does not pass the check digit"))


def _abroad(number: str) -> str | None:
    if not number.isascii() or not number.isalnum() or not 1 <= len(number) <= 15:
        return _("has 1–15 letters and digits")
    return None


_CHECKS: Mapping[str, Callable[[str], str | None]] = {"HK": _digits(8, 8), "MO": _digits(1, 8), "TW": _taiwan,
                                                      "OS": _abroad}


def validate_organisation_id(value: str, *, field: str = "credit_code") -> str:
    """A unified social credit code, or ``KIND:number`` for a company without one; the normalised form."""
    text = unicodedata.normalize("NFKC", require_str(value, field)).strip()  # a full-width colon too
    kind, colon, number = text.partition(":")
    if not colon:
        return validate_credit_code(text, field=field)
    kind = kind.strip().upper()
    check = _CHECKS.get(kind)
    if check is None:
        raise InvalidInputError(field, _("{kind!r} is not a kind of registration number", kind=kind),
                                hint=_("HK:, MO:, TW: or OS: before the number, or a mainland credit code"))
    compact = compact_number(number).upper()
    problem = check(compact)
    if problem:
        raise InvalidInputError(field, _("a {kind} {problem}", kind=REGISTRATION_KINDS[kind], problem=problem),
                                hint=_("copy the number from the company's registration certificate"))
    return f"{kind}:{compact}"
