"""What one health badge prints, checked before anything is laid out: :class:`BadgeCard`.

Kept apart from the renderer (:mod:`tenderguard.render.badges`) so that the services and the notices can build and
check cards, and name the weekdays, without loading WeasyPrint.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs

from tenderguard.errors import RenderError
from tenderguard.i18n import _
from tenderguard.render.printable import COMPANY_MAX, HALL_MAX
from tenderguard.render.qr import MAX_PAYLOAD_BYTES
from tenderguard.render.text import check_text

__all__ = ["WEEKDAYS", "BadgeCard"]

WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_SHORT_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,23}")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

def _text(max_length: int) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """An attrs validator: printable text of at most ``max_length`` characters (see :func:`check_text`)."""

    def validate(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        check_text(attribute.name, value, max_length=max_length)

    return validate


def _sessions(value: Iterable[str]) -> tuple[str, ...]:
    """The sessions as a tuple (a list or any iterable of codes is accepted)."""
    if isinstance(value, str):  # one code, not its characters
        return (value,)
    return tuple(value)


def _check_serial(_instance: BadgeCard, _attribute: attrs.Attribute[str], value: str) -> None:
    """The serial is 1–24 letters, digits and hyphens (``MY-20261123-0007``)."""
    if not isinstance(value, str) or not _SERIAL.fullmatch(value):
        raise RenderError(
            _("{value!r} is not a badge serial", value=value),
            hint=_("use letters, digits and hyphens, at most 24"),
            field="serial",
        )


def _check_day(_instance: BadgeCard, _attribute: attrs.Attribute[dt.date], value: dt.date) -> None:
    """The day is a calendar date (not a datetime)."""
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise RenderError(_("must be a datetime.date, not {name__}", name__=type(value).__name__), field="day")


def _check_weekday(instance: BadgeCard, _attribute: attrs.Attribute[str], value: str) -> None:
    """The weekday is the day's (``星期一`` or ``周一``)."""
    index = instance.day.weekday()
    if value not in (WEEKDAYS[index], _SHORT_WEEKDAYS[index]):
        raise RenderError(
            _("{value!r} is not the weekday of {day}", value=value, day=instance.day.isoformat()),
            hint=_("use {weekdays_part}", weekdays_part=WEEKDAYS[index]),
            field="weekday",
        )


def _check_colour(_instance: BadgeCard, _attribute: attrs.Attribute[str], value: str) -> None:
    """The colour is a CSS hex colour ``#rrggbb``."""
    if not isinstance(value, str) or not _COLOUR.fullmatch(value):
        raise RenderError(
            _("{value!r} is not a colour", value=value), hint=_("use #rrggbb, e.g. #d32f2f"), field="colour"
        )


def _check_company(instance: BadgeCard, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    """No company (an official, a supervisor), or printable text of at most 100 characters (smaller type, wrapped)."""
    if value is not None:
        _text(COMPANY_MAX)(instance, attribute, value)


def _check_sessions(_instance: BadgeCard, _attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]) -> None:
    """At most 4 sessions of at most 20 characters each, 40 together."""
    if len(value) > 4:
        raise RenderError(_("{length} sessions; at most 4 fit on the badge", length=len(value)), field="sessions")
    for index, session in enumerate(value):
        check_text(f"sessions[{index}]", session, max_length=20)
    joined = len("、".join(value))
    if joined > 40:
        raise RenderError(
            _("are {joined} characters long together; at most 40 fit on the badge", joined=joined),
            hint=_("print fewer sessions or their short codes"),
            field="sessions",
        )


def _check_reprint(_instance: BadgeCard, _attribute: attrs.Attribute[int], value: int) -> None:
    """The reprint count is 0 (the original) to 99."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 99:
        raise RenderError(
            _("{value!r} is not a reprint count", value=value), hint=_("0 for the original, 1–99"), field="reprint"
        )


def _check_payload(_instance: BadgeCard, _attribute: attrs.Attribute[str], value: str) -> None:
    """The QR payload is 1 to 300 bytes of printable text."""
    check_text("qr_payload", value, max_length=MAX_PAYLOAD_BYTES)
    if len(value.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise RenderError(
            _("is more than {max_payload_bytes} bytes in UTF-8", max_payload_bytes=MAX_PAYLOAD_BYTES),
            field="qr_payload",
        )


@attrs.frozen
class BadgeCard:
    """Everything printed on one badge, already decided and masked; the renderer only lays it out.

    ``colour`` is the day's colour (``#d32f2f``), shown as the card's border and bottom band; ``reprint`` is 0
    for the original and N for the N-th reprint, printed as ``补打 N``; ``qr_payload`` is exactly what the QR
    code encodes.
    """

    serial: str = attrs.field(validator=_check_serial)
    centre_name: str = attrs.field(validator=_text(20))
    title: str = attrs.field(validator=_text(10))
    day: dt.date = attrs.field(validator=_check_day)
    weekday: str = attrs.field(validator=_check_weekday)
    colour: str = attrs.field(validator=_check_colour)
    company: str | None = attrs.field(validator=_check_company)
    holder: str = attrs.field(validator=_text(12))
    role: str = attrs.field(validator=_text(8))
    sessions: tuple[str, ...] = attrs.field(converter=_sessions, validator=_check_sessions)
    hall: str = attrs.field(validator=_text(HALL_MAX))
    reprint: int = attrs.field(validator=_check_reprint)
    qr_payload: str = attrs.field(validator=_check_payload)

    def printed_text(self) -> Iterator[tuple[str, str]]:
        """Each printed field with its text, for the font coverage check."""
        yield "serial", self.serial
        yield "centre_name", self.centre_name
        yield "title", self.title
        yield "weekday", self.weekday
        if self.company is not None:
            yield "company", self.company
        yield "holder", self.holder
        yield "role", self.role
        for index, session in enumerate(self.sessions):
            yield f"sessions[{index}]", session
        yield "hall", self.hall
