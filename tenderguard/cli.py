"""The ``tenderguard`` command: batch screening, the database, the audit trail, policies, diagrams, identities.

Every command that touches the day's records takes ``--db URL`` (or ``TENDERGUARD_DB``; default: the SQLite file
``tenderguard.db`` in the working directory; a plain file path means a SQLite file) and ``--keys DIR`` (or
``TENDERGUARD_KEYS``; default ``tenderguard-keys``) for the centre's secrets.

Exit codes: 0 success; 1 an error (one clear line on stderr, never a traceback); 2 wrong usage; 3 a batch in
which some lines were invalid (the others were processed); 4 the audit trail does not verify; 5 a badge code
that is not valid.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import attrs
import click

from tenderguard import __version__
from tenderguard.errors import TenderGuardError
from tenderguard.keys import DEFAULT_KEYS_DIR
from tenderguard.policy import list_presets

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from tenderguard.domain.arrival_slots import ArrivalPlan, ArrivalWindow
    from tenderguard.domain.model import Badge, Centre
    from tenderguard.domain.reminders import AgencyDay
    from tenderguard.policy import Policy
    from tenderguard.records.checkpoint import Checkpoint
    from tenderguard.services import Gate
    from tenderguard.store.sql import SqlStore

__all__ = ["cli", "main"]

EXIT_INVALID_LINES = 3
EXIT_AUDIT_BROKEN = 4
EXIT_BADGE_INVALID = 5
DEFAULT_DB = "sqlite:///tenderguard.db"


class _Group(click.Group):
    """A click group that turns TenderGuard's errors into one line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; a TenderGuardError becomes a ClickException (no traceback)."""
        try:
            return super().invoke(ctx)
        except TenderGuardError as exc:
            raise click.ClickException(str(exc)) from None
        except Exception as exc:
            # A database error can only come from a command that loaded SQLAlchemy: look for it only then.
            database = sys.modules.get("sqlalchemy.exc")
            if database is not None and isinstance(exc, database.ArgumentError):
                raise click.ClickException(f"--db: {exc} (e.g. sqlite:///gate.db or "
                                           "postgresql+psycopg://user@host/db)") from None
            if database is not None and isinstance(exc, database.SQLAlchemyError):
                detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                raise click.ClickException(f"database error: {detail} (check --db and that the server is up; "
                                           "nothing was half-written)") from None
            raise


def _db_url(value: str) -> str:
    """A URL as given, or a plain file path taken as a SQLite file."""
    return value if "://" in value else f"sqlite:///{Path(value).expanduser()}"


def _db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db", "db", envvar="TENDERGUARD_DB", default=DEFAULT_DB, show_default=True, metavar="URL",
        help="Database URL (sqlite:///FILE or postgresql+psycopg://…) or a SQLite file path [env TENDERGUARD_DB].",
    )(func)


def _keys_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--keys", "keys", envvar="TENDERGUARD_KEYS", default=DEFAULT_KEYS_DIR, show_default=True, metavar="DIR",
        type=click.Path(file_okay=False), help="Folder of the centre's secrets [env TENDERGUARD_KEYS].",
    )(func)


def _centre_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--centre-name", default="公共资源交易中心", show_default=True,
                        help="The centre's name.")(func)
    return click.option("--centre-code", default="MY", show_default=True,
                        help="The centre's code (badge serial prefix).")(func)


@contextmanager
def _store(db: str, centre: Centre, *, create: bool = False) -> Iterator[SqlStore]:
    """The store of ``--db``; only the commands that start a day's records (``create``) make a new database."""
    from tenderguard.store.sql import SqlStore  # noqa: PLC0415 - each command imports what it uses
    store = SqlStore(_db_url(db), centre, create=create)
    try:
        yield store
        store.seal_audit()  # leave nothing of this run waiting to be chained
    finally:
        store.dispose()


def _secret(keys: str) -> bytes:
    from tenderguard.keys import load_id_secret  # noqa: PLC0415 - each command imports what it uses
    secret, created = load_id_secret(keys)
    if created:
        click.echo(f"note: created the ID-hash key {Path(keys) / 'id-hash.key'} (keep it; mode 0600)", err=True)
    return secret


def _policy_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--policy", "policy_spec", default="miyun-2020", show_default=True, metavar="PRESET|FILE",
        help=f"A preset ({', '.join(list_presets())}) or a policy TOML file.",
    )(func)


#: Settings a configuration file may give, and the option (parameter) each one sets on every command having it.
CONFIG_KEYS = {"db": "db", "keys": "keys", "policy": "policy_spec", "centre_code": "centre_code",
               "centre_name": "centre_name", "desk": "desk", "operator": "operator"}
DEFAULT_CONFIG = "tenderguard.toml"


def _config_defaults(command: click.Command, settings: dict[str, str]) -> dict[str, Any]:
    """The ``default_map`` that gives every (sub)command the configured values of the options it has."""
    found: dict[str, Any] = {}
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            nested = _config_defaults(sub, settings)
            if nested:
                found[name] = nested
        return found
    params = {p.name for p in command.params}
    return {CONFIG_KEYS[k]: v for k, v in settings.items() if CONFIG_KEYS[k] in params}


