"""Valid identities and arrivals for tests, demos and benchmarks: resident IDs, credit codes, arrivals.

Every value passes the real checks (GB 11643 check digit, GB 32100 check character); ``n`` makes it unique.
For a centre's own tests as much as TenderGuard's.
"""

from __future__ import annotations

import datetime as dt

from tenderguard.domain.model import Arrival
from tenderguard.identity import credit_code_check_char, resident_id_check_digit
from tenderguard.policy import Role

__all__ = ["arrival", "credit_code", "resident_id"]

_FIRST_BIRTH = dt.date(1970, 1, 1)


def resident_id(n: int, *, region: str = "110105") -> str:
    """The ``n``-th valid resident ID number of a region (born on 1970-01-01 plus ``n // 1000`` days)."""
    born = _FIRST_BIRTH + dt.timedelta(days=n // 1000)
    body = f"{region}{born:%Y%m%d}{n % 1000:03d}"
    return body + resident_id_check_digit(body)


def credit_code(n: int, *, prefix: str = "91110000") -> str:
    """The ``n``-th valid unified social credit code under ``prefix`` (registration authority and region)."""
    body = f"{prefix}{n:09d}"[:17]
    return body + credit_code_check_char(body)


def arrival(n: int, company: int | None = None, *, session: str, at: dt.datetime, role: Role | str = "bidder",
            name: str = "张伟", phone: str | None = None, key_area: bool = False) -> Arrival:
    """Person ``n`` arriving for company ``company`` (default: a company of their own, ``n``)."""
    c = n if company is None else company
    return Arrival(session=session, role=role, name=name, document=resident_id(n), at=at,
                   company=f"北京建设工程第{c}分公司", credit_code=credit_code(c), phone=phone, key_area=key_area)
