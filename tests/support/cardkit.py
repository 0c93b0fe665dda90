"""Badge cards for the rendering tests: a day's card ``index`` with any field changed."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

from tenderguard.render.badge_card import WEEKDAYS, BadgeCard

DAY = dt.date(2026, 11, 23)  # a Monday
COMPANIES = ("北京市密云区某某建设工程有限公司", "北京燕山绿化工程有限公司", "中铁某局集团第三工程有限公司")
HOLDERS = ("张*", "欧阳**", "李*", "王*", "赵**", "陈*", "刘*", "周*")


def payload(serial: str, reprint: int = 0) -> str:
    """A ~150-character ASCII QR payload shaped like a signed badge claim."""
    signature = base64.urlsafe_b64encode(hashlib.sha512(serial.encode()).digest()).decode().rstrip("=")
    return f"TG1.MY.{serial}.{DAY:%Y%m%d}.{reprint}.0800-1800.{signature}"


def make_card(index: int, **changes: Any) -> BadgeCard:
    """Badge ``index`` of the day, with ``changes`` applied."""
    serial = f"MY-{DAY:%Y%m%d}-{index:04d}"
    fields: dict[str, Any] = {
        "serial": serial,
        "centre_name": "密云区公共资源交易中心",
        "title": "入场健康标识",
        "day": DAY,
        "weekday": WEEKDAYS[DAY.weekday()],
        "colour": "#d32f2f",
        "company": f"{COMPANIES[index % len(COMPANIES)]}第{index}项目部",
        "holder": HOLDERS[index % len(HOLDERS)],
        "role": "投标人",
        "sessions": (f"MY-{DAY:%Y%m%d}-0{index % 3 + 1}",),
        "hall": "第一开标室",
        "reprint": 0,
        "qr_payload": payload(serial),
    }
    fields.update(changes)
    return BadgeCard(**fields)