def _read_config(path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TenderGuardError(f"cannot read the configuration {path}: {exc}",
                               hint="fix the file or point --config elsewhere") from None
    table = data.get("tenderguard", data)
    unknown = sorted(set(table) - set(CONFIG_KEYS))
    if unknown or not all(isinstance(v, str) for v in table.values()):
        raise TenderGuardError(f"{path}: unknown or non-text settings {', '.join(unknown) or '(a value)'}",
                               hint=f"known settings: {', '.join(CONFIG_KEYS)} (all text)")
    return {str(k): str(v) for k, v in table.items()}


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tenderguard")
@click.option("--config", type=click.Path(dir_okay=False), envvar="TENDERGUARD_CONFIG", default=None,
              help=f"A TOML file of defaults (db, keys, policy, centre_code, centre_name, desk, operator) "
                   f"[env TENDERGUARD_CONFIG; default ./{DEFAULT_CONFIG} if present]. Options and environment "
                   "variables win over it.")
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """TenderGuard: the health-screening gate of a trading centre on bid-opening days."""
    path = Path(config) if config else Path(DEFAULT_CONFIG)
    if config is not None or path.is_file():
        ctx.default_map = _config_defaults(cli, _read_config(path))


@cli.command()
@click.option("--batch", "batch", type=click.File("r", encoding="utf-8"), required=True,
              help="A JSON-lines file, one arrival per line ('-' for standard input).")
@_policy_option
@_db_option
@_keys_option
@_centre_options
@click.option("--desk", default="batch", show_default=True, help="The desk the records are replayed at.")
@click.option("--operator", default="batch", show_default=True, help="The operator recorded on each step.")
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="Where to write the results (default: standard output; a file is readable by its owner only).")
def screen(batch: TextIO, policy_spec: str, db: str, keys: str, centre_code: str, centre_name: str, desk: str,
           operator: str, out: str) -> None:
    """Screen a batch of arrivals; write one JSON result per line (name, outcome, reason, badge).

    Every step is committed to the database as it happens, so several batch processes on one database behave
    like several desks. Running the same file again resumes where an interrupted run stopped: finished lines
    report their stored outcome and nobody is screened twice.
    """
    from tenderguard.batch import run_batch  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.domain.model import Centre, ManualClock  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.services import Gate  # noqa: PLC0415 - each command imports what it uses
    policy = load_policy(policy_spec)
    centre = Centre(code=centre_code, name=centre_name)
    source = None if batch.name in ("-", "<stdin>") else str(Path(batch.name).resolve())
    invalid = 0
    with _store(db, centre, create=True) as store, _results_file(out) as results:
        secret = _secret(keys)
        clock = ManualClock(_now())
        gate = Gate(policy=policy, centre=centre, uow_factory=store.unit_of_work, clock=clock, secret=secret)
        for result in run_batch(batch, gate, gate.desk(desk, operator), clock, source=source,
                                warn=lambda msg: click.echo(f"warning: {msg}", err=True)):
            invalid += result.get("outcome") == "invalid"
            results.write(json.dumps(result, ensure_ascii=False) + "\n")
            results.flush()
    if invalid:
        click.echo(f"{invalid} invalid line(s); see the 'message' of each", err=True)
        sys.exit(EXIT_INVALID_LINES)


@contextmanager
def _results_file(out: str) -> Iterator[TextIO]:
    """Standard output for ``-``; otherwise the file, created readable by its owner only (results name people)."""
    if out == "-":
        yield sys.stdout
        return
    try:
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror}") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        yield handle


def _now() -> dt.datetime:
    from tenderguard.domain.model import SHANGHAI  # noqa: PLC0415 - each command imports what it uses
    return dt.datetime.now(SHANGHAI)


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
        click.echo(f"already up to date: revision {after.revision}")
    else:
        click.echo(f"upgraded: revision {before.revision or 'none (empty database)'} → {after.revision}")


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
        click.echo(f"error: {report}", err=True)
        sys.exit(EXIT_AUDIT_BROKEN)
    click.echo(str(report) + (f" from the checkpoint at entry {since.seq}" if since else ""))


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
    click.echo(f"checkpoint of {checkpoint.at:%Y-%m-%d %H:%M}: entry {checkpoint.seq}, fingerprint "
               f"{checkpoint.seq}:{checkpoint.fingerprint}" + (f" (written to {out})" if out else ""))


def _gate(store: SqlStore, policy_spec: str) -> Gate:
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.services import Gate  # noqa: PLC0415 - each command imports what it uses
    return Gate(policy=load_policy(policy_spec), centre=store.centre, uow_factory=store.unit_of_work)


