"""The signed code in a badge's QR: compact, verifiable offline with the centre's public key alone.

A code reads ``TG1.<claim>.<check>.<signature>`` (URL-safe base64 without padding):

* the *claim* is ``centre|serial|yyyymmdd|reprint`` — no personal data, so a photographed badge gives nothing
  away beyond what is printed next to it;
* the *check* is the first 6 bytes of the claim's SHA-256: a claim edited without it tells "altered" apart from a
  signature that is simply wrong (forged, or made with another centre's key);
* the *signature* is Ed25519 over ``TG1.`` and the claim.

A scanner checks, in order: the code's form, the check, the signature, the centre, the day, and — from the
day's signed revocation list or the database — that the serial is not revoked and that this is its latest
print (a reprint makes the earlier print invalid, so a company never holds two valid badges).

A revocation list carries a sequence number and the time it was signed, both inside the signature. A scanner
that works offline remembers the newest list it has accepted for each centre and day (:class:`SeenLists`) and
refuses an older one, so a badge revoked after a list was signed cannot be made valid again by offering that
list once the scanner has seen the newer one.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

import attrs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tenderguard.domain.clock import aware
from tenderguard.errors import InvalidInputError
from tenderguard.i18n import N_, _, format_datetime

__all__ = [
    "BadgeClaim",
    "RevocationWatermark",
    "Revocations",
    "SeenLists",
    "Verdict",
    "VerdictReason",
    "describe_revocations",
    "sign_claim",
    "verify_code",
]

PREFIX = "TG1"
_CHECK_BYTES = 6
_SERIAL = re.compile(r"^[A-Za-z0-9_./-]{1,64}-\d{8}-\d{4,6}\Z")
_CENTRE = re.compile(r"^[A-Za-z0-9_./-]{1,64}\Z")
#: The longest code accepted: anything longer is not one of ours (and is not parsed further).
MAX_CODE_LENGTH = 400


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """Decode base64url without padding; only the one canonical spelling of the bytes is accepted.

    The unused low bits of the last character could otherwise spell the same bytes several ways, and a "seen this
    code before" check could be passed by re-spelling a code.
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not the canonical base64url spelling")
    return data


@attrs.frozen
class BadgeClaim:
    """What a badge's code asserts: this serial, of this centre, valid on this day, in this print."""

    centre: str
    serial: str
    day: dt.date
    reprint: int = 0

    def __attrs_post_init__(self) -> None:
        """Refuse claims that could not be encoded unambiguously."""
        if not _CENTRE.match(self.centre):
            raise InvalidInputError("centre", _("{centre!r} is not a centre code", centre=self.centre))
        if not _SERIAL.match(self.serial):
            raise InvalidInputError("serial", _("{serial!r} is not a badge serial like MY-20261123-0007",
                                                serial=self.serial))
        if not 0 <= self.reprint < 1000:
            raise InvalidInputError("reprint", _("{reprint} is outside 0..999", reprint=self.reprint))

    def encode(self) -> bytes:
        """The claim's bytes (what is signed)."""
        return f"{self.centre}|{self.serial}|{self.day:%Y%m%d}|{self.reprint}".encode("ascii")

    @classmethod
    def decode(cls, data: bytes) -> BadgeClaim:
        """Parse a claim's bytes; raises ValueError or InvalidInputError when they are not one."""
        centre, serial, day, reprint = data.decode("ascii").split("|")
        return cls(centre=centre, serial=serial, day=dt.datetime.strptime(day, "%Y%m%d").date(),  # noqa: DTZ007
                   reprint=int(reprint))


def sign_claim(claim: BadgeClaim, key: Ed25519PrivateKey) -> str:
    """The QR code text for a claim, signed with the centre's private key."""
    body = claim.encode()
    signature = key.sign(f"{PREFIX}.".encode() + body)
    check = hashlib.sha256(body).digest()[:_CHECK_BYTES]
    return f"{PREFIX}.{_b64(body)}.{_b64(check)}.{_b64(signature)}"


class VerdictReason(enum.StrEnum):
    """Why a code is valid or not."""

    VALID = "valid"
    MALFORMED = "malformed"  # not a TenderGuard badge code at all
    ALTERED = "altered"  # the claim was changed after signing
    BAD_SIGNATURE = "bad_signature"  # forged, or signed with another key
    WRONG_CENTRE = "wrong_centre"
    WRONG_DAY = "wrong_day"  # yesterday's badge, or one for another day
    REVOKED = "revoked"
    SUPERSEDED = "superseded"  # an earlier print of a badge that has been reprinted


