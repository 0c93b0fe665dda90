"""Where a bid session stands (scheduled, postponed, cancelled) and what its status allows.

A session is registered ``scheduled``. A postponement (延期开标) moves its opening — ``opens_at`` becomes the new
time, ``postponed_from`` keeps the one before — and the session is ``postponed``; it can then be postponed again
or cancelled. A cancelled session (取消/终止开标) is final: nobody is screened for it and it cannot be changed.
Nothing here knows a database; the rules read the session's own fields.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from tenderguard.errors import InvalidInputError, SessionStatusError
from tenderguard.i18n import N_, _

if TYPE_CHECKING:
    from tenderguard.domain.model import BidSession, Centre

__all__ = ["SessionStatus", "check_changeable", "check_screenable", "closed_on", "opening_text"]


class SessionStatus(enum.StrEnum):
    """Where a session stands: ``scheduled``, ``postponed`` (opens at its new time) or ``cancelled``."""

    SCHEDULED = "scheduled"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """What tables call the status, in the current language (正常, 已延期, 已取消)."""
        return _(_LABELS[self.value])


_LABELS = {"scheduled": N_("as scheduled"), "postponed": N_("postponed"), "cancelled": N_("cancelled")}


def opening_text(when: dt.datetime, centre: Centre) -> str:
    """An opening time as the desk says it: ``2026年12月11日 09:30``."""
    local = when.astimezone(centre.tz)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def closed_on(session: BidSession, day: dt.date, centre: Centre) -> bool:
    """Whether nobody may be admitted for ``session`` on ``day`` any more: cancelled, or postponed to another day."""
    return session.status is SessionStatus.CANCELLED or (
        session.status is SessionStatus.POSTPONED and session.day(centre) != day)


def check_screenable(session: BidSession, day: dt.date, centre: Centre) -> None:
    """Raise :class:`SessionStatusError` unless people may be screened for ``session`` on ``day``.

    A cancelled session is refused every day; a postponed one on any day but its new opening day, saying where
    it went; any other session on a day it does not open.
    """
    opens_on = session.day(centre)
    why = f"（{session.status_reason}）" if session.status_reason else ""
    if session.status is SessionStatus.CANCELLED:
        raise SessionStatusError(f"场次 {session.code} 已取消{why}，不能为该场次办理入场",
                                 hint="请告知来人该场次已取消；如有疑问请联系代理机构")
    if opens_on == day:
        return
    if session.status is SessionStatus.POSTPONED:
        raise SessionStatusError(f"场次 {session.code} 已延期至 {opening_text(session.opens_at, centre)} 开标{why}，"
                                 f"今天（{day}）不能入场", hint="请来人于新的开标日再来办理入场")
    raise InvalidInputError("session", _("session {session_code} opens on {opens_on}, not on {day}",
                                         session_code=session.code, opens_on=opens_on, day=day),
                            hint=_("pick one of today's sessions"))


def check_changeable(session: BidSession, now: dt.datetime, action: str, centre: Centre) -> None:
    """Raise :class:`SessionStatusError` when ``session`` can no longer be changed (``action``: 修改, 延期, 取消).

    A cancelled session is final; a session that has opened has records (sign-in sheet, badges, report) that
    must keep saying what happened.
    """
    if session.status is SessionStatus.CANCELLED:
        raise SessionStatusError(f"场次 {session.code} 已取消，不能再{action}",
                                 hint="已取消的场次不能恢复；如需重新开标，请以新的场次编号登记")
    if session.opens_at <= now:
        opened = opening_text(session.opens_at, centre)
        raise SessionStatusError(f"场次 {session.code} 已于 {opened} 开标，开标后不能{action}",
                                 hint="开标后的入场记录、签到表和健康标识须保持原样；如有更正请在备注中说明")