@cli.command()
@_db_option
@_policy_option
@_centre_options
@click.option("--dry-run", is_flag=True, help="Only report what would be deleted.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Count retention from this day instead of today (YYYY-MM-DD).")
@click.option("--operator", default="system", show_default=True, help="Who runs the purge (audited).")
def purge(db: str, policy_spec: str, centre_code: str, centre_name: str, dry_run: bool, today: dt.datetime | None,
          operator: str) -> None:
    """Delete health data, then whole days, older than the policy's retention periods (audited)."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        report = _gate(store, policy_spec).purge(today=today.date() if today else None, dry_run=dry_run,
                                                 operator=operator)
    for line in report.lines():
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing was deleted")


@cli.command()
@_db_option
@_policy_option
@_centre_options
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), required=True, help="The day (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="The file to write.")
@click.option("--unmasked", is_flag=True, help="Full names (and ID numbers if the policy keeps them); audited.")
@click.option("--operator", default="system", show_default=True, help="Who asks for the export (audited).")
def export(db: str, policy_spec: str, centre_code: str, centre_name: str, day: dt.datetime, fmt: str, out: str,
           unmasked: bool, operator: str) -> None:
    """Export a day's screenings as CSV or XLSX, masked by default (every export is audited)."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    if unmasked and operator == "system":
        raise click.UsageError("an unmasked export needs --operator NAME: who asks for the personal data")
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        rows = _gate(store, policy_spec).export(day.date(), out, fmt=fmt, unmasked=unmasked, operator=operator)
    click.echo(f"{rows} screening(s) of {day:%Y-%m-%d} written to {out}" + (" (UNMASKED)" if unmasked else ""))


@cli.group()
def remind() -> None:
    """Pre-bid reminders through the agencies: the call plan, the call log and who is still to call."""


def _groups_table(groups: list[AgencyDay], *, show_phones: bool, as_json: bool) -> None:
    from tenderguard.identity import mask_phone  # noqa: PLC0415 - each command imports what it uses
    for g in groups:
        phone = g.agency.phone if show_phones else (mask_phone(g.agency.phone) if g.agency.phone else None)
        row: dict[str, Any] = {"day": g.day.isoformat(), "agency": g.agency.code, "name": g.agency.name,
               "contact": g.agency.contact, "phone": phone, "sessions": [s.code for s in g.sessions],
               "first_opening": g.sessions[0].opens_at.strftime("%H:%M"), "reached": g.reached,
               "attempts": g.attempts, "callback_at": g.callback_at.isoformat() if g.callback_at else None}
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
            continue
        state = "已通知" if g.reached else (f"约定回拨 {g.callback_at:%m-%d %H:%M}" if g.callback_at
                                            else f"待通知(已拨 {g.attempts} 次)")
        click.echo(f"{g.day} {row['first_opening']}  {g.agency.name}  {g.agency.contact or '-'} {phone or '-'}  "
                   f"{'、'.join(s.code for s in g.sessions)}  {state}")


def _groups_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--json", "as_json", is_flag=True, help="One JSON object per agency-day.")(func)
    func = click.option("--show-phones", is_flag=True,
                        help="Show the agencies' phone numbers unmasked (for the caller).")(func)
    return click.option("--days", type=int, default=3, show_default=True, help="How many days ahead, from today.")(func)


@remind.command("plan")
@_groups_options
@_db_option
@_centre_options
def remind_plan(days: int, show_phones: bool, as_json: bool, db: str, centre_code: str, centre_name: str) -> None:
    """Every agency with sessions in the next days, one call per agency and day, and where each call stands."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        groups = _gate(store, "badge-only").reminder_groups(days)
    _groups_table(groups, show_phones=show_phones, as_json=as_json)


@remind.command("due")
@_groups_options
@_db_option
@_centre_options
def remind_due(days: int, show_phones: bool, as_json: bool, db: str, centre_code: str, centre_name: str) -> None:
    """The agencies not reached yet for their sessions in the next days (callbacks once their time has come)."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        groups = _gate(store, "badge-only").reminders_due(days)
    _groups_table(groups, show_phones=show_phones, as_json=as_json)
    if not groups and not as_json:
        click.echo("nothing due: every agency with sessions in the period has been reached")


@remind.command("call")
@click.option("--agency", required=True, help="The agency's code.")
@click.option("--outcome", required=True, metavar="reached|will_relay|no_answer|wrong_number|callback",
              help="How the call went.")
@click.option("--caller", required=True, help="Who made the call.")
@click.option("--answered-by", default=None, help="Who answered (required when reached).")
@click.option("--session", "sessions", multiple=True, help="A session the call covered (default: all of the "
              "agency's sessions on its next day).")
@click.option("--callback-at", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]), default=None,
              help="For a callback: when to call again (local time, YYYY-MM-DDTHH:MM).")
