"""The opening record's command: the bidder sign-in sheet (投标人签到表) of a session, as PDF or XLSX."""

from __future__ import annotations

from pathlib import Path

import click

from tenderguard.cli.common import _centre_options, _db_option, _gate, _policy_option, _store, cli
from tenderguard.i18n import _

__all__ = ["signin_sheet"]

#: The formats, by the extension of ``--out``.
_FORMATS = (".pdf", ".xlsx")


@cli.command("signin-sheet")
@click.option("--session", "session_code", required=True, metavar="CODE", help="The session's code.")
@click.option("--out", type=click.Path(dir_okay=False), required=True, metavar="FILE.pdf|FILE.xlsx",
              help="The file to write, PDF or XLSX by its extension (readable by its owner only).")
@click.option("--operator", default="system", show_default=True, help="Who makes the sheet (audited).")
@_db_option
@_policy_option
@_centre_options
def signin_sheet(session_code: str, out: str, operator: str, db: str, policy_spec: str, centre_code: str,
                 centre_name: str) -> None:
    """The bidder sign-in sheet of a session (masked names, badge serials), once the session has opened."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.errors import InvalidInputError  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.records.files import checked_target  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.reports.signin_writers import (  # noqa: PLC0415 - WeasyPrint loads on demand
        write_signin_pdf,
        write_signin_xlsx,
    )

    target = Path(out)
    kind = target.suffix.lower()
    if kind not in _FORMATS:
        raise InvalidInputError("out", _("{out} is neither .pdf nor .xlsx", out=out), hint=_("e.g. --out signin.pdf"))
    checked_target(target)  # a wrong --out is told before the sheet is made (and audited)
    with _store(db, Centre(code=centre_code, name=centre_name)) as store:
        sheet = _gate(store, policy_spec).signin_sheet(session_code, operator=operator)
    (write_signin_pdf if kind == ".pdf" else write_signin_xlsx)(sheet, target)
    click.echo(_("{session_code}: {length} bidder(s) → {out}", session_code=sheet.session.code, length=len(sheet.rows),
                 out=out))
