"""The accounts' commands: add, list and disable the web gate's operators, set passwords, issue and revoke tokens."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from tenderguard.cli.common import _centre_options, _db_option, _gate, _store, cli
from tenderguard.i18n import _

if TYPE_CHECKING:
    from tenderguard.services import Gate

__all__ = [
    "operator",
    "operator_add",
    "operator_disable",
    "operator_list",
    "operator_password",
    "operator_revoke_tokens",
    "operator_token",
]

#: The roles, as ``--role`` takes them (the values of ``tenderguard.domain.accounts.OperatorRole``).
ROLES = ("desk", "door", "supervisor", "office", "admin")


def _by_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--operator", "by", default="admin", show_default=True,
                        help="Who does it (recorded in the audit trail).")(func)


def _password_stdin_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--password-stdin", is_flag=True,
                        help="Read the password as one line from standard input instead of asking for it.")(func)


@contextmanager
def _accounts(db: str, centre_code: str, centre_name: str, *, create: bool = False) -> Iterator[Gate]:
    """The gate on ``--db`` (accounts need no policy nor ID-hash key)."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    with _store(db, Centre(code=centre_code, name=centre_name), create=create) as store:
        yield _gate(store, "badge-only")


def _password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or asked twice without echo."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise click.UsageError(_("--password-stdin: standard input is empty"))
        return line.rstrip("\r\n")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@cli.group()
def operator() -> None:
    """The web gate's operator accounts: add, list, disable, passwords, API tokens."""


@operator.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="desk 入口登记员, door 门口验证员, supervisor 监督人员, office 办公室, admin 管理员.")
@_password_stdin_option
@_by_option
@_db_option
@_centre_options
def operator_add(name: str, role: str, password_stdin: bool, by: str, db: str, centre_code: str,
                 centre_name: str) -> None:
    """Add an account (the database is created if new); the password is asked twice, or read with --password-stdin."""
    password = _password(password_stdin)
    with _accounts(db, centre_code, centre_name, create=True) as gate:
        added = gate.add_operator(name, role, password, by=by)
    click.echo(_("added {added_name} ({role} {role_name})", added_name=added.name, role=added.role,
                 role_name=added.role_name))


@operator.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per account.")
@_db_option
@_centre_options
def operator_list(as_json: bool, db: str, centre_code: str, centre_name: str) -> None:
    """List the accounts: name, role, whether disabled, how many valid API tokens."""
    with _accounts(db, centre_code, centre_name) as gate:
        rows = [(a, sum(1 for _label, _at, revoked in gate.operator_tokens(a.name) if revoked is None))
                for a in gate.operators()]
    if as_json:
        for account, tokens in rows:
            click.echo(json.dumps({"name": account.name, "role": str(account.role), "role_name": account.role_name,
                                   "disabled": account.disabled, "tokens": tokens,
                                   "created_at": account.created_at.isoformat()}, ensure_ascii=False))
        return
    if not rows:
        click.echo(_("no operator yet: add one with `tenderguard operator add NAME --role admin`"))
        return
    from rich.console import Console  # noqa: PLC0415 - each command imports what it uses
    from rich.table import Table  # noqa: PLC0415 - each command imports what it uses
    table = Table("name", "role", "disabled", "tokens")
    for account, tokens in rows:
        table.add_row(account.name, f"{account.role} {account.role_name}", _("disabled") if account.disabled else "",
                      str(tokens))
    Console().print(table)


@operator.command("disable")
@click.argument("name")
@_by_option
@_db_option
@_centre_options
def operator_disable(name: str, by: str, db: str, centre_code: str, centre_name: str) -> None:
    """Disable an account: it can no longer log in nor use its API tokens."""
    with _accounts(db, centre_code, centre_name) as gate:
        gate.disable_operator(name, by=by)
    click.echo(_("disabled {name}", name=name))


@operator.command("password")
@click.argument("name")
@_password_stdin_option
@_by_option
@_db_option
@_centre_options
def operator_password(name: str, password_stdin: bool, by: str, db: str, centre_code: str,
                      centre_name: str) -> None:
    """Set an account's password (asked twice, or read with --password-stdin)."""
    password = _password(password_stdin)
    with _accounts(db, centre_code, centre_name) as gate:
        gate.set_password(name, password, by=by)
    click.echo(_("password of {name} changed", name=name))


@operator.command("token")
@click.argument("name")
@click.option("--label", default=None, help="What the token is for (e.g. the centre system calling the API).")
@_by_option
@_db_option
@_centre_options
def operator_token(name: str, label: str | None, by: str, db: str, centre_code: str, centre_name: str) -> None:
    """Issue an API token for an account and print it once (only its hash is kept)."""
    with _accounts(db, centre_code, centre_name) as gate:
        token = gate.issue_token(name, label=label, by=by)
    click.echo(token)
    click.echo(_("note: this is the only time the token of {name} is shown; keep it safe (revoke it with "
                 "`tenderguard operator revoke-tokens {name}`)", name=name), err=True)


@operator.command("revoke-tokens")
@click.argument("name")
@_by_option
@_db_option
@_centre_options
def operator_revoke_tokens(name: str, by: str, db: str, centre_code: str, centre_name: str) -> None:
    """Revoke every API token of an account."""
    with _accounts(db, centre_code, centre_name) as gate:
        revoked = gate.revoke_tokens(name, by=by)
    click.echo(_("revoked {revoked} token(s) of {name}", revoked=revoked, name=name))