@click.option("--note", default=None, help="A short note.")
@_db_option
@_centre_options
def remind_call(agency: str, outcome: str, caller: str, answered_by: str | None, sessions: tuple[str, ...],
                callback_at: dt.datetime | None, note: str | None, db: str, centre_code: str,
                centre_name: str) -> None:
    """Log a reminder call to an agency and its outcome (audited)."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    centre = Centre(code=centre_code, name=centre_name)
    when = callback_at.replace(tzinfo=centre.tz) if callback_at else None
    with _store(db, centre) as store:
        call = _gate(store, "badge-only").log_call(
            agency=agency, caller=caller, outcome=outcome, sessions=sessions or None, answered_by=answered_by,
            callback_at=when, note=note)
    click.echo(f"logged: {call.agency} {call.outcome} ({'、'.join(call.sessions)}) at {call.at:%Y-%m-%d %H:%M}")


def _expected(values: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    for value in values:
        code, _, span = value.partition("=")
        low, _, high = span.partition("-")
        if not code or not low.isdigit() or not (high or low).isdigit():
            raise click.BadParameter(f"{value!r} is not SESSION=MIN-MAX (e.g. MY-2026-118=20-35)",
                                     param_hint="--expected")
        found[code] = (int(low), int(high or low))
    return found


def _windows_to_json(plan: ArrivalPlan) -> str:
    return json.dumps({code: {"hall": w.hall, "opens_at": w.opens_at.isoformat(), "start": w.start.isoformat(),
                              "end": w.end.isoformat(), "people": w.people} for code, w in plan.windows.items()},
                      ensure_ascii=False, indent=1)


def _windows_from(file: TextIO | None) -> dict[str, ArrivalWindow] | None:
    from tenderguard.domain.arrival_slots import ArrivalWindow  # noqa: PLC0415 - each command imports what it uses
    if file is None:
        return None
    try:
        data = json.load(file)
        return {code: ArrivalWindow(session=code, hall=w["hall"], opens_at=dt.datetime.fromisoformat(w["opens_at"]),
                                    start=dt.datetime.fromisoformat(w["start"]),
                                    end=dt.datetime.fromisoformat(w["end"]), people=int(w["people"]))
                for code, w in data.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise click.BadParameter("is not a windows file written by `remind slots --out`",
                                 param_hint="--windows") from None


_WINDOWS_OPTION = click.option("--windows", type=click.File("r", encoding="utf-8"), default=None,
                               help="Arrival windows from `remind slots --out FILE`, printed on the notices.")


@remind.command("slots")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), required=True, help="The day (YYYY-MM-DD).")
@click.option("--expected", multiple=True, required=True, metavar="SESSION=MIN-MAX",
              help="Expected attendance of a session (repeat for each session).")
@click.option("--desks", type=int, default=2, show_default=True, help="Entrance desks open.")
@click.option("--throughput", type=float, default=None, help="People per minute per desk [default: measured "
              "on --measured-on, else 1.0].")
@click.option("--measured-on", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Take the throughput from this past day's records (e.g. yesterday).")
@click.option("--max-queue", type=int, default=20, show_default=True, help="Longest acceptable queue.")
@click.option("--gate-opens", default="07:30", show_default=True, help="When the entrance opens (HH:MM).")
@click.option("--out", type=click.File("w", encoding="utf-8"), default=None, help="Write the windows as JSON.")
@_db_option
@_centre_options
def remind_slots(day: dt.datetime, expected: tuple[str, ...], desks: int, throughput: float | None,
                 measured_on: dt.datetime | None, max_queue: int, gate_opens: str, out: TextIO | None, db: str,
                 centre_code: str, centre_name: str) -> None:
    """Plan staggered arrival windows (分段进入) so the queue stays short and everyone is in before opening."""
    from tenderguard.domain.arrival_slots import SessionLoad, plan_arrivals  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    wanted = _expected(expected)
    centre = Centre(code=centre_code, name=centre_name)
    try:
        opens = dt.time.fromisoformat(gate_opens)
    except ValueError:
        raise click.BadParameter(f"{gate_opens!r} is not HH:MM", param_hint="--gate-opens") from None
    with _store(db, centre) as store:
        gate = _gate(store, "badge-only")
        sessions = {s.code: s for s in gate.reminder_sessions(day.date())}
        if throughput is None and measured_on is not None:
            throughput = gate.measured_throughput(measured_on.date())
            if throughput is None:
                raise click.ClickException(f"too few records on {measured_on:%Y-%m-%d} to measure the desks; "
                                           "give --throughput")
            click.echo(f"measured on {measured_on:%Y-%m-%d}: {throughput:.2f} people per minute per desk")
    throughput = throughput if throughput is not None else 1.0
    unknown = sorted(set(wanted) - set(sessions))
    if unknown:
        raise click.BadParameter(f"no session {', '.join(unknown)} on {day:%Y-%m-%d}", param_hint="--expected")
    loads = [SessionLoad.of(sessions[code], span) for code, span in wanted.items()]
    plan = plan_arrivals(loads, desks=desks, throughput=throughput, max_queue=max_queue,
                         gate_opens=dt.datetime.combine(day.date(), opens, tzinfo=centre.tz))
    if not plan.feasible:
        for problem in plan.problems:
            click.echo(f"cannot plan: {problem}", err=True)
        sys.exit(1)
    for code, w in sorted(plan.windows.items(), key=lambda kv: kv[1].start):
        click.echo(f"{code}\t{w.hall}\t{w.describe()}\t(opens {w.opens_at:%H:%M}, {w.people} people)")
    click.echo(f"peak queue {plan.peak_queue:.0f}, desks busy {plan.utilisation:.0%}")
    if out is not None:
        out.write(_windows_to_json(plan) + "\n")


@remind.command("render")
@click.option("--session", "session_code", required=True, help="A session: its agency's notice for that day.")
@click.option("--out", "folder", type=click.Path(file_okay=False), required=True, help="The folder to write to.")
@click.option("--contact-phone", default=None, help="The centre's phone for questions (printed on the notice).")
@_WINDOWS_OPTION
@_db_option
@_policy_option
@_centre_options
def remind_render(session_code: str, folder: str, contact_phone: str | None, windows: TextIO | None, db: str,
                  policy_spec: str, centre_code: str, centre_name: str) -> None:
    """Write an agency's notice for a day (HTML, text, PDF, SMS, phone script) and the session's blank form."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses

    # WeasyPrint loads only for the commands that print.
    from tenderguard.notices.documents import (  # noqa: PLC0415
        build_notice,
        render_declaration_form,
        render_notice_pdf,
    )
    from tenderguard.policy import DeclarationStep  # noqa: PLC0415 - each command imports what it uses

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        gate = _gate(store, policy_spec)
        session = gate.session(session_code)
        if session.agency is None:
            raise click.ClickException(f"session {session_code} has no agency to remind")
        day = session.day(gate.centre)
        [group] = [g for g in gate.reminder_groups(1, start=day) if g.agency.code == session.agency]
        planned = _windows_from(windows)
        mine = {s.code: planned[s.code] for s in group.sessions if s.code in planned} if planned else None
        notice = build_notice(group, policy=gate.policy, centre=gate.centre, contact_phone=contact_phone,
                              windows=mine)
        files = {"notice.html": notice.html, "notice.txt": notice.text, "phone-script.txt": notice.phone_script,
                 "sms.txt": "\n\n".join(f"[{i}/{notice.sms.count}] {part}"
                                         for i, part in enumerate(notice.sms.parts, start=1))}
        for name, text in files.items():
            (out / name).write_text(text + "\n", encoding="utf-8")
        render_notice_pdf(notice, out / "notice.pdf", policy=gate.policy, centre=gate.centre,
                          contact_phone=contact_phone, windows=mine)
        written = [*files, "notice.pdf"]
        if any(isinstance(s, DeclarationStep) for s in gate.policy.steps):
            for s in group.sessions:
                render_declaration_form(gate.policy, s, out / f"declaration-form-{s.code}.pdf", centre=gate.centre)
                written.append(f"declaration-form-{s.code}.pdf")
    for warning in notice.sms.warnings:
        click.echo(f"warning: SMS: {warning}", err=True)
    click.echo(f"{group.agency.name} {day}: {', '.join(written)} in {out}")


