"""The centre's keys and the day's badges: verify, revoke, reprint, list, print, codes, revocation lists."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from tenderguard.i18n import N_, _, format_date, ngettext
from tenderguard.keys import DEFAULT_KEYS_DIR

if TYPE_CHECKING:

    from tenderguard.domain.badge_code import Revocations
    from tenderguard.domain.model import Badge

from tenderguard.cli.common import (
    EXIT_BADGE_INVALID,
    EXIT_UNPRINTABLE,
    Failure,
    _centre_options,
    _db_option,
    _gate,
    _keys_option,
    _now,
    _policy_option,
    _store,
    cli,
)

__all__ = [
    "badge",
    "badge_code",
    "badge_list",
    "badge_print",
    "badge_reprint",
    "badge_revocations",
    "badge_revoke",
    "badge_verify",
    "keys",
    "keys_init",
]


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
        click.echo(_("created {number}", number=Path(folder) / name))
    if not made.created:
        click.echo(_("all keys already exist in {folder}; nothing changed", folder=folder))
    click.echo(_("give scanners the public key: {public_key}", public_key=made.public_key))


@cli.group()
def badge() -> None:
    """Verify, revoke, reprint and list the day's health badges."""


#: The file beside the keys where an offline scanner remembers the newest revocation list seen per centre and day.
SEEN_LISTS_FILE = "seen-revocations.json"


@contextmanager
def _folder_locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on a folder, so two scanners sharing it cannot lose each other's newer list."""
    import fcntl  # noqa: PLC0415 - each command imports what it uses

    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise Failure(_("--seen-lists: cannot open the folder {folder}: {strerror} (create it, or give "
                                     "--seen-lists FILE where this scanner may keep the newest list seen)",
                                     folder=folder, strerror=exc.strerror)) from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _remember(listed: Revocations, path: Path) -> None:
    """Accept ``listed`` only if it is not older than the newest list of its centre and day seen in ``path``."""
    from tenderguard.domain.badge_code import SeenLists  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.errors import InvalidInputError  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.records.files import write_private_text  # noqa: PLC0415 - each command imports what it uses

    with _folder_locked(path.parent):
        try:
            seen = SeenLists.from_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            seen = SeenLists()
        except OSError as exc:
            raise Failure(_("--seen-lists: cannot read {path}: {strerror}", path=path,
                                         strerror=exc.strerror)) from None
        now_seen = seen.admit(listed)
        if now_seen != seen:
            try:
                write_private_text(path, now_seen.to_json())
            except InvalidInputError as exc:  # named after --out there; here it is --seen-lists
                raise Failure(_("--seen-lists: {problem}", problem=str(exc))) from None


@badge.command("verify")
@click.argument("code")
@click.option("--public-key", type=click.Path(dir_okay=False), default=None,
              help="The centre's public key file [default: badge-signing.pub in --keys].")
@_keys_option
@click.option("--centre-code", default="MY", show_default=True, help="This centre's code.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Today (default: now).")
@click.option("--revocations", type=click.File("r", encoding="utf-8"), default=None,
              help="The day's signed revocation list (offline); without it revocations are not checked. A list "
                   "older than one already seen for the centre and day is refused.")
@click.option("--seen-lists", type=click.Path(dir_okay=False), default=None,
              help=f"Where this scanner remembers the newest revocation list seen (mode 0600) "
                   f"[default: {SEEN_LISTS_FILE} in --keys].")
