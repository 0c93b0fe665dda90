"""The bid sessions after registration: list, show, edit, postpone (延期开标) and cancel, each change audited."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import click

from tenderguard.i18n import N_, _, format_datetime, ngettext

if TYPE_CHECKING:
    from tenderguard.domain.model import BidSession, Centre
    from tenderguard.services.sessions import SessionChange, SessionOutcome

from tenderguard.cli.common import _centre_options, _db_option, _gate, _now, _policy_option, _store, cli

__all__ = ["session", "session_cancel", "session_edit", "session_list", "session_postpone", "session_show"]

#: The columns of ``session list``.
SESSION_COLUMNS = (N_("session code"), N_("project name"), N_("opens at"), N_("bid hall"), N_("procurement agency"),
                   N_("session status"))
#: What ``session show`` calls the fields an edit changes.
_FIELDS = {"project_name": N_("project name"), "hall": N_("bid hall"), "agency": N_("procurement agency")}
#: Wide enough that a row never wraps into a file or a pipe.
_UNWRAPPED = 400


@cli.group()
def session() -> None:
    """Bid sessions: list, show, edit, postpone (延期开标) and cancel; every change is audited."""


def _day(value: str | None, option: str) -> dt.date | None:
    """A YYYY-MM-DD option, or one line saying what is wrong."""
    from tenderguard.errors import InvalidInputError  # noqa: PLC0415 - each command imports what it uses
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError(option, _("“{value}” is not a date", value=value),
                                hint=_("write it as year-month-day, e.g. 2026-12-11")) from None


def _moment(value: str, option: str, centre: Centre) -> dt.datetime:
    """A local ``YYYY-MM-DD HH:MM`` option in the centre's time zone, or one line saying what is wrong."""
    from tenderguard.errors import InvalidInputError  # noqa: PLC0415 - each command imports what it uses
    text = value.strip().replace("T", " ")
    try:
        found = dt.datetime.strptime(text, "%Y-%m-%d %H:%M")  # noqa: DTZ007 - local time, the centre's zone below
    except ValueError:
        raise InvalidInputError(option, _("“{value}” is not an opening date and time", value=value),
                                hint=_("write it as \"year-month-day hour:minute\", e.g. \"2026-12-11 09:30\""),
                                ) from None
    return found.replace(tzinfo=centre.tz)


def _centre(code: str, name: str) -> Centre:
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    return Centre(code=code, name=name)


def _when(moment: dt.datetime, centre: Centre) -> str:
    return format_datetime(moment.astimezone(centre.tz))


def _status_text(s: BidSession, centre: Centre, *, moved: bool = False) -> str:
    if moved and str(s.status) == "postponed":  # listed on a day it left: where it went
        return _("{status} to {opening}", status=s.status.label, opening=_when(s.opens_at, centre))
    if s.postponed_from is not None and str(s.status) == "postponed":
        return _("{status} (was {opening})", status=s.status.label, opening=_when(s.postponed_from, centre))
    return s.status.label


