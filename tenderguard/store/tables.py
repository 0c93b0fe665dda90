"""The database schema of the SQL store, as SQLAlchemy Core tables.

Every instant is stored timezone-aware (:class:`AwareDateTime`): ``timestamptz`` on PostgreSQL, a UTC ISO 8601
string on SQLite (which has no datetime type), so values always come back with their offset. The one-company rule
(one active bidder admission per company and day) is enforced by a partial unique index, so two desks racing to
admit two people of one company cannot both commit.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from tenderguard.store.columns import AwareDateTime, metadata, require_aware, utc_text
from tenderguard.store.gate_tables import (
    api_tokens,
    door_scans,
    idempotency_keys,
    operators,
    webhook_deliveries,
    webhooks,
)

__all__ = [
    "OPEN_SCREENING",
    "SCREENING_KINDS",
    "SUBJECT_LOOKUP",
    "AwareDateTime",
    "admissions",
    "agencies",
    "api_tokens",
    "audit_head",
    "audit_log",
    "badges",
    "companies",
    "day_sequences",
    "door_scans",
    "hall_occupancy",
    "idempotency_keys",
    "letter_sequences",
    "metadata",
    "operators",
    "outbox",
    "reminder_calls",
    "require_aware",
    "screening_events",
    "screenings",
    "sessions",
    "settings",
    "signals",
    "utc_text",
    "webhook_deliveries",
    "webhooks",
]


agencies = Table(
    "agencies", metadata,
    Column("code", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("contact", Text),
    Column("phone", String(32)),
    Column("email", String(254)),
)

sessions = Table(
    "sessions", metadata,
    Column("code", String(64), primary_key=True),
    Column("project_name", Text, nullable=False),
    Column("opens_at", AwareDateTime, nullable=False),
    Column("day", Date, nullable=False),
    Column("hall", Text, nullable=False),
    Column("agency", String(64), ForeignKey("agencies.code")),
    #: ``scheduled``, ``postponed`` (``opens_at`` is the new opening) or ``cancelled``.
    Column("status", String(16), nullable=False, server_default="scheduled"),
    #: The opening before the latest postponement (earlier ones are in the audit trail).
    Column("postponed_from", AwareDateTime),
    #: When the status last changed (a reminder call made before a postponement no longer counts).
    Column("status_changed_at", AwareDateTime),
    Column("status_reason", Text),
    Index("ix_sessions_day", "day", "opens_at"),
)

companies = Table(
    "companies", metadata,
    Column("credit_code", String(18), primary_key=True),
    Column("name", Text, nullable=False),
    Column("name_key", Text, nullable=False, unique=True),
)

screenings = Table(
    "screenings", metadata,
    Column("id", String(64), primary_key=True),
    #: Insertion order: an identity on PostgreSQL, ``max + 1`` under SQLite's write lock.
    Column("ordinal", BigInteger, Identity(), nullable=False, unique=True),
    Column("centre", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("session", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("name", Text, nullable=False),
    Column("company", Text),
    Column("credit_code", String(18)),
    Column("document_kind", String(32), nullable=False),
    Column("document_masked", String(64), nullable=False),
    Column("phone_masked", String(32)),
    Column("key_area", Boolean, nullable=False),
    Column("visitor_at", AwareDateTime, nullable=False),
    Column("person_key", String(128), nullable=False),
    Column("hall", Text, nullable=False),
    Column("reentry", Boolean, nullable=False),
    Column("opened_at", AwareDateTime, nullable=False),
    Column("opened_desk", Text, nullable=False),
    Column("opened_operator", Text, nullable=False),
    Column("state", String(64), nullable=False),
    Column("outcome", String(32)),
    Column("reason", String(64)),
    Column("services", JSON, nullable=False),
    Column("badge", String(64)),
    Column("fevers", Integer, nullable=False),
    Column("measuring_errors", Integer, nullable=False),
    Column("rest_until", AwareDateTime),
    Column("supplies", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    #: Where the arrival came from when it was replayed (a batch line): a second run resumes, never repeats.
    Column("source_ref", String(200)),
    #: The full document number, only when the policy says so (``store_full_id``); otherwise only its hash.
    Column("document_number", String(64)),
    #: When the health data (answers, readings, declaration, health reasons) was purged; None while it is kept.
    Column("health_purged_at", AwareDateTime),
    #: The keyed hash of the mobile number given (to notice one phone for two bidders); never the number.
    Column("phone_key", String(64)),
    #: Where a refused person lives (街道/社区), for the community's letter; cleared with the health data.
    Column("residence", Text),
    #: The serial of the refusal letters' reference number (文号) in the year of the refusal (``letter_sequences``).
    Column("letter_serial", Integer),
    #: The number of the last step record and how many readings were taken: a desk's step reads the screening's
    #: row alone, and the step records only when something needs them.
    Column("steps", Integer, nullable=False, server_default="0"),
    Column("readings", Integer, nullable=False, server_default="0"),
    Index("ix_screenings_day", "centre", "day", "ordinal"),
    Index("ix_screenings_person", "day", "person_key"),
    Index("ix_screenings_phone", "session", "phone_key"),
    Index("uq_screenings_source_ref", "source_ref", unique=True),
)
#: The open screenings (no outcome yet): a partial index, so a step that only moves a screening on from one
#: state to the next writes no index entry (see ``SqlUnitOfWork``: a step's UPDATE names the columns it changes).
OPEN_SCREENING = "outcome IS NULL"
Index("ix_screenings_open", screenings.c.centre, sqlite_where=text(OPEN_SCREENING),
      postgresql_where=text(OPEN_SCREENING))

screening_events = Table(
    "screening_events", metadata,
    Column("screening_id", String(64), ForeignKey("screenings.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", AwareDateTime, nullable=False),
    Column("desk", Text, nullable=False),
    Column("operator", Text, nullable=False),
    Column("action", String(128), nullable=False),
    Column("state_from", String(64), nullable=False),
    Column("state_to", String(64), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("sensitive", Boolean, nullable=False),
    PrimaryKeyConstraint("screening_id", "seq"),
)

badges = Table(
    "badges", metadata,
    Column("serial", String(64), primary_key=True),
    Column("centre", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("session", String(64), nullable=False),
    Column("hall", Text, nullable=False),
    Column("role", String(32), nullable=False),
    Column("company", Text),
    Column("credit_code", String(18)),
    Column("holder_masked", Text, nullable=False),
    Column("person_key", String(128), nullable=False),
    Column("issued_at", AwareDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("revoked_reason", Text),
    Column("reprints", Integer, nullable=False),
    Index("ix_badges_day", "day", "serial"),
)

_ONE_COMPANY = text("role = 'bidder' AND status = 'active'")

admissions = Table(
    "admissions", metadata,
    Column("id", String(64), primary_key=True),
    #: Insertion order: an identity on PostgreSQL, ``max + 1`` under SQLite's write lock.
    Column("ordinal", BigInteger, Identity(), nullable=False, unique=True),
    Column("screening_id", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("session", String(64), nullable=False),
    Column("hall", Text, nullable=False),
    Column("role", String(32), nullable=False),
    Column("organisation", String(18)),
    Column("person_key", String(128), nullable=False),
    Column("badge", String(64), ForeignKey("badges.serial"), nullable=False),
    Column("at", AwareDateTime, nullable=False),
    Column("desk", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("inside", Boolean, nullable=False),
    Column("exited_at", AwareDateTime),
    Column("entries", Integer, nullable=False),
    Index("ix_admissions_person", "day", "person_key"),
    Index("ix_admissions_organisation", "day", "organisation", "role"),
    Index("ix_admissions_badge", "badge"),
    # 一公司一人: at most one active bidder admission per company and day, whatever the desks do.
    Index("uq_admissions_one_bidder", "day", "organisation", unique=True,
          sqlite_where=_ONE_COMPANY, postgresql_where=_ONE_COMPANY),
)

#: The people inside each hall on each day: the active admissions whose holder is inside. Kept exact by triggers
#: on ``admissions`` (migration 0008), whatever writes them; desks read it instead of counting, and on PostgreSQL
#: lock its row while they decide on the hall.
hall_occupancy = Table(
    "hall_occupancy", metadata,
    Column("day", Date, nullable=False),
    Column("hall", Text, nullable=False),
    Column("inside", Integer, nullable=False),
    PrimaryKeyConstraint("day", "hall"),
)

day_sequences = Table(
    "day_sequences", metadata,
    Column("centre", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("value", Integer, nullable=False),
    PrimaryKeyConstraint("centre", "day"),
)

#: The last refusal-letter serial (文号) given, per centre and year: numbers are never reused, even after a purge.
letter_sequences = Table(
    "letter_sequences", metadata,
    Column("centre", String(64), nullable=False),
    Column("year", Integer, nullable=False),
    Column("value", Integer, nullable=False),
    PrimaryKeyConstraint("centre", "year"),
)

#: The tamper-evident audit trail (see ``tenderguard.records.audit``). Desks append entries in their own
#: transactions without waiting for each other (``seq`` and the hashes still NULL); a short sealing transaction
#: then gives them their place in the chain: ``seq`` 1, 2, 3… and each entry the hash of the one before.
audit_log = Table(
    "audit_log", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), Identity(), primary_key=True),
    Column("seq", BigInteger, unique=True),
    Column("at", AwareDateTime, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("subject", String(128)),
    Column("desk", Text),
    Column("operator", Text),
    Column("payload", JSON, nullable=False),
    Column("prev_hash", String(64)),
    Column("hash", String(64)),
    Index("ix_audit_at", "at"),
)
#: Entries by subject, for the kinds looked up that way (a badge's exits, issues, revocations…): the entries of a
#: screening's own steps and outcome — most of the trail, written at every desk step — are left out of the index
#: (they are read by instant, and a screening's steps are in ``screening_events``). A query must repeat this
#: condition word for word to use the index (see ``_Audit.about``).
#: The kinds of a screening's own entries (its steps and its outcome), left out of the subject index.
SCREENING_KINDS = ("step", "outcome")
SUBJECT_LOOKUP = f"kind NOT IN ({', '.join(repr(kind) for kind in SCREENING_KINDS)})"
Index("ix_audit_subject_lookup", audit_log.c.subject, audit_log.c.kind, sqlite_where=text(SUBJECT_LOOKUP),
      postgresql_where=text(SUBJECT_LOOKUP))

#: The chain's head: one row (id 1) with the last seq and hash; writers lock it to append in order.
audit_head = Table(
    "audit_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

#: Signals for the supervisor (see ``tenderguard.domain.signals``): one per day and key.
signals = Table(
    "signals", metadata,
    Column("id", String(64), primary_key=True),
    Column("day", Date, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("key", String(64), nullable=False),
    Column("raised_at", AwareDateTime, nullable=False),
    Column("desk", Text, nullable=False),
    Column("operator", Text, nullable=False),
    Column("session", String(64)),
    Column("screenings", JSON, nullable=False),
    Column("companies", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("decided_at", AwareDateTime),
    Column("decided_by", Text),
    Column("decision_reason", Text),
    UniqueConstraint("day", "key", name="uq_signals_day_key"),
)

#: What the database remembers about itself (the ID-hash key's fingerprint), by name.
settings = Table(
    "settings", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

#: The pre-bid reminder calls to agencies (开标前电话提醒): one row per call, covering one or more sessions.
reminder_calls = Table(
    "reminder_calls", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), Identity(), primary_key=True),
    Column("agency", String(64), ForeignKey("agencies.code"), nullable=False),
    Column("sessions", JSON, nullable=False),
    Column("at", AwareDateTime, nullable=False),
    Column("caller", Text, nullable=False),
    Column("answered_by", Text),
    Column("outcome", String(16), nullable=False),
    Column("callback_at", AwareDateTime),
    Column("note", Text),
    Index("ix_reminder_calls_agency", "agency", "at"),
)

#: Notices waiting to be emailed, sent, or failed: one row per agency and day (``key``), so a notice is never
#: queued twice; ``message_id`` stays the same across retries.
outbox = Table(
    "outbox", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), Identity(), primary_key=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("agency", String(64), ForeignKey("agencies.code"), nullable=False),
    Column("day", Date, nullable=False),
    Column("recipient", String(254), nullable=False),
    Column("message_id", String(200), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", AwareDateTime, nullable=False),
    Column("claimed_at", AwareDateTime),
    Column("sent_at", AwareDateTime),
    Column("last_error", Text),
    Column("created_at", AwareDateTime, nullable=False),
    Index("ix_outbox_status", "status", "next_attempt_at"),
)