@click.option("--db", default=None, envvar="TENDERGUARD_DB", metavar="URL",
              help="Check revocations and reprints in the database instead (online).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def badge_verify(code: str, public_key: str | None, keys: str, centre_code: str, day: dt.datetime | None,
                 revocations: TextIO | None, seen_lists: str | None, db: str | None, as_json: bool) -> None:
    """Verify a scanned badge code; exit 0 only when it is valid (5 when it is not).

    With --revocations the verdict comes with the list's number and age, and a list older than the newest one
    this scanner has seen for the centre and day is refused (exit 1).
    """
    from tenderguard.domain.badge_code import (  # noqa: PLC0415 - each command imports what it uses
        Revocations,
        describe,
        describe_revocations,
        verify_code,
    )
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.keys import PUBLIC_KEY_FILE, load_public_key  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.services import Gate  # noqa: PLC0415 - each command imports what it uses
    key = load_public_key(public_key or Path(keys) / PUBLIC_KEY_FILE)
    now = _now()
    today = day.date() if day else now.date()
    centre = Centre(code=centre_code, name=centre_code)
    listed: Revocations | None = None
    if db is not None:
        with _store(db, centre) as store:
            gate = Gate(policy=load_policy("badge-only"), centre=store.centre, uow_factory=store.unit_of_work)
            verdict = gate.verify_badge(code, key, today=today)
    else:
        listed = Revocations.from_json(revocations.read(), key) if revocations else None
        if listed is not None:
            if (listed.centre, listed.day) != (centre_code, today):
                raise Failure(_("the revocation list is for {centre} on {day}, not {centre_code} on "
                                             "{today}", centre=listed.centre, day=listed.day, centre_code=centre_code,
                                             today=today))
            _remember(listed, Path(seen_lists) if seen_lists else Path(keys) / SEEN_LISTS_FILE)
        verdict = verify_code(code, key, centre=centre_code, today=today, revocations=listed)
    if as_json:
        click.echo(json.dumps(describe(verdict) | describe_revocations(listed, now), ensure_ascii=False))
    else:
        click.echo(str(verdict))
        if listed is not None:
            click.echo(listed.freshness(now))
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
    click.echo(_("revoked {serial}: {reason}", serial=serial, reason=reason))


@badge.command("reprint")
@click.argument("serial")
@click.option("--reason", required=True, help="Why it is printed again; recorded.")
@click.option("--operator", required=True, help="Who reprints it; recorded.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Also write the reprinted badge's card (one 85×54 mm card, as `badge print --layout card`).")
@_db_option
@_keys_option
@_centre_options
def badge_reprint(serial: str, reason: str, operator: str, out: str | None, db: str, keys: str, centre_code: str,
                  centre_name: str) -> None:
    """Reprint a badge: same serial, next print number; earlier prints stop verifying (audited).

    With --out the new print's card is written too (signed with the key in --keys), so the desk prints it at once.
    """
    if out is None:
        badge = _badge_change(db, centre_code, centre_name, serial, reason, operator, "reprint")
        click.echo(_("{serial}: print {reprints} (earlier prints are no longer valid)", serial=serial,
                     reprints=badge.reprints))
        return
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.keys import load_signing_key  # noqa: PLC0415 - each command imports what it uses
    key = load_signing_key(keys)  # a missing or unsafe key stops the command before anything changes
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        gate = _gate(store, "badge-only")
        badge = gate.reprint_badge(serial, reason=reason, operator=operator)
        click.echo(_("{serial}: print {reprints} (earlier prints are no longer valid)", serial=serial,
                     reprints=badge.reprints))
        run = gate.print_badges(badge.day, key, out, layout="card", serials=[serial], operator=operator)
    if run.result is not None:
        click.echo(_("card of {serial} (reprint {reprints}), {bytes:,} bytes: {path}", serial=serial,
                     reprints=badge.reprints, bytes=run.result.bytes, path=run.result.path))
    for left in run.unprintable:
        click.echo(_("{serial} not printed: {reason}", serial=left.serial, reason=left.reason), err=True)
    if run.unprintable:
        sys.exit(EXIT_UNPRINTABLE)


#: The columns of `badge list`, as the office calls them.
_REPRINTS = N_("reprint")
BADGE_COLUMNS = (N_("serial"), N_("session"), N_("hall"), N_("role"), N_("company"), N_("holder"), N_("status"),
                 _REPRINTS)

_BADGE_STATUS = {"active": N_("valid"), "revoked": N_("revoked")}
#: Columns of codes and short words, never broken across lines.
_CODES = (N_("serial"), N_("session"), N_("status"), _REPRINTS)