@remind.command("send")
@click.option("--days", type=int, default=2, show_default=True, help="Queue the notices of the next days first.")
@click.option("--contact-phone", default=None, help="The centre's phone for questions (printed on the notice).")
@_WINDOWS_OPTION
@_db_option
@_policy_option
@_centre_options
def remind_send(days: int, contact_phone: str | None, windows: TextIO | None, db: str, policy_spec: str,
                centre_code: str, centre_name: str) -> None:
    """Queue and email the agencies' notices over SMTP (settings from TENDERGUARD_SMTP_*); retries what failed."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.notices.mail import SmtpSettings  # noqa: PLC0415 - WeasyPrint loads only to print
    from tenderguard.notices.sending import notice_sender  # noqa: PLC0415

    settings = SmtpSettings.from_env()
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        gate = _gate(store, policy_spec)
        queued, no_address = gate.queue_notices(days)
        sender = notice_sender(settings, policy=gate.policy, centre=gate.centre, contact_phone=contact_phone,
                               windows=_windows_from(windows))
        counts = gate.send_notices(sender)
    click.echo(f"queued {len(queued)}; sent {counts['sent']}, to retry {counts['retry']}, failed {counts['failed']}")
    for g in no_address:
        click.echo(f"no email address: call {g.agency.name} about {g.day} instead", err=True)
    if counts["failed"]:
        click.echo("see `tenderguard remind outbox` for the failed notices", err=True)


@remind.command("outbox")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per notice.")
@_db_option
@_centre_options
def remind_outbox(as_json: bool, db: str, centre_code: str, centre_name: str) -> None:
    """Every queued notice and its status; 'sending' after a crash: check the mail log for its Message-ID."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        items = _gate(store, "badge-only").outbox()
    for i in items:
        row = {"key": i.key, "status": str(i.status), "recipient": i.recipient, "attempts": i.attempts,
               "message_id": i.message_id, "last_error": i.last_error}
        click.echo(json.dumps(row, ensure_ascii=False) if as_json else
                   f"{i.key}\t{i.status}\t{i.attempts}\t{i.last_error or ''}")