@session.command("list")
@click.option("--day", default=None, metavar="DATE", help="One day (YYYY-MM-DD; default: today).")
@click.option("--from", "first", default=None, metavar="DATE", help="From this day on (YYYY-MM-DD).")
@click.option("--to", "last", default=None, metavar="DATE", help="Up to this day (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per session.")
@_db_option
@_centre_options
def session_list(day: str | None, first: str | None, last: str | None, as_json: bool, db: str, centre_code: str,
                 centre_name: str) -> None:
    """The sessions of a day or a period: code, project, opening time, hall, agency and status.

    A session postponed to a later day is listed on its old day too, at its old opening, with its new one.
    """
    from tenderguard.errors import InvalidInputError  # noqa: PLC0415 - each command imports what it uses
    centre = _centre(centre_code, centre_name)
    one, start, end = _day(day, "--day"), _day(first, "--from"), _day(last, "--to")
    if one is not None and (start is not None or end is not None):
        raise InvalidInputError("--day", _("--day cannot be combined with --from/--to"),
                                hint=_("--day for one day, --from/--to for a period"))
    today = centre.day_of(_now())
    if start is None and end is None:
        start = end = one or today
    with _store(db, centre) as store:
        gate = _gate(store, "badge-only")
        found = gate.sessions_between(start or today, end or dt.date.max)
        moved = gate.sessions_moved_from(start or today, end or dt.date.max)
        with store.unit_of_work() as uow:
            names = {a.code: a.name for a in uow.agencies.all()}
    # Each row: the opening in the listed days, the session, and whether it has moved away from them since.
    rows = sorted([(s.opens_at, s, False) for s in found] + [(was, s, True) for was, s in moved],
                  key=lambda row: (row[0], row[1].code))
    if as_json:
        for was, s, away in rows:
            click.echo(json.dumps({
                "code": s.code, "project": s.project_name, "opens_at": s.opens_at.isoformat(), "hall": s.hall,
                "agency": s.agency, "status": str(s.status),
                "postponed_from": s.postponed_from.isoformat() if s.postponed_from else None,
                "reason": s.status_reason, "moved_from": was.isoformat() if away else None}, ensure_ascii=False))
        return
    if not rows:
        click.echo(_("no session registered for these days"))
        return
    from rich.console import Console  # noqa: PLC0415 - each command imports what it uses
    from rich.table import Table  # noqa: PLC0415 - each command imports what it uses
    from rich.text import Text  # noqa: PLC0415 - each command imports what it uses

    table = Table(title=ngettext("{n} bid session", "{n} bid sessions", len(rows)))
    for index, msgid in enumerate(SESSION_COLUMNS):
        name = _(msgid)
        table.add_column(name, min_width=2 * len(name), overflow="fold", no_wrap=index in (0, 2))
    for was, s, away in rows:
        agency = names.get(s.agency, s.agency) if s.agency else "-"
        table.add_row(*map(Text, (s.code, s.project_name, f"{was.astimezone(centre.tz):%Y-%m-%d %H:%M}",
                                  s.hall, agency or "-", _status_text(s, centre, moved=away))))  # never markup
    console = Console()
    (console if console.is_terminal else Console(width=_UNWRAPPED)).print(table)


def _change_line(change: SessionChange, centre: Centre) -> str:
    d = change.details
    if change.kind == "postponed":
        what = _("postponed {before} → {after}", before=_when(dt.datetime.fromisoformat(str(d["from"])), centre),
                 after=_when(dt.datetime.fromisoformat(str(d["to"])), centre))
    elif change.kind == "cancelled":
        what = _("cancelled")
    else:
        changes: dict[str, Any] = dict(d.get("changes") or {})
        what = _("edited {changes}", changes=_("; ").join(
            _("{field} {before} → {after}", field=_(_FIELDS.get(k, k)), before=v[0] or "-", after=v[1] or "-")
            for k, v in changes.items()))
    extra = []
    if d.get("reason"):
        extra.append(_("reason: {reason}", reason=d["reason"]))
    if d.get("badges_revoked"):
        extra.append(ngettext("{n} badge revoked", "{n} badges revoked", len(d["badges_revoked"])))
    if d.get("notices_superseded"):
        extra.append(ngettext("{n} notice superseded", "{n} notices superseded", len(d["notices_superseded"])))
    line = f"  {change.at:%Y-%m-%d %H:%M}  {change.operator or '-'}  {what}"
    return line + (_(" ({details})", details=_("; ").join(extra)) if extra else "")


@session.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@_db_option
@_centre_options
def session_show(code: str, as_json: bool, db: str, centre_code: str, centre_name: str) -> None:
    """Everything about one session: details, status, counts (numbers only) and its history of changes."""
    centre = _centre(centre_code, centre_name)
    with _store(db, centre) as store:
        found = _gate(store, "badge-only").session_record(code)
    s, c = found.session, found.counts
    if as_json:
        click.echo(json.dumps({
            "code": s.code, "project": s.project_name, "opens_at": s.opens_at.isoformat(), "hall": s.hall,
            "agency": s.agency, "status": str(s.status),
            "postponed_from": s.postponed_from.isoformat() if s.postponed_from else None, "reason": s.status_reason,
            "counts": {"screenings": c.screenings, "admitted": c.admitted, "refused": c.refused, "badges": c.badges,
                       "badges_revoked": c.revoked},
            "history": [{"at": h.at.isoformat(), "kind": h.kind, "operator": h.operator, "details": dict(h.details)}
                        for h in found.history]}, ensure_ascii=False))
        return
    agency = f"{found.agency.code} {found.agency.name}" if found.agency else (s.agency or "-")
    status = _status_text(s, centre)
    if s.status_reason:
        status = _("{status}; reason: {reason}", status=status, reason=s.status_reason)
    lines = [
        _("session {code}  {project}", code=s.code, project=s.project_name),
        _("  status: {status}", status=status),
        _("  opens at: {opening}", opening=_when(s.opens_at, centre)),
        _("  hall: {hall}", hall=s.hall),
        _("  agency: {agency}", agency=agency),
        _("  screened {screenings}: admitted {admitted}, refused {refused}; badges {badges} (revoked {revoked})",
          screenings=c.screenings, admitted=c.admitted, refused=c.refused, badges=c.badges, revoked=c.revoked),
        _("  changes:") if found.history else _("  changes: none"),
    ]
    lines += [_change_line(h, centre) for h in found.history]
    click.echo("\n".join(lines))


