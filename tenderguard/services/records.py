"""The day's records: refusal letters, the daily report, the audit trail and its checkpoints, the purge, exports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tenderguard.domain.model import BidSession, a_day
from tenderguard.domain.residence import notified_refusal
from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _
from tenderguard.records.audit import AuditDraft, ChainReport, verify_trail
from tenderguard.records.checkpoint import Checkpoint, fingerprint_of, verify_since, verify_upto
from tenderguard.records.export import FORMATS, export_rows, write_export
from tenderguard.records.files import write_private
from tenderguard.records.retention import PurgeReport, cutoffs
from tenderguard.store.unit_of_work import seal_all

if TYPE_CHECKING:
    from tenderguard.notices.refusals import RefusalNotice
    from tenderguard.reports.figures import DailyReport

from tenderguard.services.base import GateParts
from tenderguard.services.sessions import SESSION_POSTPONED

__all__ = ["RecordUseCases"]


class RecordUseCases(GateParts):
    """The day's records: refusal letters, the daily report, the audit trail and its checkpoints, the purge, exports."""

    def refusal_notices(self, day: dt.date, *, operator: str = "system") -> list[RefusalNotice]:
        """The letters for the day's refusals the policy notifies (company, community, agency); audited.

        A refusal notified for the first time gets the next serial of its year's 文号, stored with it (in the same
        transaction as the audit entry): made again, its letters carry the same number. Two runs for the same day
        at the same moment cannot give one refusal two numbers: the second loses the race (ConflictError) and is
        simply run again.
        """
        day = a_day(day, field="day")
        from tenderguard.notices.refusals import as_on, refusal_notices, refused_on  # noqa: PLC0415 - on demand

        now = self.clock.now()
        with self.uow_factory() as uow:
            screenings = uow.screenings.for_day(day)
            # By code, whatever day the session opens on now: one postponed since keeps its refusals' letters.
            sessions: dict[str, BidSession] = {}
            for code in sorted({s.visitor.session for s in screenings}):
                session = uow.sessions.get(code)
                if session is not None and session.day(self.centre) != day and session.postponed_from is not None:
                    moves = uow.audit.about(code, SESSION_POSTPONED)
                    session = as_on(session, day, self.centre, [dt.datetime.fromisoformat(str(e.payload["from"]))
                                                                for e in moves if "from" in e.payload])
                if session is not None:
                    sessions[code] = session
            for s in screenings:
                if s.letter_serial is None and s.visitor.session in sessions and notified_refusal(s, self.policy):
                    s.letter_serial = uow.screenings.next_letter_serial(self.centre.code,
                                                                        refused_on(s, self.centre).year)
            found = refusal_notices(screenings, sessions=sessions, agencies={a.code: a for a in uow.agencies.all()},
                                    policy=self.policy, centre=self.centre)
            if found:
                uow.audit.record(AuditDraft(at=now, kind="refusal_notices", subject=day.isoformat(), operator=operator,
                                            payload={"refusals": len(found),
                                                     "letters": sum(len(n.letters) for n in found)}))
                uow.commit()
        return found

    def daily_report(self, day: dt.date) -> tuple[DailyReport, list[str]]:
        """The day's report from the stored records, and its mismatches with the audit trail (none expected)."""
        day = a_day(day, field="day")
        from tenderguard.reports import daily_report, reconcile  # noqa: PLC0415 - loaded on demand

        with self.uow_factory() as uow:
            report = daily_report(uow, day=day, centre=self.centre, policy=self.policy)
            problems = reconcile(report, uow)
            uow.commit()  # keeps the audit seal reconcile made
        with self.uow_factory() as uow:
            seq, head = uow.audit.head()
        # The trail as the report was made, short enough to read out: `audit verify --fingerprint` checks it later.
        return attrs.evolve(report, trail_checkpoint=(seq, fingerprint_of(seq, head))), problems

    def seal_audit(self) -> int:
        """Seal every audit entry written so far into the chain (desks do it every second or so anyway)."""
        return seal_all(self.uow_factory)

    def verify_audit(self) -> ChainReport:
        """Seal what is waiting, then check the trail's hash chain; the report names the first bad entry."""
        self.seal_audit()
        with self.uow_factory() as uow:
            return verify_trail(uow.audit)

    def audit_checkpoint(self, key: Ed25519PrivateKey, *, operator: str = "system") -> Checkpoint:
        """Seal the trail, then sign its entry count and head hash with the centre's key; the checkpoint is audited.

        Keep the file away from the database (or read its fingerprint out and write it down): later,
        :meth:`verify_audit` with it tells whether the trail up to it was rewritten.
        """
        self.seal_audit()
        now = self.clock.now()
        with self.uow_factory() as uow:
            seq, head = uow.audit.head()
            checkpoint = Checkpoint(centre=self.centre.code, seq=seq, hash=head, at=now).signed(key)
            uow.audit.record(AuditDraft(at=now, kind="checkpoint", subject=str(seq), operator=operator,
                                        payload={"seq": seq, "fingerprint": checkpoint.fingerprint}))
            uow.commit()
        self.seal_audit()
        return checkpoint

    def verify_audit_against(self, *, checkpoint: Checkpoint | None = None, since: Checkpoint | None = None,
                             fingerprint: tuple[int, str] | None = None) -> ChainReport:
        """Verify the trail and that it still holds a checkpoint (or a printed fingerprint ``(entry, XXXX-…)``).

        With ``since``, the trail up to that checkpoint is trusted (only its last entry is compared) and only
        what came after is verified.
        """
        self.seal_audit()
        for found in (checkpoint, since):
            if found is not None and found.centre != self.centre.code:
                raise InvalidInputError("checkpoint", _("is for centre {centre}, not {centre_code}",
                                                        centre=found.centre, centre_code=self.centre.code))
        with self.uow_factory() as uow:
            if since is not None:
                return verify_since(uow.audit, since)
            anchors = [(c.seq, c.fingerprint) for c in (checkpoint,) if c is not None]
            anchors += [fingerprint] if fingerprint is not None else []
            for seq, expected in anchors:
                broken = verify_upto(uow.audit, seq, expected)
                if broken is not None:
                    return broken
            return verify_trail(uow.audit)

    def purge(self, *, today: dt.date | None = None, dry_run: bool = False, operator: str = "system"
              ) -> PurgeReport:
        """Delete what the policy's retention periods say must go (health data first, attendance later).

        The purge is one transaction and is itself audited (a ``purge`` entry with its counts); a dry run only
        reports what would go.
        """
        today = None if today is None else a_day(today, field="today")
        today = today or self.centre.day_of(self.clock.now())
        retention = self.policy.retention
        self.seal_audit()  # chain what the days to purge wrote while it is all still there
        health_before, attendance_before = cutoffs(today, retention.health_data_days, retention.attendance_days)
        at = self.clock.now()
        with self.uow_factory() as uow:
            counts = uow.retention.purge(health_before=health_before, attendance_before=attendance_before, at=at,
                                         dry_run=dry_run)
            if not dry_run:
                uow.audit.record(AuditDraft(at=at, kind="purge", subject=str(today), operator=operator, payload={
                    "health_before": health_before.isoformat(), "attendance_before": attendance_before.isoformat(),
                    **attrs.asdict(counts)}))
                uow.commit()
        if not dry_run:
            uow.compact()
        return PurgeReport(today=today, health_before=health_before, attendance_before=attendance_before,
                           counts=counts, dry_run=dry_run)

    def export(self, day: dt.date, out: str, *, fmt: str = "csv", unmasked: bool = False,
               operator: str = "system") -> int:
        """Write a day's screenings to ``out`` as CSV or XLSX (masked unless ``unmasked``); audited. Rows written."""
        day = a_day(day, field="day")
        if fmt not in FORMATS:
            raise InvalidInputError("format", _("{fmt!r} is not one of {items}", fmt=fmt, items=_(", ").join(FORMATS)))
        if unmasked and not operator.strip():
            raise InvalidInputError("operator", _("an unmasked export must name who asked for it"))
        written: list[int] = []

        def write(partial: Path) -> None:
            with self.uow_factory() as uow:
                rows = export_rows(uow.screenings.for_day(day), unmasked=unmasked)
                write_export(rows, partial, fmt, day=day)
                uow.audit.record(AuditDraft(at=self.clock.now(), kind="export", subject=day.isoformat(),
                                            operator=operator, payload={"format": fmt, "rows": len(rows),
                                                                        "unmasked": unmasked}))
                uow.commit()
            written.append(len(rows))

        # Owner-only, and the file appears only once its export is in the audit trail.
        write_private(out, write)
        return written[0]
