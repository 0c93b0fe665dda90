"""The audit trail: every step, outcome, override, badge change, export and purge, in a tamper-evident chain.

Each entry carries the SHA-256 hash of the previous entry, so changing, removing or re-ordering any stored entry
breaks the chain from that point on; :func:`verify_chain` names the first entry that does not fit. Entries never
hold health data (temperatures, answers, declarations): they outlive the health-data purge, and a hash of a
low-entropy value such as a temperature would give it away.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

import attrs

from tenderguard.domain import events
from tenderguard.domain.screening import StepRecord
from tenderguard.i18n import _
from tenderguard.records.retention import HEALTH_PHASE_SUFFIXES, without_rest

__all__ = [
    "GENESIS",
    "AuditDraft",
    "AuditEntry",
    "ChainReport",
    "audited",
    "chain",
    "chain_hashes",
    "drafts_for",
    "sealed_entries",
    "verify_chain",
    "verify_trail",
]

#: An entry's hashed contents: ``(at, kind, subject, desk, operator, payload)``.
Contents = tuple[dt.datetime, str, str | None, str | None, str | None, Mapping[str, Any]]

#: The ``prev_hash`` of the first entry.
GENESIS = "0" * 64


#: The canonical encoder, built once (``json.dumps`` with options builds a new one at each call).
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def canonical(value: Any) -> str:
    """Compact JSON with sorted keys: the exact text that is hashed."""
    return _CANONICAL.encode(value)


#: Types a JSON round trip gives back unchanged (exactly these: enums and floats take the round trip).
_JSON_SCALARS = frozenset({str, int, bool, type(None)})


def _plain(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload as it comes back from a JSON column (tuples become lists, dates strings).

    The usual payload — text keys, text, integer, boolean, null or date values — is converted directly; anything
    else takes the JSON round trip, so both give exactly what the column would.
    """
    plain: dict[str, Any] = {}
    for key, value in payload.items():
        if type(key) is not str:
            break
        kind = type(value)
        if kind in _JSON_SCALARS:
            plain[key] = value
        elif kind is dt.date:
            plain[key] = value.isoformat()
        else:
            break
    else:
        return plain
    round_trip: dict[str, Any] = json.loads(canonical(dict(payload)))
    return round_trip


