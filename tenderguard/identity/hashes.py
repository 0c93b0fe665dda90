"""Keyed hashes (HMAC-SHA256) that match a person's document or phone across arrivals without storing either.

The key is the centre's ID-hash secret (see :mod:`tenderguard.keys`); :func:`key_fingerprint` tells two keys
apart without revealing them.
"""

from __future__ import annotations

import hashlib
import hmac

from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _
from tenderguard.identity.documents import IdentityDocument

__all__ = ["key_fingerprint", "person_key", "phone_key"]

_MIN_SECRET = 16


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes) or len(secret) < _MIN_SECRET:
        raise InvalidInputError(
            "secret",
            _("the key must be at least {min_secret} bytes", min_secret=_MIN_SECRET),
            hint=_("configure a random secret of 32 bytes, e.g. from secrets.token_bytes(32)"),
        )


def person_key(document: IdentityDocument, secret: bytes) -> str:
    """Return a keyed hash (HMAC-SHA256, hex) of a document to match re-entries without storing the number."""
    _check_secret(secret)
    return hmac.new(secret, f"{document.kind}:{document.number}".encode(), hashlib.sha256).hexdigest()


def key_fingerprint(secret: bytes) -> str:
    """A short fingerprint of the ID-hash key (16 hex digits) to tell two keys apart without revealing either."""
    _check_secret(secret)
    return hmac.new(secret, b"tenderguard id-hash key fingerprint", hashlib.sha256).hexdigest()[:16]


def phone_key(phone: str, secret: bytes) -> str:
    """Return a keyed hash of a (normalised) mobile number: phones given twice are matched, never stored."""
    _check_secret(secret)
    return hmac.new(secret, f"phone:{phone}".encode(), hashlib.sha256).hexdigest()

