"""The records' commands: the database schema, the audit trail and its checkpoints, the supervisor's signals."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import click

from tenderguard.i18n import _, format_datetime

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from tenderguard.records.checkpoint import Checkpoint

from tenderguard.cli.common import (
    EXIT_AUDIT_BROKEN,
    _centre_options,
    _db_option,
    _db_url,
    _gate,
    _keys_option,
    _policy_option,
    _store,
    cli,
)

__all__ = [
    "audit",
    "audit_checkpoint",
    "audit_verify",
    "db",
    "db_status",
    "db_upgrade",
    "signals",
    "signals_list",
    "signals_resolve",
]


@cli.group()
def db() -> None:
    """Create, check and upgrade the database schema."""


@db.command("upgrade")
@_db_option
def db_upgrade(db: str) -> None:
    """Bring the database's schema up to this version of TenderGuard (creating it if empty)."""
    from tenderguard.store import schema  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.store.sql import create_engine_for  # noqa: PLC0415 - each command imports what it uses
    engine = create_engine_for(_db_url(db))
    try:
        before, after = schema.upgrade(engine)
    finally:
        engine.dispose()
    if before.revision == after.revision:
        click.echo(_("already up to date: revision {revision}", revision=after.revision))
    else:
        click.echo(_("upgraded: revision {value} → {revision}", value=before.revision or _('none (empty database)'),
                     revision=after.revision))


@db.command("status")
@_db_option
def db_status(db: str) -> None:
    """Show the database's schema revision and whether it needs an upgrade."""
    from tenderguard.store import schema  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.store.sql import create_engine_for  # noqa: PLC0415 - each command imports what it uses
    engine = create_engine_for(_db_url(db), create=False)
    try:
        with engine.connect() as conn:
            click.echo(str(schema.status(conn)))
    finally:
        engine.dispose()


@cli.group()
def audit() -> None:
    """Check the tamper-evident audit trail."""


@audit.command("verify")
@_db_option
@_keys_option
@_centre_options
@click.option("--checkpoint", "checkpoint_file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="A checkpoint file: the trail up to it must be the one checkpointed.")
@click.option("--since-checkpoint", "since_file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Trust the trail up to this checkpoint; verify only what came after (faster).")
@click.option("--fingerprint", default=None, metavar="ENTRY:XXXX-XXXX-XXXX-XXXX",
              help="A fingerprint printed on a daily report or read out over the phone.")
def audit_verify(db: str, keys: str, centre_code: str, centre_name: str, checkpoint_file: str | None,
                 since_file: str | None, fingerprint: str | None) -> None:
    """Check the audit trail's hash chain (and that it still holds a checkpoint); exit 4 if broken or rewritten."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.keys import PUBLIC_KEY_FILE, load_public_key  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.records.checkpoint import parse_fingerprint  # noqa: PLC0415 - each command imports what it uses
    anchor = parse_fingerprint(fingerprint) if fingerprint is not None else None
    public = load_public_key(Path(keys) / PUBLIC_KEY_FILE) if checkpoint_file or since_file else None
    checkpoint = _read_checkpoint(checkpoint_file, public)
    since = _read_checkpoint(since_file, public)
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        report = _gate(store, "badge-only").verify_audit_against(checkpoint=checkpoint, since=since,
                                                                 fingerprint=anchor)
    if not report.ok:
        click.echo(_("error: {report}", report=report), err=True)
        sys.exit(EXIT_AUDIT_BROKEN)
    click.echo(_("{report} from the checkpoint at entry {seq}", report=report, seq=since.seq) if since else str(report))


def _read_checkpoint(path: str | None, public: Ed25519PublicKey | None) -> Checkpoint | None:
    from tenderguard.records.checkpoint import MAX_CHECKPOINT_BYTES, Checkpoint  # noqa: PLC0415 - each command imports what it uses
    if path is None or public is None:
        return None
    return Checkpoint.from_json(Path(path).read_bytes()[:MAX_CHECKPOINT_BYTES + 1], public)


@audit.command("checkpoint")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write the signed checkpoint here.")
@click.option("--operator", default="system", show_default=True, help="Who makes it (audited).")
@_db_option
@_keys_option
@_centre_options
def audit_checkpoint(out: str | None, operator: str, db: str, keys: str, centre_code: str, centre_name: str
                     ) -> None:
    """Sign the trail's entry count and head hash with the centre's key; print its fingerprint to write down."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.keys import load_signing_key  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.records.files import write_private_text  # noqa: PLC0415 - each command imports what it uses
    key = load_signing_key(keys)
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        checkpoint = _gate(store, "badge-only").audit_checkpoint(key, operator=operator)
    if out is not None:
        write_private_text(out, checkpoint.to_json())
    line = _("checkpoint of {at}: entry {seq}, fingerprint {seq}:{fingerprint}", at=format_datetime(checkpoint.at),
             seq=checkpoint.seq, fingerprint=checkpoint.fingerprint)
    click.echo(_("{line} (written to {out})", line=line, out=out) if out else line)


@cli.group()
def signals() -> None:
    """Signals for the supervisor (监督人员): one person for two bidders, a shared phone, a name under two codes."""


@signals.command("list")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="The day (default today).")
@click.option("--unmasked", is_flag=True, help="Full names and companies, for the supervisor (audited).")
@click.option("--operator", default="", help="Who reads the signals unmasked (recorded).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_db_option
@_policy_option
@_centre_options
def signals_list(day: dt.datetime | None, unmasked: bool, operator: str, as_json: bool, db: str, policy_spec: str,
                 centre_code: str, centre_name: str) -> None:
    """List a day's signals, names and credit codes masked unless --unmasked (the supervisor's reading)."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    if unmasked and not operator.strip():
        raise click.UsageError(_("--unmasked needs --operator NAME: the supervisor who reads the signals"))
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        gate = _gate(store, policy_spec)
        found = gate.signal_details(day.date() if day else None, unmasked=unmasked, operator=operator)
    for v in found:
        if as_json:
            row = attrs.asdict(v)
            row["day"], row["raised_at"] = v.day.isoformat(), v.raised_at.isoformat()
            click.echo(json.dumps(row, ensure_ascii=False))
            continue
        decided = f"\t{v.decided_by}: {v.decision_reason}" if v.decided_by else ""
        session = _("session {session}", session=v.session or "-")
        click.echo(f"{v.id}\t{v.raised_at:%H:%M}\t{v.status}\t{v.text}\t{session}\t"
                   f"{'、'.join(v.people)}\t{'、'.join(v.companies)}{decided}")
    if not found and not as_json:
        click.echo(_("no signal"))


@signals.command("resolve")
@click.argument("signal_id")
@click.option("--decision", type=click.Choice(["dismiss", "refer"]), required=True,
              help="dismiss (nothing wrong) or refer (to the supervision authority).")
@click.option("--reason", required=True, help="What was found; recorded.")
@click.option("--operator", required=True, help="The supervisor who decides; recorded.")
@_db_option
@_policy_option
@_centre_options
def signals_resolve(signal_id: str, decision: str, reason: str, operator: str, db: str, policy_spec: str,
                    centre_code: str, centre_name: str) -> None:
    """Decide a signal (audited)."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        signal = _gate(store, policy_spec).decide_signal(signal_id, decision=decision, reason=reason,
                                                         operator=operator)
    click.echo(_("signal {id}: {status} by {decided_by}", id=signal.id, status=signal.status,
                 decided_by=signal.decided_by))