#: What each verdict means, as catalogue msgids (shown in the clerk's language).
_MESSAGES = {
    VerdictReason.VALID: N_("today's badge, signed by this centre"),
    VerdictReason.MALFORMED: N_("not a TenderGuard badge code"),
    VerdictReason.ALTERED: N_("the code's contents were altered"),
    VerdictReason.BAD_SIGNATURE: N_("the signature does not verify: forged or another key"),
    VerdictReason.WRONG_CENTRE: N_("issued by another centre"),
    VerdictReason.WRONG_DAY: N_("not today's badge"),
    VerdictReason.REVOKED: N_("the badge was revoked"),
    VerdictReason.SUPERSEDED: N_("a newer print of this badge exists; this one is void"),
}


@attrs.frozen
class Verdict:
    """The result of verifying a code: valid or not, why, and the claim when it could be read."""

    reason: VerdictReason
    claim: BadgeClaim | None = None
    detail: str = ""

    @property
    def valid(self) -> bool:
        """Whether the badge may be accepted."""
        return self.reason is VerdictReason.VALID

    def __str__(self) -> str:
        """One line for the CLI and the scanner's display: ``有效：…`` (``VALID: …`` in English)."""
        message = _(_MESSAGES[self.reason])
        line = _("VALID: {message}", message=message) if self.valid else _("INVALID: {message}", message=message)
        if self.claim:
            line = _("{verdict} — {serial}", verdict=line, serial=self.claim.serial)
        return _("{verdict}; {detail}", verdict=line, detail=self.detail) if self.detail else line


def _canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _a_sequence(value: object, *, field: str = "sequence") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(field, _("{value!r} is not a list sequence number (a whole number ≥ 0)", value=value))
    return value


def _signed_at(value: dt.datetime) -> dt.datetime:
    return aware(value, field="signed_at")