@remind.command("requeue")
@click.argument("key")
@click.option("--operator", required=True, help="Who requeues it (audited).")
@_db_option
@_centre_options
def remind_requeue(key: str, operator: str, db: str, centre_code: str, centre_name: str) -> None:
    """Queue a failed or stuck notice again (never one already sent)."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        item = _gate(store, "badge-only").requeue_notice(key, operator=operator)
    click.echo(f"requeued {item.key} for {item.recipient}")


@cli.command()
@click.option("--out", type=click.Path(file_okay=False), default="demo-output", show_default=True,
              help="Where to write the demo day's database and files (replaced on each run).")
def demo(out: str) -> None:
    """Run the demo bid-opening day on a fresh SQLite database and print where every file went."""
    from rich.console import Console  # noqa: PLC0415 - each command imports what it uses

    from tenderguard.demo import print_summary, run_demo  # noqa: PLC0415 - only this command needs it

    console = Console()
    started = time.perf_counter()
    with console.status("demo day") as status:
        result = run_demo(Path(out), progress=status.update)
    print_summary(result, console, seconds=time.perf_counter() - started)


@cli.command()
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="The day (default today).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "csv", "xlsx"]), default="pdf", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="The file to write.")
@_db_option
@_policy_option
@_centre_options
def report(day: dt.datetime | None, fmt: str, out: str, db: str, policy_spec: str, centre_code: str,
           centre_name: str) -> None:
    """The daily report (日报): arrivals, outcomes by reason, badges, supplies, desks, hours — counts only."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.reports.daily import (  # noqa: PLC0415 - WeasyPrint loads on demand
        write_report_csv,
        write_report_pdf,
        write_report_xlsx,
    )

    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        when = day.date() if day else _now().date()
        daily, problems = _gate(store, policy_spec).daily_report(when)
    writer = {"pdf": write_report_pdf, "csv": write_report_csv, "xlsx": write_report_xlsx}[fmt]
    writer(daily, Path(out))
    totals = daily.totals
    click.echo(f"{when}: {totals.arrivals} arrivals, {totals.admitted} admitted → {out}")
    for problem in problems:
        click.echo(f"warning: report and audit trail differ: {problem}", err=True)
    if problems:
        sys.exit(EXIT_AUDIT_BROKEN)


@cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@_db_option
@_centre_options
def import_day(path: str, db: str, centre_code: str, centre_name: str) -> None:
    """Import a day's sessions and agencies from CSV or XLSX: every bad row reported, nothing half-imported."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.imports import read_day_plan  # noqa: PLC0415 - each command imports what it uses
    centre = Centre(code=centre_code, name=centre_name)
    plan = read_day_plan(path, centre)
    with _store(db, centre, create=True) as store:
        agencies, sessions = _gate(store, "badge-only").register_day(plan.agencies, plan.sessions)
    click.echo(f"{len(plan.sessions)} session(s) of {agencies} agencies read; {sessions} newly registered")
    for code, (low, high) in plan.expected.items():
        click.echo(f"  {code}: expected {low}-{high} (for `remind slots --expected {code}={low}-{high}`)")


@cli.group()
def notify() -> None:
    """Notifications after the day: who is told about a refusal."""


@notify.command("refusals")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="The day (default today).")
@click.option("--out", "folder", type=click.Path(file_okay=False), required=True, help="The folder to write to.")
@click.option("--operator", default="system", show_default=True, help="Who produces them (audited).")
@_db_option
@_policy_option
@_centre_options
def notify_refusals(day: dt.datetime | None, folder: str, operator: str, db: str, policy_spec: str,
                    centre_code: str, centre_name: str) -> None:
    """Write the letters about the day's refusals: to the company, the community (per policy) and the agency."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.records.files import write_private_text  # noqa: PLC0415 - each command imports what it uses
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        gate = _gate(store, policy_spec)
        when = day.date() if day else _now().date()
        found = gate.refusal_notices(when, operator=operator)
    for notice in found:
        for letter in notice.letters:
            write_private_text(out / letter.filename, letter.text)
    letters = sum(len(n.letters) for n in found)
    click.echo(f"{len(found)} refusal(s) to notify on {when}: {letters} letter(s) in {out}")


@cli.group()
def keys() -> None:
    """The centre's keys: the ID-hash key and the badge-signing key pair."""


@keys.command("init")
@click.option("--keys", "--dir", "keys", envvar="TENDERGUARD_KEYS", default=DEFAULT_KEYS_DIR, show_default=True,
              type=click.Path(file_okay=False), help="The key folder [env TENDERGUARD_KEYS; keys = in the config].")
def keys_init(keys: str) -> None:
    """Create the keys that are missing (never replaces one); private files are readable by their owner only."""
    from tenderguard.keys import init_keys  # noqa: PLC0415 - each command imports what it uses
    folder = keys
    made = init_keys(folder)
    for name in made.created:
        click.echo(f"created {Path(folder) / name}")
    if not made.created:
        click.echo(f"all keys already exist in {folder}; nothing changed")
    click.echo(f"give scanners the public key: {made.public_key}")


@cli.group()
def badge() -> None:
    """Verify, revoke, reprint and list the day's health badges."""


@badge.command("verify")
@click.argument("code")
@click.option("--public-key", type=click.Path(dir_okay=False), default=None,
              help="The centre's public key file [default: badge-signing.pub in --keys].")
@_keys_option
@click.option("--centre-code", default="MY", show_default=True, help="This centre's code.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Today (default: now).")
@click.option("--revocations", type=click.File("r", encoding="utf-8"), default=None,
              help="The day's signed revocation list (offline); without it revocations are not checked.")
