"""The webhook commands: subscribe a host system's URL to the gate's events, list, remove, run the sender, the log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tenderguard.cli.common import _centre_options, _db_option, _gate, _store, cli
from tenderguard.i18n import _

if TYPE_CHECKING:
    from tenderguard.services import Gate

__all__ = ["webhook", "webhook_add", "webhook_deliver", "webhook_list", "webhook_log", "webhook_remove"]


@contextmanager
def _hooks(db: str, centre_code: str, centre_name: str, *, create: bool = False) -> Iterator[Gate]:
    """The gate on ``--db`` (webhooks need no policy nor ID-hash key)."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    with _store(db, Centre(code=centre_code, name=centre_name), create=create) as store:
        yield _gate(store, "badge-only")


def _read_secret(path: str) -> str:
    text = Path(path).read_text(encoding="utf-8").strip()
    if not text:
        raise click.UsageError(_("--secret-file: {path} is empty", path=path))
    return text


@cli.group()
def webhook() -> None:
    """Webhooks: the gate's events POSTed to the centre's host system, signed, from every desk."""


@webhook.command("add")
@click.argument("url")
@click.option("--events", "events", required=True, metavar="KIND,KIND…|all",
              help="The kinds of events to send: all, or some of screening_started, step_completed, admitted, "
                   "refused, referred, abandoned, exited, badge_issued, badge_revoked, badge_reprinted, "
                   "override_applied, signal_raised, signal_decided.")
@click.option("--secret-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A file holding the signing secret (default: a random one, printed once).")
@click.option("--operator", "by", default="admin", show_default=True, help="Who does it (recorded in the audit trail).")
@_db_option
@_centre_options
def webhook_add(url: str, events: str, secret_file: str | None, by: str, db: str, centre_code: str,
                centre_name: str) -> None:
    """Subscribe URL to some kinds of events; prints its id, and the secret it signs with unless given."""
    from tenderguard.domain.webhooks import check_url, event_kinds  # noqa: PLC0415 - each command imports what it uses
    check_url(url)  # before a database is made for it
    event_kinds(events)
    secret = _read_secret(secret_file) if secret_file else None
    with _hooks(db, centre_code, centre_name, create=True) as gate:
        added = gate.add_webhook(url, events, secret=secret, by=by)
    click.echo(_("added webhook {id}: {url} ({items})", id=added.id, url=added.url, items=','.join(added.events)))
    if secret is None:
        click.echo(_("secret: {secret}", secret=added.secret))
        click.echo(_("keep the secret for the receiver: it is not shown again"), err=True)


@webhook.command("list")
@_db_option
@_centre_options
def webhook_list(db: str, centre_code: str, centre_name: str) -> None:
    """The subscriptions: id, URL, kinds of events, the secret masked, when added."""
    from tenderguard.domain.webhooks import mask_secret  # noqa: PLC0415 - each command imports what it uses
    with _hooks(db, centre_code, centre_name) as gate:
        found = gate.webhooks()
    for hook in found:
        click.echo(_("{id}  {url}  {items}  secret {mask_secret}  added {created_at:%Y-%m-%d %H:%M}", id=hook.id,
                     url=hook.url, items=','.join(hook.events), mask_secret=mask_secret(hook.secret),
                     created_at=hook.created_at))
    if not found:
        click.echo(_("no webhooks: add one with `tenderguard webhook add URL --events all`"))


@webhook.command("remove")
@click.argument("webhook_id", metavar="ID", type=int)
@click.option("--operator", "by", default="admin", show_default=True, help="Who does it (recorded in the audit trail).")
@_db_option
@_centre_options
def webhook_remove(webhook_id: int, by: str, db: str, centre_code: str, centre_name: str) -> None:
    """Remove a subscription; its deliveries not sent yet are dropped (marked failed)."""
    with _hooks(db, centre_code, centre_name) as gate:
        dropped = gate.remove_webhook(webhook_id, by=by)
    removed = _("removed webhook {webhook_id}", webhook_id=webhook_id)
    click.echo(
        _("{line} ({dropped} deliveries not sent dropped)", line=removed, dropped=dropped) if dropped else removed
    )


@webhook.command("deliver")
@click.option("--once", is_flag=True, help="One pass over the deliveries due, then exit.")
@click.option("--interval", type=click.FloatRange(0.1, 3600), default=2.0, show_default=True,
              help="Seconds between passes when nothing is due.")
@_db_option
@_centre_options
def webhook_deliver(once: bool, interval: float, db: str, centre_code: str, centre_name: str) -> None:
    """Run the sender: POST the deliveries that are due, retry the failed ones later; until Ctrl-C unless --once."""
    from tenderguard.notices.webhooks import webhook_client, webhook_poster  # noqa: PLC0415
    with _hooks(db, centre_code, centre_name) as gate, webhook_client() as client:
        post = webhook_poster(client)
        try:
            while True:
                counts = gate.deliver_webhooks(post)
                if any(counts.values()) or once:
                    click.echo(_("sent {counts}, to retry {counts2}, failed {counts3}", counts=counts['sent'],
                                 counts2=counts['retry'], counts3=counts['failed']))
                if once:
                    return
                if not any(counts.values()):
                    time.sleep(interval)
        except KeyboardInterrupt:
            click.echo(_("stopped; deliveries not sent yet wait for the next run"), err=True)


@webhook.command("log")
@click.option("--failed", "failed_only", is_flag=True, help="Only the deliveries given up as failed.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True,
              help="How many deliveries, newest first.")
@_db_option
@_centre_options
def webhook_log(failed_only: bool, limit: int, db: str, centre_code: str, centre_name: str) -> None:
    """The newest deliveries: when, which event to which webhook, status, attempts and the last error."""
    with _hooks(db, centre_code, centre_name) as gate:
        found = gate.webhook_log(failed_only=failed_only, limit=limit)
    for d in found:
        error = f"  {d.last_error}" if d.last_error else ""
        click.echo(_("{created_at:%Y-%m-%d %H:%M:%S}  {id}  webhook {webhook}  {kind}  {status}  attempts "
                     "{attempts}{error}", created_at=d.created_at, id=d.id, webhook=d.webhook, kind=d.kind,
                     status=d.status, attempts=d.attempts, error=error))
    if not found:
        click.echo(_("no failed deliveries") if failed_only else _("no deliveries yet"))