@attrs.frozen
class Revocations:
    """A day's revoked serials (with the reason) and the current print of every reprinted badge, numbered and dated.

    ``sequence`` only grows from one list of a centre's day to the next; two lists with the same sequence carry
    the same revocations and reprints (a list issued again with nothing changed in between differs only in
    ``signed_at``). Both are signed with the rest, so a scanner can tell a newer list from an older one.
    """

    centre: str
    day: dt.date
    sequence: int = attrs.field(converter=_a_sequence)
    signed_at: dt.datetime = attrs.field(converter=_signed_at)
    revoked: Mapping[str, str] = attrs.field(factory=dict)
    reprints: Mapping[str, int] = attrs.field(factory=dict)

    def _content(self) -> dict[str, Any]:
        return {"centre": self.centre, "day": self.day.isoformat(), "sequence": self.sequence,
                "revoked": dict(sorted(self.revoked.items())), "reprints": dict(sorted(self.reprints.items()))}

    @property
    def digest(self) -> str:
        """SHA-256 of what the list says (everything but ``signed_at``): equal for the same list issued twice."""
        return hashlib.sha256(_canonical(self._content())).hexdigest()

    def to_json(self, key: Ed25519PrivateKey) -> str:
        """The list as signed JSON, for scanners that work offline."""
        body = self._content() | {"signed_at": self.signed_at.isoformat()}
        return json.dumps({"list": body, "signature": _b64(key.sign(_canonical(body)))}, ensure_ascii=False,
                          indent=1)

    @classmethod
    def from_json(cls, text: str, public_key: Ed25519PublicKey) -> Revocations:
        """Read a signed list; a list not signed by the centre's key, or without sequence and time, is refused."""
        try:
            outer = json.loads(text)
            body = outer["list"]
            public_key.verify(_unb64(outer["signature"]), _canonical(body))
            return cls(centre=body["centre"], day=dt.date.fromisoformat(body["day"]),
                       sequence=body["sequence"],
                       signed_at=dt.datetime.fromisoformat(body["signed_at"]),
                       revoked={str(k): str(v) for k, v in body["revoked"].items()},
                       reprints={str(k): int(v) for k, v in body["reprints"].items()})
        except InvalidSignature:
            raise InvalidInputError("revocations", _("the revocation list is not signed by this centre's key"),
                                    hint=_("fetch the list again from the centre")) from None
        except RecursionError:
            raise InvalidInputError("revocations", _("is nested too deeply to be a TenderGuard revocation list"),
                                    hint=_("fetch the list again from the centre")) from None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise InvalidInputError("revocations", _("is not a TenderGuard revocation list")) from None

    def age(self, now: dt.datetime) -> dt.timedelta:
        """How long ago the list was signed (negative when the signer's clock is ahead of ``now``)."""
        return aware(now, field="now") - self.signed_at

    def freshness(self, now: dt.datetime) -> str:
        """One line naming the list and its age, in ``now``'s zone: 吊销名单#7签发于09:12，已过23分钟."""
        signed = self.signed_at.astimezone(aware(now, field="now").tzinfo)
        when = f"{signed:%H:%M}" if signed.date() == now.date() else format_datetime(signed)
        seconds = int(self.age(now).total_seconds())
        hours, minutes = divmod(abs(seconds) // 60, 60)
        span = (_("{hours} h {minutes} min", hours=hours, minutes=minutes) if hours
                else _("{minutes} min", minutes=minutes))
        if not hours and not minutes:
            age = _("less than a minute ago")
        elif seconds < 0:
            age = _("{span} ahead of this clock", span=span)
        else:
            age = _("{span} ago", span=span)
        return _("revocation list #{sequence} signed {when}, {age}", sequence=self.sequence, when=when, age=age)


@attrs.frozen
class RevocationWatermark:
    """The newest revocation list a scanner has accepted for a centre's day: its sequence, digest and signing time."""

    centre: str
    day: dt.date
    sequence: int = attrs.field(converter=_a_sequence)
    digest: str
    signed_at: dt.datetime = attrs.field(converter=_signed_at)

    @classmethod
    def of(cls, revocations: Revocations) -> RevocationWatermark:
        """The watermark a list leaves once accepted."""
        return cls(centre=revocations.centre, day=revocations.day, sequence=revocations.sequence,
                   digest=revocations.digest, signed_at=revocations.signed_at)

    def admit(self, offered: Revocations) -> RevocationWatermark:
        """The watermark after accepting ``offered``; raises InvalidInputError for an older or forged list.

        A lower sequence is an older list; the same sequence with other contents is a forged or replayed one.
        The same list issued again is accepted (it says the same), keeping the later signing time.
        """
        if (offered.centre, offered.day) != (self.centre, self.day):
            raise InvalidInputError("revocations", _("the list is for {centre} on {day}, not {centre2} on {day2}",
                                                     centre=offered.centre, day=offered.day, centre2=self.centre,
                                                     day2=self.day))
        if offered.sequence < self.sequence:
            raise InvalidInputError(
                "revocations", _("the revocation list #{offered} is older than list #{seen} already seen here",
                                 offered=offered.sequence, seen=self.sequence),
                hint=_("fetch the latest list from the centre"))
        if offered.sequence == self.sequence and offered.digest != self.digest:
            raise InvalidInputError(
                "revocations", _("the revocation list #{offered} differs from list #{seen} already seen here: forged "
                                 "or replayed", offered=offered.sequence, seen=self.sequence),
                hint=_("fetch the latest list from the centre and report this one"))
        if offered.sequence == self.sequence:
            return attrs.evolve(self, signed_at=max(self.signed_at, offered.signed_at))
        return RevocationWatermark.of(offered)


#: How many days before the day verified a watermark is kept (older days' badges are refused anyway).
SEEN_LISTS_DAYS = 7


@attrs.frozen
class SeenLists:
    """What an offline scanner remembers: the newest revocation list accepted for each centre and day."""

    watermarks: Mapping[tuple[str, dt.date], RevocationWatermark] = attrs.field(factory=dict)

    def admit(self, offered: Revocations) -> SeenLists:
        """These lists with ``offered`` accepted; raises InvalidInputError when it is older than one seen."""
        place = (offered.centre, offered.day)
        seen = self.watermarks.get(place)
        mark = RevocationWatermark.of(offered) if seen is None else seen.admit(offered)
        kept = {k: v for k, v in self.watermarks.items() if k[1] >= offered.day - dt.timedelta(SEEN_LISTS_DAYS)}
        return SeenLists(kept | {place: mark})

    def to_json(self) -> str:
        """The state file's text."""
        rows = [{"centre": m.centre, "day": m.day.isoformat(), "sequence": m.sequence, "digest": m.digest,
                 "signed_at": m.signed_at.isoformat()} for _key, m in sorted(self.watermarks.items())]
        return json.dumps({"seen_revocation_lists": rows}, ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SeenLists:
        """Read the state file written by :meth:`to_json`."""
        try:
            rows = json.loads(text)["seen_revocation_lists"]
            marks = [RevocationWatermark(centre=str(r["centre"]), day=dt.date.fromisoformat(r["day"]),
                                         sequence=r["sequence"], digest=str(r["digest"]),
                                         signed_at=dt.datetime.fromisoformat(r["signed_at"])) for r in rows]
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            raise InvalidInputError(
                "seen_lists",
                _("is not a TenderGuard file of revocation lists seen"),
                hint=_("restore it, or delete it to start again from the next list given"),
            ) from None
        return cls({(m.centre, m.day): m for m in marks})


def _parse(code: str) -> tuple[bytes, bytes, bytes] | None:
    if not isinstance(code, str) or len(code) > MAX_CODE_LENGTH:
        return None
    # A scanner may end the code with a line break or a tab (the keyboard wedge's Enter); anything else around
    # it — a Unicode space, U+2028 — makes another spelling of the code, which is refused.
    parts = code.strip(" \t\r\n").split(".")
    if len(parts) != 4 or parts[0] != PREFIX:
        return None
    try:
        return _unb64(parts[1]), _unb64(parts[2]), _unb64(parts[3])
    except (ValueError, binascii.Error):
        return None


def verify_code(code: str, public_key: Ed25519PublicKey, *, centre: str, today: dt.date,
                revocations: Revocations | None = None) -> Verdict:
    """Verify a badge code offline: form, integrity, signature, centre, day, revocation and latest print."""
    parsed = _parse(code)
    if parsed is None:
        return Verdict(VerdictReason.MALFORMED)
    body, check, signature = parsed
    try:
        claim: BadgeClaim | None = BadgeClaim.decode(body)
    except (ValueError, UnicodeDecodeError, InvalidInputError):
        claim = None
    if hashlib.sha256(body).digest()[:_CHECK_BYTES] != check:
        return Verdict(VerdictReason.ALTERED, claim)
    if claim is None:
        return Verdict(VerdictReason.MALFORMED)
    try:
        public_key.verify(signature, f"{PREFIX}.".encode() + body)
    except InvalidSignature:
        return Verdict(VerdictReason.BAD_SIGNATURE, claim)
    if claim.centre != centre:
        return Verdict(VerdictReason.WRONG_CENTRE, claim, f"issued by {claim.centre}, this is {centre}")
    if claim.day != today:
        return Verdict(VerdictReason.WRONG_DAY, claim, f"valid on {claim.day}, today is {today}")
    if revocations is not None:
        if claim.serial in revocations.revoked:
            return Verdict(VerdictReason.REVOKED, claim, revocations.revoked[claim.serial])
        latest = revocations.reprints.get(claim.serial, 0)
        if claim.reprint < latest:
            return Verdict(VerdictReason.SUPERSEDED, claim, f"this is print {claim.reprint}, print {latest} is "
                           "the valid one")
    return Verdict(VerdictReason.VALID, claim)


def describe(verdict: Verdict) -> dict[str, Any]:
    """The verdict as JSON-ready data."""
    claim = verdict.claim
    return {"valid": verdict.valid, "reason": str(verdict.reason), "message": str(verdict),
            "serial": claim.serial if claim else None, "day": claim.day.isoformat() if claim else None,
            "reprint": claim.reprint if claim else None}


def describe_revocations(revocations: Revocations | None, now: dt.datetime) -> dict[str, Any]:
    """The revocation list used (sequence, signing time, age in seconds) as JSON-ready data; None without one."""
    if revocations is None:
        return {"revocations_sequence": None, "revocations_signed_at": None, "revocations_age_seconds": None}
    return {"revocations_sequence": revocations.sequence, "revocations_signed_at": revocations.signed_at.isoformat(),
            "revocations_age_seconds": int(revocations.age(now).total_seconds())}
