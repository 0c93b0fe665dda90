"""The day's commands: screen a batch, import a day, run the demo, the report, exports, the purge, refusal letters."""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from tenderguard.i18n import _, format_date

if TYPE_CHECKING:

    pass

from tenderguard.cli.common import (
    EXIT_AUDIT_BROKEN,
    EXIT_INVALID_LINES,
    Failure,
    _centre_options,
    _db_option,
    _gate,
    _keys_option,
    _now,
    _policy_option,
    _secret,
    _store,
    cli,
)

__all__ = ["demo", "export", "import_day", "notify", "notify_refusals", "purge", "report", "screen"]


@cli.command()
@click.option("--batch", "batch", type=click.File("r", encoding="utf-8", errors="surrogateescape"), required=True,
              help="A JSON-lines file, one arrival per line ('-' for standard input).")
@_policy_option
@_db_option
@_keys_option
@_centre_options
@click.option("--desk", default="batch", show_default=True, help="The desk the records are replayed at.")
@click.option("--operator", default="batch", show_default=True, help="The operator recorded on each step.")
@click.option("--register-sessions", is_flag=True,
              help="Register a session the batch names but the database does not have (otherwise: unknown_session).")
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="Where to write the results (default: standard output; a file is readable by its owner only).")
def screen(batch: TextIO, policy_spec: str, db: str, keys: str, centre_code: str, centre_name: str, desk: str,
           operator: str, register_sessions: bool, out: str) -> None:
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
                                register_sessions=register_sessions,
                                warn=lambda msg: click.echo(_("warning: {msg}", msg=msg), err=True)):
            invalid += result.get("outcome") == "invalid"
            line = json.dumps(result, ensure_ascii=False)
            # U+2028/U+2029 are line breaks to many readers: escaped, one result stays one line.
            results.write(line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n")
            results.flush()
    if invalid:
        click.echo(_("{invalid} invalid line(s); see the 'message' of each", invalid=invalid), err=True)
        sys.exit(EXIT_INVALID_LINES)


@contextmanager
def _output(out: str, name: str) -> Iterator[Path]:
    """Where a command writes its file: ``out`` itself, or for ``-`` a private scratch file sent to standard output."""
    if out != "-":
        yield Path(out)
        return
    with tempfile.TemporaryDirectory(prefix="tenderguard-") as folder:
        target = Path(folder) / name
        yield target
        sys.stdout.buffer.write(target.read_bytes())
        sys.stdout.flush()


@contextmanager
def _results_file(out: str) -> Iterator[TextIO]:
    """Standard output for ``-``; otherwise the file, readable by its owner only (results name people).

    The file appears when the batch ends; a run stopped half-way (a full disk) leaves the file as it was, and
    running the batch again reports every line, the finished ones from the database.
    """
    if out == "-":
        yield sys.stdout
        return
    from tenderguard.records.files import private_lines  # noqa: PLC0415 - each command imports what it uses
    with private_lines(out) as handle:
        yield handle


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
    from tenderguard.records.retention import check_purge_day  # noqa: PLC0415 - each command imports what it uses
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        gate = _gate(store, policy_spec)
        if today is not None:
            check_purge_day(today.date(), _now().date(), gate.policy.retention.attendance_days)
        report = gate.purge(today=today.date() if today else None, dry_run=dry_run, operator=operator)
    for line in report.lines():
        click.echo(line)
    if dry_run:
        click.echo(_("dry run: nothing was deleted"))


@cli.command()
@_db_option
@_policy_option
@_centre_options
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), required=True, help="The day (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True), required=True,
              help="The file to write ('-' for standard output).")
@click.option("--unmasked", is_flag=True, help="Full names (and ID numbers if the policy keeps them); audited.")
@click.option("--operator", default="system", show_default=True, help="Who asks for the export (audited).")
def export(db: str, policy_spec: str, centre_code: str, centre_name: str, day: dt.datetime, fmt: str, out: str,
           unmasked: bool, operator: str) -> None:
    """Export a day's screenings as CSV or XLSX, masked by default (every export is audited)."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    if unmasked and operator == "system":
        raise click.UsageError(_("an unmasked export needs --operator NAME: who asks for the personal data"))
    centre = Centre(code=centre_code, name=centre_name)
    with _store(db, centre) as store, _output(out, f"export.{fmt}") as target:
        rows = _gate(store, policy_spec).export(day.date(), str(target), fmt=fmt, unmasked=unmasked,
                                                operator=operator)
    written = _("{rows} screening(s) of {day} written to {out}", rows=rows, day=format_date(day.date()), out=out)
    click.echo(_("{line} (UNMASKED)", line=written) if unmasked else written, err=out == "-")


@cli.command()
@click.option("--out", type=click.Path(file_okay=False), default="demo-output", show_default=True,
              help="Where to write the demo day's database and files (replaced on each run).")
def demo(out: str) -> None:
    """Run the demo bid-opening day on a fresh SQLite database and print where every file went."""
    from rich.console import Console  # noqa: PLC0415 - each command imports what it uses

    from tenderguard.demo import print_summary, run_demo  # noqa: PLC0415 - only this command needs it

    console = Console()
    started = time.perf_counter()
    with console.status(_("demo day")) as status:
        result = run_demo(Path(out), progress=status.update)
    print_summary(result, console, seconds=time.perf_counter() - started)


@cli.command()
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="The day (default today).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "csv", "xlsx"]), default="pdf", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True), required=True,
              help="The file to write ('-' for standard output).")
@_db_option
@_policy_option
@_centre_options
def report(day: dt.datetime | None, fmt: str, out: str, db: str, policy_spec: str, centre_code: str,
           centre_name: str) -> None:
    """The daily report (日报): arrivals, outcomes by reason, badges, supplies, desks, hours — counts only."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.reports.writers import (  # noqa: PLC0415 - WeasyPrint loads on demand
        write_report_csv,
        write_report_pdf,
        write_report_xlsx,
    )

    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        when = day.date() if day else _now().date()
        daily, problems = _gate(store, policy_spec).daily_report(when)
    writer = {"pdf": write_report_pdf, "csv": write_report_csv, "xlsx": write_report_xlsx}[fmt]
    with _output(out, f"report.{fmt}") as target:
        writer(daily, target)
    totals = daily.totals
    click.echo(
        _(
            "{when}: {arrivals} arrivals, {admitted} admitted → {out}",
            when=format_date(when),
            arrivals=totals.arrivals,
            admitted=totals.admitted,
            out=out,
        ),
        err=out == "-",
    )
    for problem in problems:
        click.echo(_("warning: report and audit trail differ: {problem}", problem=problem), err=True)
    if problems:
        sys.exit(EXIT_AUDIT_BROKEN)


@cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False), required=False)
@click.option("--template", type=click.Path(dir_okay=False), default=None, metavar="FILE.xlsx",
              help="Write a blank sessions sheet (the Chinese headers and one example row of tomorrow that "
                   "imports as it is) and import nothing; an existing file is never replaced.")
@click.option("--problems-out", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Write every problem found to this CSV file (文件, 行, 列, 问题…; UTF-8 with BOM, which Excel and "
                   "WPS open as it is); written on every run, with no problems listed when the file is valid.")
@_policy_option
@_db_option
@_centre_options
def import_day(path: str | None, template: str | None, problems_out: str | None, policy_spec: str, db: str,
               centre_code: str, centre_name: str) -> None:
    """Import a day's sessions and agencies from CSV or XLSX: every bad row reported, nothing half-imported.

    CSV saved by Excel or WPS in any of its encodings (UTF-8, GBK/GB18030, "Unicode text") and with commas, tabs
    or semicolons is read as it is. Halls must be those of the policy's [halls] table when it has one. A
    refused file ends in one line showing the first 10 problems; --problems-out writes them all.
    """
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.imports import (  # noqa: PLC0415 - each command imports what it uses
        SHOWN,
        ImportFileError,
        ImportProblems,
        read_day_plan,
        write_problems,
    )
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.services import Gate  # noqa: PLC0415 - each command imports what it uses
    policy = load_policy(policy_spec)
    centre = Centre(code=centre_code, name=centre_name)
    if template is not None:
        from tenderguard.imports import write_template  # noqa: PLC0415 - each command imports what it uses
        if path is not None:
            raise click.UsageError(_("give a file to import or --template FILE, not both"))
        tomorrow = centre.day_of(_now()) + dt.timedelta(days=1)
        written = write_template(template, day=tomorrow, centre_code=centre_code,
                                 hall=next(iter(policy.hall_capacity), "第一开标室"))
        click.echo(_("template written: {written} (fill in one row per session, then `tenderguard import {written}`)",
                     written=written))
        return
    if path is None:
        raise click.UsageError(_("give the file to import (or --template FILE.xlsx for a blank sheet)"))
    try:
        plan = read_day_plan(path, centre, policy=policy)
    except (ImportProblems, ImportFileError) as exc:
        if problems_out is not None:
            write_problems(problems_out, exc.source, exc.problems)
            raise Failure(_("{error}; all {count} problems were written to {path}", error=exc,
                            count=len(exc.problems), path=problems_out)) from None
        if len(exc.problems) > SHOWN:
            raise Failure(_("{error}; import again with --problems-out problems.csv to get every problem",
                            error=exc)) from None
        raise
    if problems_out is not None:
        write_problems(problems_out, path, [])
    with _store(db, centre, create=True) as store:
        gate = Gate(policy=policy, centre=centre, uow_factory=store.unit_of_work)
        agencies, sessions = gate.register_day(plan.agencies, plan.sessions)
    click.echo(_("{length} session(s) of {agencies} agencies read; {sessions} newly registered",
                 length=len(plan.sessions), agencies=agencies, sessions=sessions))
    for code, (low, high) in plan.expected.items():
        click.echo(_("  {code}: expected {low}-{high} (for `remind slots --expected {code}={low}-{high}`)", code=code,
                     low=low, high=high))


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
    """Write the letters about the day's refusals, as text and PDF: to the company, the community, the agency.

    The community is written to when the policy says so and the desk recorded where the person lives; one line
    names each refusal whose community letter could not be written for want of a residence.
    """
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.notices.letter_pdf import write_refusal_letters  # noqa: PLC0415 - each command imports what it uses
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        gate = _gate(store, policy_spec)
        when = day.date() if day else _now().date()
        found = gate.refusal_notices(when, operator=operator)
    for notice in found:
        write_refusal_letters(notice, out)
        if notice.community_missing:
            click.echo(_("{reference} (session {session}, {holder}): no residential street or community was "
                         "recorded, so no community notice was written", reference=notice.reference,
                         session=notice.session, holder=notice.holder))
    letters = sum(len(n.letters) for n in found)
    click.echo(_("{length} refusal(s) to notify on {when}: {letters} letter(s) in {out}", length=len(found),
                 when=format_date(when),
                 letters=letters, out=out))