@click.option("--db", default=None, envvar="TENDERGUARD_DB", metavar="URL",
              help="Check revocations and reprints in the database instead (online).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def badge_verify(code: str, public_key: str | None, keys: str, centre_code: str, day: dt.datetime | None,
                 revocations: TextIO | None, db: str | None, as_json: bool) -> None:
    """Verify a scanned badge code; exit 0 only when it is valid (5 when it is not)."""
    from tenderguard.domain.badge_code import Revocations, describe, verify_code  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.keys import PUBLIC_KEY_FILE, load_public_key  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.services import Gate  # noqa: PLC0415 - each command imports what it uses
    key = load_public_key(public_key or Path(keys) / PUBLIC_KEY_FILE)
    today = day.date() if day else _now().date()
    centre = Centre(code=centre_code, name=centre_code)
    if db is not None:
        with _store(db, centre) as store:
            gate = Gate(policy=load_policy("badge-only"), centre=centre, uow_factory=store.unit_of_work)
            verdict = gate.verify_badge(code, key, today=today)
    else:
        listed = Revocations.from_json(revocations.read(), key) if revocations else None
        if listed is not None and (listed.centre, listed.day) != (centre_code, today):
            raise click.ClickException(f"the revocation list is for {listed.centre} on {listed.day}, not "
                                       f"{centre_code} on {today}")
        verdict = verify_code(code, key, centre=centre_code, today=today, revocations=listed)
    click.echo(json.dumps(describe(verdict), ensure_ascii=False) if as_json else str(verdict))
    if not verdict.valid:
        sys.exit(EXIT_BADGE_INVALID)


def _badge_change(db: str, centre_code: str, centre_name: str, serial: str, reason: str, operator: str,
                  change: str) -> Badge:
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.services import Gate  # noqa: PLC0415 - each command imports what it uses
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        gate = Gate(policy=load_policy("badge-only"), centre=store.centre, uow_factory=store.unit_of_work)
        if change == "revoke":
            return gate.revoke_badge(serial, reason=reason, operator=operator)
        return gate.reprint_badge(serial, reason=reason, operator=operator)


@badge.command("revoke")
@click.argument("serial")
@click.option("--reason", required=True, help="Why (遗失 lost, 认错人 wrong person…); recorded.")
@click.option("--operator", required=True, help="Who revokes it; recorded.")
@_db_option
@_centre_options
def badge_revoke(serial: str, reason: str, operator: str, db: str, centre_code: str, centre_name: str) -> None:
    """Revoke a badge: scanners refuse it and its holder's place is given up (audited)."""
    _badge_change(db, centre_code, centre_name, serial, reason, operator, "revoke")
    click.echo(f"revoked {serial}: {reason}")


@badge.command("reprint")
@click.argument("serial")
@click.option("--reason", required=True, help="Why it is printed again; recorded.")
@click.option("--operator", required=True, help="Who reprints it; recorded.")
@_db_option
@_centre_options
def badge_reprint(serial: str, reason: str, operator: str, db: str, centre_code: str, centre_name: str) -> None:
    """Reprint a badge: same serial, next print number; earlier prints stop verifying (audited)."""
    badge = _badge_change(db, centre_code, centre_name, serial, reason, operator, "reprint")
    click.echo(f"{serial}: print {badge.reprints} (earlier prints are no longer valid)")


