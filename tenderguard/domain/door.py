"""What the hall door's scanner records: every scan, valid or not, once per nonce, with its reason.

A door device verifies a badge's code itself (offline if need be) and uploads each scan with a nonce it made; the
server records a scan once per nonce, so an upload repeated after a lost answer changes nothing and gets the same
answer. The server verifies the code again with what it knows now: only its own verdict records an exit or flags
a pass-back (a second "in" of a badge already inside, without an "out" in between).
"""

from __future__ import annotations

import datetime as dt
import enum
import re

import attrs

from tenderguard.domain.badge_code import VerdictReason
from tenderguard.domain.clock import aware
from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _

__all__ = ["DoorDirection", "DoorScan", "DoorScanUpload"]

_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}\Z")


class DoorDirection(enum.StrEnum):
    """Which way the holder goes through the door."""

    IN = "in"
    OUT = "out"


def _nonce(value: object) -> str:
    if not isinstance(value, str) or not _NONCE.match(value):
        raise InvalidInputError("nonce", _("{value!r} is not a scan nonce (8 to 64 letters, digits, - or _)",
                                           value=value))
    return value


def _direction(value: object) -> DoorDirection:
    try:
        return DoorDirection(str(value)) if isinstance(value, str) else DoorDirection("")
    except ValueError:
        raise InvalidInputError("direction", _("{value!r} is neither 'in' nor 'out'", value=value)) from None


def _reason(value: object) -> VerdictReason:
    try:
        return VerdictReason(value) if isinstance(value, str) else VerdictReason("")
    except ValueError:
        raise InvalidInputError("reason", _("{value!r} is not a verdict reason", value=value),
                                hint=", ".join(str(r) for r in VerdictReason)) from None


def _scanned_at(value: object) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInputError("scanned_at", _("{value!r} is not an ISO 8601 time", value=value)) from None
    if not isinstance(value, dt.datetime):
        raise InvalidInputError("scanned_at", _("{value!r} is not a time", value=value))
    return aware(value, field="scanned_at")


def _code(value: object) -> str:
    if not isinstance(value, str) or len(value) > 1000:
        raise InvalidInputError("code", _("is not the text a scanner read (at most 1,000 characters)"))
    return value


@attrs.frozen
class DoorScanUpload:
    """One scan as a door device uploads it: its nonce, the code read, the direction, when, and its verdict."""

    nonce: str = attrs.field(converter=_nonce)
    code: str = attrs.field(converter=_code)
    direction: DoorDirection = attrs.field(converter=_direction)
    scanned_at: dt.datetime = attrs.field(converter=_scanned_at)
    reason: VerdictReason = attrs.field(converter=_reason)

    @classmethod
    def of(cls, data: object) -> DoorScanUpload:
        """Read one uploaded scan (a JSON object); raises InvalidInputError naming the field that is wrong."""
        if not isinstance(data, dict):
            raise InvalidInputError("scans", _("each scan is a JSON object"))
        missing = [k for k in ("nonce", "code", "direction", "scanned_at", "reason") if k not in data]
        if missing:
            raise InvalidInputError("scans", _("a scan lacks {items}", items=_(", ").join(missing)))
        upload = cls(nonce=data["nonce"], code=data["code"], direction=data["direction"],
                     scanned_at=data["scanned_at"], reason=data["reason"])
        verdict = data.get("verdict", "valid" if upload.reason is VerdictReason.VALID else "invalid")
        if verdict != ("valid" if upload.reason is VerdictReason.VALID else "invalid"):
            raise InvalidInputError("verdict", _("{verdict!r} does not agree with the reason {reason}", verdict=verdict,
                                                 reason=upload.reason))
        return upload


@attrs.frozen
class DoorScan:
    """A scan recorded at a door: the device's verdict, the server's, and what the scan did (exit, pass-back)."""

    nonce: str
    door: str  # the account that scanned
    serial: str | None  # None when the code could not be read as a badge's claim
    direction: DoorDirection
    scanned_at: dt.datetime
    reason: VerdictReason  # the device's verdict
    server_reason: VerdictReason  # the server's verdict when the scan arrived
    received_at: dt.datetime
    pass_back: bool = False
    exit_recorded: bool = False

    @property
    def verdict(self) -> str:
        """``valid`` or ``invalid``, as the device decided."""
        return "valid" if self.reason is VerdictReason.VALID else "invalid"

    def answer(self) -> dict[str, object]:
        """What the server answers for this scan (the same on every upload of its nonce)."""
        return {"nonce": self.nonce, "serial": self.serial, "verdict": self.verdict, "reason": str(self.reason),
                "server_reason": str(self.server_reason), "pass_back": self.pass_back,
                "exit_recorded": self.exit_recorded}