def _instant(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


@attrs.frozen
class AuditDraft:
    """An entry waiting for its place in the chain (appended when its unit of work commits)."""

    at: dt.datetime
    kind: str
    subject: str | None = None
    desk: str | None = None
    operator: str | None = None
    payload: Mapping[str, Any] = attrs.field(factory=dict, converter=_plain)


@attrs.frozen
class AuditEntry:
    """One link of the chain: the draft's fields, its position, and the hashes that bind it to its predecessor."""

    seq: int
    at: dt.datetime
    kind: str
    subject: str | None
    desk: str | None
    operator: str | None
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str

    def expected_hash(self) -> str:
        """The hash the entry's contents and predecessor give (equal to ``hash`` unless it was altered)."""
        contents = AuditDraft(at=self.at, kind=self.kind, subject=self.subject, desk=self.desk,
                              operator=self.operator, payload=self.payload)
        return entry_hash(self.prev_hash, self.seq, contents)


def _digest(prev_hash: str, seq: int, contents: Contents) -> str:
    at, kind, subject, desk, operator, payload = contents
    body = canonical({"seq": seq, "at": _instant(at), "kind": kind, "subject": subject, "desk": desk,
                      "operator": operator, "payload": payload})
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def entry_hash(prev_hash: str, seq: int, d: AuditDraft) -> str:
    """SHA-256 over the previous hash and the canonical JSON of an entry's position and contents."""
    return _digest(prev_hash, seq, (d.at, d.kind, d.subject, d.desk, d.operator, d.payload))


def chain_hashes(rows: Iterable[Contents], last_seq: int, last_hash: str) -> list[tuple[int, str, str]]:
    """``(seq, prev_hash, hash)`` for stored entries' contents after a head (the sealing path).

    The payloads come from a JSON column already, so they are hashed as they are, without a draft each.
    """
    linked: list[tuple[int, str, str]] = []
    seq, prev = last_seq, last_hash
    for contents in rows:
        seq += 1
        digest = _digest(prev, seq, contents)
        linked.append((seq, prev, digest))
        prev = digest
    return linked


def chain(drafts: Iterable[AuditDraft], last_seq: int, last_hash: str) -> list[AuditEntry]:
    """Link drafts after the entry ``last_seq`` whose hash is ``last_hash`` (0 and :data:`GENESIS` at first)."""
    linked: list[AuditEntry] = []
    seq, prev = last_seq, last_hash
    for d in drafts:
        seq += 1
        digest = entry_hash(prev, seq, d)
        linked.append(AuditEntry(seq=seq, at=d.at, kind=d.kind, subject=d.subject, desk=d.desk,
                                 operator=d.operator, payload=d.payload, prev_hash=prev, hash=digest))
        prev = digest
    return linked


# ------------------------------------------------------------------------------------- what gets audited


def _step_kind(action: str) -> str:
    head = action.split(":", maxsplit=1)[0]
    if head in ("refuse", "refer", "abandon", "admit"):
        return "outcome"
    if head == "override":
        return "override"
    return "step"


def _record_draft(r: StepRecord) -> AuditDraft | None:
    """The audit entry of a step record, or None for a repeat of a health step (a re-measure, a second reading).

    The trail must not tell anybody's health, even by counting: a health step gets one "done" entry whatever
    its readings (a fever, a re-measure, a measuring error each add a step record, never an entry), no health
    reason appears in its text (``refuse:fever``, ``refer:contact`` read ``refuse``/``refer`` with
    ``health_data``), no state shows a rest after a fever, and no entry carries the record's number (which
    would count the readings). The results stay in the step records until the purge.
    """
    kind = _step_kind(r.action)
    payload: dict[str, Any]
    if r.sensitive:
        if kind == "step" and (r.state_from.endswith(HEALTH_PHASE_SUFFIXES[0]) or r.state_from == r.state_to):
            return None
        payload = {"step": r.action.split(":", maxsplit=1)[0], "health_data": True}
    else:
        payload = {"action": r.action, "from": without_rest(r.state_from), "to": without_rest(r.state_to)}
        if r.detail:
            payload["detail"] = dict(r.detail)
    if r.seq == 1:
        payload["opens"] = True  # the screening's first entry: the arrival (counted by the daily report)
    return AuditDraft(at=r.at, kind=kind, subject=r.screening_id, desk=r.desk, operator=r.operator,
                      payload=payload)


_EVENT_SUBJECTS: Mapping[type[events.DomainEvent], tuple[str, str]] = {
    events.BadgeIssued: ("badge_issued", "serial"),
    events.BadgeRevoked: ("badge_revoked", "serial"),
    events.BadgeReprinted: ("badge_reprinted", "serial"),
    events.OverrideApplied: ("override", "subject"),
    events.Exited: ("exit", "badge"),
    events.SignalRaised: ("signal_raised", "signal_id"),
    events.SignalDecided: ("signal_decided", "signal_id"),
}

#: Per audited event type: its entry kind, the field naming the subject, and the fields of the payload (the
#: others but the time), worked out once.
_EVENT_KINDS: Mapping[type[events.DomainEvent], tuple[str, str, tuple[str, ...]]] = {
    cls: (kind, subject, tuple(f.name for f in attrs.fields(cls) if f.name not in ("at", subject)))
    for cls, (kind, subject) in _EVENT_SUBJECTS.items()
}


def _event_draft(event: events.DomainEvent, desk: str | None, operator: str | None) -> AuditDraft | None:
    found = _EVENT_KINDS.get(type(event))
    if found is None:
        return None
    kind, subject_field, fields = found
    payload = {name: getattr(event, name) for name in fields}
    return AuditDraft(at=event.at, kind=kind, subject=str(getattr(event, subject_field)), desk=desk,
                      operator=operator, payload=payload)


def audited(operation_events: Iterable[events.DomainEvent]) -> list[events.DomainEvent]:
    """The events of an operation that go into the audit trail (badge, exit and override events)."""
    return [e for e in operation_events if type(e) in _EVENT_KINDS]


def drafts_for(records: Iterable[StepRecord], operation_events: Iterable[events.DomainEvent],
               explicit: Iterable[AuditDraft], *, desk: str | None = None,
               operator: str | None = None) -> list[AuditDraft]:
    """The entries of one unit of work: its new step records, its badge/exit/override events, explicit entries."""
    drafts = [d for r in records if (d := _record_draft(r)) is not None]
    drafts += [d for e in operation_events if (d := _event_draft(e, desk, operator)) is not None]
    drafts += explicit
    if len(drafts) > 1:
        drafts.sort(key=events.BY_TIME)  # stable: records, then events, then explicit entries at the same instant
    return drafts


# -------------------------------------------------------------------------------------------- verifying


@attrs.frozen
class ChainReport:
    """The result of checking a chain: ok, how many entries were checked, and the first problem found."""

    ok: bool
    checked: int
    first_bad: int | None = None
    problem: str | None = None

    def __str__(self) -> str:
        """One line for the CLI."""
        if self.ok:
            return _("audit trail intact: {checked} entries, chain verified", checked=self.checked)
        return _("audit trail broken at entry {entry}: {problem}", entry=self.first_bad, problem=self.problem)


def verify_chain(entries: Iterable[AuditEntry], *, head_seq: int | None = None,
                 head_hash: str | None = None, start: tuple[int, str] = (0, GENESIS)) -> ChainReport:
    """Check entries in ``seq`` order; the head (the last seq and hash recorded) catches a cut-off tail.

    ``start``: the entry number and hash the entries follow (a trusted checkpoint; the genesis by default).
    """
    (prev_seq, prev_hash), checked = start, 0
    for entry in entries:
        if entry.seq != prev_seq + 1:
            missing = prev_seq + 1
            gap = f"{missing}" if entry.seq == missing + 1 else f"{missing}–{entry.seq - 1}"
            return ChainReport(False, checked, missing, f"entry {gap} is missing (the chain jumps from "
                               f"{prev_seq} to {entry.seq})")
        if entry.prev_hash != prev_hash:
            return ChainReport(False, checked, entry.seq, f"entry {entry.seq} does not follow entry {prev_seq} "
                               "(its previous-hash differs): an entry was altered, removed or inserted")
        if entry.expected_hash() != entry.hash:
            return ChainReport(False, checked, entry.seq, f"entry {entry.seq} ({entry.kind} at "
                               f"{entry.at.isoformat()}) was altered: its contents do not match its hash")
        prev_seq, prev_hash = entry.seq, entry.hash
        checked += 1
    if head_seq is not None and head_seq != prev_seq:
        first = prev_seq + 1
        return ChainReport(False, checked, first, f"the trail ends at entry {prev_seq} but {head_seq} were "
                           f"written: entries {first}–{head_seq} are missing")
    if head_hash is not None and head_seq is not None and head_hash != prev_hash:
        return ChainReport(False, checked, prev_seq, f"entry {prev_seq} differs from the one written last "
                           "(the recorded head hash does not match)")
    return ChainReport(True, checked)


class _Trail(Protocol):
    def entries(self, after: int = 0, limit: int | None = None, *, since: dt.datetime | None = None,
                until: dt.datetime | None = None) -> list[AuditEntry]: ...

    def head(self) -> tuple[int, str]: ...


def sealed_entries(trail: _Trail, *, page: int = 5_000, since: dt.datetime | None = None,
                   until: dt.datetime | None = None, after: int = 0) -> Iterator[AuditEntry]:
    """Every sealed entry of a stored trail (an ``AuditRepository``) after entry ``after``, in order, page by page.

    With ``since`` and ``until``, only the entries at or after the one and before the other (read through the
    trail's index on time).
    """
    while True:
        batch = trail.entries(after, page, since=since, until=until)
        yield from batch
        if len(batch) < page:
            return
        after = batch[-1].seq


def verify_trail(trail: _Trail, *, page: int = 5_000) -> ChainReport:
    """Verify a stored trail (an ``AuditRepository``) page by page, against its recorded head."""
    head_seq, head_hash = trail.head()
    return verify_chain(sealed_entries(trail, page=page), head_seq=head_seq, head_hash=head_hash)