@badge.command("list")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), required=True, help="The day (YYYY-MM-DD).")
@_db_option
@_centre_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def badge_list(day: dt.datetime, db: str, centre_code: str, centre_name: str, as_json: bool) -> None:
    """List a day's badges (holders masked)."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    with _store(db, Centre(code=centre_code, name=centre_name)) as store, store.unit_of_work() as uow:
        found = uow.badges.for_day(day.date())
    for b in found:
        row = {"serial": b.serial, "status": str(b.status), "reprints": b.reprints, "role": str(b.role),
               "company": b.company, "holder": b.holder_masked, "session": b.session, "hall": b.hall}
        click.echo(json.dumps(row, ensure_ascii=False) if as_json else
                   f"{b.serial}\t{b.status}\t{b.holder_masked}\t{b.company or '-'}\tprint {b.reprints}")


@badge.command("print")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="The day (default today).")
@click.option("--layout", type=click.Choice(["a4-8", "card", "label"]), default="a4-8", show_default=True,
              help="a4-8: A4 sheets of 8 cards with crop marks; card: one 85×54 mm card per page; label: 100×70 mm.")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="The PDF to write.")
@click.option("--serial", "serials", multiple=True, help="Only these badges (repeat the option); default all.")
@click.option("--operator", default="system", show_default=True, help="Who prints (audited).")
@_db_option
@_keys_option
@_policy_option
@_centre_options
def badge_print(day: dt.datetime | None, layout: str, out: str, serials: tuple[str, ...], operator: str, db: str,
                keys: str, policy_spec: str, centre_code: str, centre_name: str) -> None:
    """Print the day's badges as a PDF (day colour, masked holder, signed QR), with a progress bar."""
    from rich.console import Console  # noqa: PLC0415 - each command imports what it uses
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: PLC0415 - each command imports what it uses

    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.keys import load_signing_key  # noqa: PLC0415 - each command imports what it uses
    key = load_signing_key(keys)
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        gate = _gate(store, policy_spec)
        when = day.date() if day else _now().date()
        with Progress(TextColumn("[bold]badges[/bold]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("badges", total=None)
            result = gate.print_badges(when, key, out, layout=layout, serials=serials or None, operator=operator,
                                       progress=lambda done, total: bar.update(task, completed=done, total=total))
    click.echo(f"{result.badges} badge(s) of {when} on {result.pages} page(s), {result.bytes:,} bytes: {result.path}")


@badge.command("code")
@click.argument("serial")
@_db_option
@_keys_option
@_centre_options
def badge_code(serial: str, db: str, keys: str, centre_code: str, centre_name: str) -> None:
    """Print the signed QR text of a badge's current print (what its QR code carries)."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.keys import load_signing_key  # noqa: PLC0415 - each command imports what it uses
    key = load_signing_key(keys)
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        gate = _gate(store, "badge-only")
        click.echo(gate.badge_code(gate.badge(serial), key))


@badge.command("revocations")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), required=True, help="The day (YYYY-MM-DD).")
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-", help="Where to write the list.")
@_db_option
@_keys_option
@_centre_options
def badge_revocations(day: dt.datetime, out: TextIO, db: str, keys: str, centre_code: str,
                      centre_name: str) -> None:
    """Write the day's revocation list, signed, for scanners that verify offline."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.keys import load_signing_key  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.services import Gate  # noqa: PLC0415 - each command imports what it uses
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        gate = Gate(policy=load_policy("badge-only"), centre=store.centre, uow_factory=store.unit_of_work)
        listed = gate.revocations(day.date())
    out.write(listed.to_json(load_signing_key(keys)) + "\n")


@cli.command()
@click.option("--preset", default=None, help="A built-in preset name.")
@click.option("--policy", "policy_file", default=None, type=click.Path(dir_okay=False),
              help="A policy TOML file.")
def diagram(preset: str | None, policy_file: str | None) -> None:
    """Print the screening state machine of a policy as a Mermaid diagram."""
    from tenderguard.domain.machine import ScreeningMachine  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    if preset and policy_file:
        raise click.UsageError("give --preset or --policy, not both")
    policy = load_policy(policy_file or preset or "miyun-2020")
    click.echo(ScreeningMachine(policy).mermaid())


@cli.group()
def policy() -> None:
    """List, show and check screening policies."""


@policy.command("list")
def policy_list() -> None:
    """List the built-in presets."""
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    for name in list_presets():
        click.echo(f"{name}\t{load_policy(name).title}")


def _policy_dict(p: Policy) -> dict[str, Any]:
    def convert(_inst: Any, _field: Any, value: Any) -> Any:
        return value

    data = attrs.asdict(p, value_serializer=convert)
    data["steps"] = [{"kind": s.kind, **attrs.asdict(s)} for s in p.steps]
    data["quotas"] = {str(k): v for k, v in p.quotas.items()}
    return data


@policy.command("show")
@click.argument("spec")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def policy_show(spec: str, as_json: bool) -> None:
    """Show a policy (preset name or TOML file): its steps, quotas and retention."""
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    p = load_policy(spec)
    if as_json:
        click.echo(json.dumps(_policy_dict(p), ensure_ascii=False, indent=2))
        return
    click.echo(f"{p.name} — {p.title}")
    for i, step in enumerate(p.steps, start=1):
        click.echo(f"  {i}. {step.label} [{step.kind}:{step.id}]")
    quotas = ", ".join(f"{r}≤{n}" for r, n in p.quotas.items() if n is not None)
    click.echo(f"  quotas per organisation per day: {quotas}")
    click.echo(f"  questions: {len(p.questions)}; re-entry repeats: {', '.join(p.reentry.steps) or 'nothing'}")
    click.echo(f"  retention: health data {p.retention.health_data_days} days, "
               f"attendance {p.retention.attendance_days} days")


@policy.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
def policy_check(path: str) -> None:
    """Check a policy file; print every problem by key path."""
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    p = load_policy(path)
    click.echo(f"ok: {p.name} ({len(p.steps)} steps)")


@cli.command("id")
@click.argument("number")
@click.option("--kind", default=None, help="Document kind (resident_id, hmt_residence_permit, passport, other).")
def identity_check(number: str, kind: str | None) -> None:
    """Validate an identity document number and show it masked."""
    from tenderguard.identity import parse_document  # noqa: PLC0415 - each command imports what it uses
    doc = parse_document(number, kind)
    born = f", born {doc.birth_date}" if doc.birth_date else ""
    click.echo(f"valid {doc.kind}: {doc.masked()}{born}")


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
        raise click.UsageError("--unmasked needs --operator NAME: the supervisor who reads the signals")
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
        click.echo(f"{v.id}\t{v.raised_at:%H:%M}\t{v.status}\t{v.text}\t场次 {v.session or '-'}\t"
                   f"{'、'.join(v.people)}\t{'、'.join(v.companies)}{decided}")
    if not found and not as_json:
        click.echo("no signal")


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
    click.echo(f"signal {signal.id}: {signal.status} by {signal.decided_by}")


def _register_desk() -> None:
    from tenderguard.desk.command import desk_command  # noqa: PLC0415 - the desk imports this module's helpers

    cli.add_command(desk_command)


_register_desk()


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    """Entry point of the ``tenderguard`` console script.

    SIGTERM and SIGHUP end a command as an error would: what it was writing is dropped (nothing half-written
    stays on disk) and its temporary files are removed.
    """
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _exit_on_signal)
    cli(prog_name="tenderguard")


if __name__ == "__main__":
    main()