@badge.command("list")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="The day (default today).")
@_db_option
@_centre_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output, one JSON object per badge.")
def badge_list(day: dt.datetime | None, db: str, centre_code: str, centre_name: str, as_json: bool) -> None:
    """List a day's badges as a table (holders masked): serial, session, hall, role, company, status, reprints."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    when = day.date() if day else _now().date()
    with _store(db, Centre(code=centre_code, name=centre_name)) as store, store.unit_of_work() as uow:
        found = uow.badges.for_day(when)
    if as_json:
        for b in found:
            row = {"serial": b.serial, "status": str(b.status), "reprints": b.reprints, "role": str(b.role),
                   "company": b.company, "holder": b.holder_masked, "session": b.session, "hall": b.hall}
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not found:
        click.echo(_("no badge on {day}", day=format_date(when)))
        return
    from rich.console import Console  # noqa: PLC0415 - each command imports what it uses
    from rich.table import Table  # noqa: PLC0415 - each command imports what it uses
    from rich.text import Text  # noqa: PLC0415 - each command imports what it uses

    from tenderguard.domain.catalogue import role_label  # noqa: PLC0415 - each command imports what it uses
    table = Table(title=ngettext("{n} health badge on {day}", "{n} health badges on {day}", len(found),
                                 day=format_date(when)))
    for column in BADGE_COLUMNS:  # headers are never cut; long names fold onto a second line in a narrow terminal
        name = _(column)
        table.add_column(name, min_width=2 * len(name), overflow="fold", no_wrap=column in _CODES,
                         justify="right" if column == _REPRINTS else "left")
    for b in found:
        table.add_row(*map(Text, (b.serial, b.session, b.hall, role_label(b.role), b.company or "-", b.holder_masked,
                                  _(_BADGE_STATUS[str(b.status)]) if str(b.status) in _BADGE_STATUS else str(b.status),
                                  str(b.reprints) if b.reprints else "")))  # names as written, never markup
    console = Console()
    # Into a file or a pipe every badge stays on one line, whatever width the terminal would have had.
    (console if console.is_terminal else Console(width=_UNWRAPPED)).print(table)


#: Wide enough for any row of `badge list` written to a file or a pipe.
_UNWRAPPED = 400


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
        console = Console(stderr=True)
        # Off a terminal the bar shows nothing but would leave an empty line before an error's one line.
        with Progress(TextColumn("[bold]badges[/bold]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True, disable=not console.is_terminal) as bar:
            task = bar.add_task("badges", total=None)
            run = gate.print_badges(when, key, out, layout=layout, serials=serials or None, operator=operator,
                                    progress=lambda done, total: bar.update(task, completed=done, total=total))
    result = run.result
    if result is not None:
        click.echo(_("{badges} badge(s) of {when} on {pages} page(s), {bytes:,} bytes: {path}", badges=result.badges,
                     when=format_date(when), pages=result.pages, bytes=result.bytes, path=result.path))
    if run.unprintable:
        click.echo(_("{count} badge(s) not printed:", count=len(run.unprintable)), err=True)
        for left in run.unprintable:
            click.echo(f"  {left.serial}: {left.reason}", err=True)
        sys.exit(EXIT_UNPRINTABLE)


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
    """Write the day's revocation list, signed and numbered, for scanners that verify offline.

    Its number counts the day's revocations and reprints so far, so a scanner that has seen it refuses any
    earlier list of the day.
    """
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.keys import load_signing_key  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.policy import load_policy  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.services import Gate  # noqa: PLC0415 - each command imports what it uses
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        gate = Gate(policy=load_policy("badge-only"), centre=store.centre, uow_factory=store.unit_of_work)
        listed = gate.revocations(day.date())
    out.write(listed.to_json(load_signing_key(keys)) + "\n")
    click.echo(_("revocation list #{sequence} of {centre} on {day}, signed {time}: {revoked} revoked, {reprinted} "
                 "reprinted", sequence=listed.sequence, centre=listed.centre, day=format_date(listed.day),
                 time=f"{listed.signed_at:%H:%M}", revoked=len(listed.revoked), reprinted=len(listed.reprints)),
               err=True)
