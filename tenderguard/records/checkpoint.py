"""Checkpoints of the audit trail: its length and head hash, signed with the centre's key, kept elsewhere.

The hash chain shows an entry altered in place — unless whoever could write the database also recomputed every
hash after it. A checkpoint anchors the chain outside the database: the count of sealed entries and the hash of
the last one, with the time, signed with the centre's Ed25519 key (the badge-signing key). Keep the file away
from the database server, or read its **fingerprint** (16 hex digits in four groups) out over the phone and write
it in the day's report: later, ``tenderguard audit verify --checkpoint FILE`` (or ``--fingerprint N:XXXX-…``)
exits 4 when the trail up to that entry is no longer the one checkpointed. ``--since-checkpoint FILE`` trusts the
trail up to a checkpoint and verifies only what came after, so checking does not grow with all history.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
from typing import Any

import attrs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _
from tenderguard.records.audit import GENESIS, ChainReport, canonical, sealed_entries, verify_chain

__all__ = ["Checkpoint", "fingerprint_of", "parse_fingerprint", "verify_since", "verify_upto"]

#: The longest checkpoint file read (a checkpoint is a few hundred bytes).
MAX_CHECKPOINT_BYTES = 4096
_HEX4 = "([0-9A-Fa-f]{4})"
_FINGERPRINT = re.compile(rf"^\s*(\d{{1,12}})\s*:\s*{_HEX4}-?{_HEX4}-?{_HEX4}-?{_HEX4}\s*$")


def fingerprint_of(seq: int, head_hash: str) -> str:
    """The short form of a trail's state to read out or print: ``1A2B-3C4D-5E6F-7081`` (64 bits of SHA-256)."""
    digest = hashlib.sha256(f"tenderguard-checkpoint|{seq}|{head_hash}".encode()).hexdigest()[:16].upper()
    return "-".join(digest[i:i + 4] for i in range(0, 16, 4))


def parse_fingerprint(text: str) -> tuple[int, str]:
    """``N:XXXX-XXXX-XXXX-XXXX`` (as printed on the daily report) as the entry number and the fingerprint."""
    found = _FINGERPRINT.match(text) if isinstance(text, str) else None
    if found is None:
        raise InvalidInputError("fingerprint", _("{text!r} is not ENTRY:XXXX-XXXX-XXXX-XXXX", text=text),
                                hint=_("copy it from the daily report, e.g. 1234:1A2B-3C4D-5E6F-7081"))
    seq, *groups = found.groups()
    return int(seq), "-".join(g.upper() for g in groups)


@attrs.frozen
class Checkpoint:
    """The state of a centre's sealed trail at an instant: its entry count and the hash of its last entry."""

    centre: str
    seq: int
    hash: str
    at: dt.datetime
    signature: str = attrs.field(default="", eq=False)

    @property
    def fingerprint(self) -> str:
        """What to read out or print (see :func:`fingerprint_of`)."""
        return fingerprint_of(self.seq, self.hash)

    def _body(self) -> bytes:
        return canonical({"centre": self.centre, "seq": self.seq, "hash": self.hash,
                          "at": self.at.isoformat()}).encode()

    def signed(self, key: Ed25519PrivateKey) -> Checkpoint:
        """The checkpoint with its Ed25519 signature."""
        signature = base64.urlsafe_b64encode(key.sign(self._body())).decode("ascii")
        return attrs.evolve(self, signature=signature)

    def to_json(self) -> str:
        """The file's text."""
        return json.dumps({"tenderguard_checkpoint": 1, "centre": self.centre, "seq": self.seq, "hash": self.hash,
                           "at": self.at.isoformat(), "fingerprint": self.fingerprint,
                           "signature": self.signature}, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes, key: Ed25519PublicKey) -> Checkpoint:
        """Read a checkpoint file and check its signature with the centre's public key."""
        if len(text) > MAX_CHECKPOINT_BYTES:
            raise InvalidInputError("checkpoint", _("is {length} bytes; a checkpoint is under 1 KiB", length=len(text)),
                                    hint=_("give the file `tenderguard audit checkpoint --out` wrote"))
        try:
            data: Any = json.loads(text)
            checkpoint = cls(centre=str(data["centre"]), seq=int(data["seq"]), hash=str(data["hash"]),
                             at=dt.datetime.fromisoformat(str(data["at"])), signature=str(data["signature"]))
            signature = base64.urlsafe_b64decode(checkpoint.signature.encode("ascii"))
        except (ValueError, KeyError, TypeError, RecursionError, binascii.Error, UnicodeError):
            raise InvalidInputError("checkpoint", _("is not a TenderGuard checkpoint file"),
                                    hint=_("give the file `tenderguard audit checkpoint --out` wrote")) from None
        try:
            key.verify(signature, checkpoint._body())
        except InvalidSignature:
            raise InvalidInputError("checkpoint", _("its signature does not verify with the centre's public key: the "
                                                    "file was altered or made with another key"),
                                    hint=_("use the centre's own checkpoint file and key folder")) from None
        if checkpoint.seq < 0 or not re.fullmatch(r"[0-9a-f]{64}", checkpoint.hash):
            raise InvalidInputError("checkpoint", _("holds an impossible entry number or hash"))
        return checkpoint


def _at(entries: Any, seq: int) -> Any:
    found = entries.entries(seq - 1, 1) if seq > 0 else []
    return found[0] if found and found[0].seq == seq else None


def verify_upto(trail: Any, seq: int, fingerprint: str) -> ChainReport | None:
    """A failing report when entry ``seq`` of the trail no longer has the checkpointed fingerprint, else None."""
    entry = _at(trail, seq)
    head_hash = GENESIS if seq == 0 else (entry.hash if entry is not None else None)
    if head_hash is None:
        return ChainReport(False, 0, seq, f"entry {seq}, checkpointed with fingerprint {fingerprint}, is missing")
    if fingerprint_of(seq, head_hash) != fingerprint:
        return ChainReport(False, 0, seq, f"the trail up to entry {seq} is not the one checkpointed (fingerprint "
                           f"{fingerprint}, now {fingerprint_of(seq, head_hash)}): it was rewritten")
    return None


def verify_since(trail: Any, checkpoint: Checkpoint, *, page: int = 5_000) -> ChainReport:
    """Verify only what came after a trusted checkpoint: its entry must still be the one checkpointed."""
    broken = verify_upto(trail, checkpoint.seq, checkpoint.fingerprint)
    if broken is not None:
        return broken
    head_seq, head_hash = trail.head()
    return verify_chain(sealed_entries(trail, page=page, after=checkpoint.seq), head_seq=head_seq,
                        head_hash=head_hash, start=(checkpoint.seq, checkpoint.hash))