def _outcome_tail(done: SessionOutcome) -> str:
    parts = []
    if done.revoked:
        parts.append(ngettext("{n} badge revoked ({serials})", "{n} badges revoked ({serials})", len(done.revoked),
                              serials=_(", ").join(done.revoked)))
    if done.ended:
        parts.append(ngettext("{n} screening in progress refused", "{n} screenings in progress refused",
                              len(done.ended)))
    if done.superseded:
        parts.append(ngettext("{n} notice superseded", "{n} notices superseded", len(done.superseded)))
    if done.queued:
        parts.append(ngettext("{n} new notice queued", "{n} new notices queued", len(done.queued)))
    return "".join(_("; {part}", part=part) for part in parts)


_OPERATOR = click.option("--operator", default=None, help="Who makes the change (recorded in the audit trail).")


@session.command("edit")
@click.argument("code")
@click.option("--project", default=None, help="The project's new name.")
@click.option("--hall", default=None, help="The new hall (one of the policy's halls; not once people are admitted).")
@click.option("--agency", default=None, help="The new agency's code (registered).")
@_OPERATOR
@_db_option
@_policy_option
@_centre_options
def session_edit(code: str, project: str | None, hall: str | None, agency: str | None, operator: str | None,
                 db: str, policy_spec: str, centre_code: str, centre_name: str) -> None:
    """Change a session's project name, hall or agency before it opens (audited)."""
    with _store(db, _centre(centre_code, centre_name)) as store:
        done = _gate(store, policy_spec).edit_session(code, operator=operator or "", project_name=project, hall=hall,
                                                      agency=agency)
    s = done.session
    click.echo(_("session {code} changed: {project} / {hall} / {agency}", code=s.code, project=s.project_name,
                 hall=s.hall, agency=s.agency or "-") + _outcome_tail(done))


@session.command("postpone")
@click.argument("code")
@click.option("--to", "to", required=True, metavar='"YYYY-MM-DD HH:MM"', help="The new opening (local time).")
@click.option("--reason", default=None, help="Why (told at the desk and kept in the history).")
@_OPERATOR
@_db_option
@_centre_options
def session_postpone(code: str, to: str, reason: str | None, operator: str | None, db: str, centre_code: str,
                     centre_name: str) -> None:
    """Postpone a session (延期开标): it opens at --to; its badges of the old day are revoked, its agency re-called."""
    centre = _centre(centre_code, centre_name)
    when = _moment(to, "--to", centre)
    with _store(db, centre) as store:
        done = _gate(store, "badge-only").postpone_session(code, when, operator=operator or "", reason=reason)
    s = done.session
    line = _("session {code} postponed to {opening} (was {before})", code=s.code, opening=_when(s.opens_at, centre),
             before=_when(s.postponed_from, centre) if s.postponed_from else "-") + _outcome_tail(done)
    if s.agency:
        line += _("; call agency {agency} again", agency=s.agency)
    click.echo(line)


@session.command("cancel")
@click.argument("code")
@click.option("--reason", default=None, help="Why (told at the desk and kept in the history).")
@_OPERATOR
@_db_option
@_centre_options
def session_cancel(code: str, reason: str | None, operator: str | None, db: str, centre_code: str,
                   centre_name: str) -> None:
    """Cancel a session that has not opened: nobody is screened for it, its badges are revoked (audited)."""
    with _store(db, _centre(centre_code, centre_name)) as store:
        done = _gate(store, "badge-only").cancel_session(code, operator=operator or "", reason=reason)
    click.echo(_("session {code} cancelled", code=done.session.code) + _outcome_tail(done))
