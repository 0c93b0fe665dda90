"""Valid identities and arrivals for tests, demos and benchmarks: resident IDs, credit codes, arrivals.

Every value passes the real checks (GB 11643 check digit, GB 32100 check character); ``n`` makes it unique.
For a centre's own tests as much as TenderGuard's.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterable, Mapping
from typing import Any

from tenderguard.domain.model import Arrival
from tenderguard.identity import DocumentKind, credit_code_check_char, resident_id_check_digit
from tenderguard.policy import Role

__all__ = ["arrival", "batch_line", "credit_code", "lettered_credit_code", "resident_id"]

_FIRST_BIRTH = dt.date(1970, 1, 1)
#: The letters GB 32100 uses (no I, O, S, V, Z).
_LETTERS = "ABCDEFGHJKLMNPQRTUWXY"
#: What each of the seven characters after ``MA`` may be in a lettered code: ``01A2B3C`` and the like.
_LETTERED_PLACES = (string.digits, string.digits, _LETTERS, string.digits, _LETTERS, string.digits, _LETTERS)
_LETTERED_COUNT = 10**4 * len(_LETTERS) ** 3


def resident_id(n: int, *, region: str = "110105") -> str:
    """The ``n``-th valid resident ID number of a region (born on 1970-01-01 plus ``n // 1000`` days)."""
    born = _FIRST_BIRTH + dt.timedelta(days=n // 1000)
    body = f"{region}{born:%Y%m%d}{n % 1000:03d}"
    return body + resident_id_check_digit(body)


def credit_code(n: int, *, prefix: str = "91110000") -> str:
    """The ``n``-th valid unified social credit code under ``prefix`` (registration authority and region)."""
    body = f"{prefix}{n:09d}"[:17]
    return body + credit_code_check_char(body)


def lettered_credit_code(n: int, *, prefix: str = "91110000") -> str:
    """The ``n``-th valid credit code whose organisation part mixes letters in, as ``MA01A2B3C`` does.

    Firms registered since 2015 have such codes; letters stand among the last characters too, so the code is
    the one to type in lower case. Distinct from every :func:`credit_code`; ``n`` runs from 0 to 92,609,999.
    """
    if not 0 <= n < _LETTERED_COUNT:
        raise ValueError(f"n must be from 0 to {_LETTERED_COUNT - 1}, not {n}")
    chars: list[str] = []
    for alphabet in reversed(_LETTERED_PLACES):
        n, index = divmod(n, len(alphabet))
        chars.append(alphabet[index])
    body = f"{prefix}MA{''.join(reversed(chars))}"
    return body + credit_code_check_char(body)


def arrival(n: int, company: int | None = None, *, session: str, at: dt.datetime, role: Role | str = "bidder",
            name: str = "张伟", phone: str | None = None, key_area: bool = False,
            company_name: str | None = None) -> Arrival:
    """Person ``n`` arriving for company ``company`` (default: a company of their own, ``n``).

    The company is named ``北京建设工程第{company}分公司`` unless ``company_name`` is given; its credit code is
    :func:`credit_code` of ``company`` either way.
    """
    c = n if company is None else company
    return Arrival(session=session, role=role, name=name, document=resident_id(n), at=at,
                   company=company_name or f"北京建设工程第{c}分公司", credit_code=credit_code(c), phone=phone,
                   key_area=key_area)


def batch_line(arriving: Arrival, **extra: Any) -> dict[str, Any]:
    """An arrival as a line of a batch file (a JSON object), the desk's inputs (``temperatures``…) in ``extra``.

    Fields the arrival leaves empty are left out, as a person typing the file would; ``extra`` wins over them.
    """
    document = arriving.document
    line: dict[str, Any] = {
        "session": arriving.session, "role": str(arriving.role), "name": arriving.name, "id_number": document.number,
        "document_kind": None if document.kind is DocumentKind.RESIDENT_ID else str(document.kind),
        "company": arriving.company, "credit_code": arriving.credit_code, "phone": arriving.phone,
        "at": arriving.at.isoformat(), "key_area": arriving.key_area or None,
    }
    return {field: value for field, value in line.items() if value is not None} | extra


#: The answers of a person with no risk to the presets' health questions.
NO_RISK: Mapping[str, bool] = {"symptoms": False, "key_area_travel": False, "contact": False}


def passing_action(expected: Iterable[str]) -> dict[str, Any]:
    """The JSON API action that passes a screening's next step with no risk, from its view's ``expected`` actions.

    (``["mask(ok|replaced|refused)", "abandon"]`` → ``{"action": "mask", "condition": "ok"}``; a reading of
    36.5 °C, the no-risk answers, a complete declaration, else a confirmation.)
    """
    names = {action.split("(")[0] for action in expected}
    if "measure" in names:
        return {"action": "measure", "celsius": 36.5}
    if "answer" in names:
        return {"action": "answer", "answers": dict(NO_RISK)}
    if "declare" in names:
        return {"action": "declare", "status": "complete"}
    if "mask" in names:
        return {"action": "mask", "condition": "ok"}
    return {"action": "confirm"}
