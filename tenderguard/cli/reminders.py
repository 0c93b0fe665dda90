"""The pre-bid reminders: plan, call log, arrival slots, the agencies' notices and their outbox."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from tenderguard.i18n import _, format_date, format_datetime

if TYPE_CHECKING:

    from tenderguard.domain.arrival_slots import ArrivalPlan, ArrivalWindow
    from tenderguard.domain.model import Centre
    from tenderguard.domain.reminders import AgencyDay

from tenderguard.cli.common import (
    Failure,
    _centre_options,
    _db_option,
    _gate,
    _now,
    _policy_option,
    _store,
    cli,
)

__all__ = [
    "remind",
    "remind_call",
    "remind_due",
    "remind_outbox",
    "remind_plan",
    "remind_render",
    "remind_requeue",
    "remind_send",
    "remind_slots",
]


@cli.group()
def remind() -> None:
    """Pre-bid reminders through the agencies: the call plan, the call log and who is still to call."""


def _groups_table(groups: list[AgencyDay], *, as_json: bool) -> None:
    """One line (or JSON object) per agency-day; the agency's phone in full: it is the business number to dial."""
    for g in groups:
        row: dict[str, Any] = {"day": g.day.isoformat(), "agency": g.agency.code, "name": g.agency.name,
               "contact": g.agency.contact, "phone": g.agency.phone, "sessions": [s.code for s in g.sessions],
               "first_opening": g.sessions[0].opens_at.strftime("%H:%M"), "reached": g.reached,
               "attempts": g.attempts, "callback_at": g.callback_at.isoformat() if g.callback_at else None}
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
            continue
        if g.reached:
            state = _("reached")
        elif g.callback_at:
            state = _("call back at {time}", time=format_datetime(g.callback_at))
        else:
            state = _("to call ({attempts} attempt(s) so far)", attempts=g.attempts)
        click.echo(f"{format_date(g.day)} {row['first_opening']}  {g.agency.name}  {g.agency.contact or '-'} "
                   f"{g.agency.phone or '-'}  {'、'.join(s.code for s in g.sessions)}  {state}")


def _groups_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--json", "as_json", is_flag=True, help="One JSON object per agency-day.")(func)
    # The agencies' phones are their business numbers, always shown in full; the flag stays for old scripts.
    func = click.option("--show-phones", is_flag=True, hidden=True)(func)
    func = click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
                        help="The first day of the period, e.g. tomorrow to prepare its calls (default: today in "
                             "the centre's time zone, Asia/Shanghai).")(func)
    return click.option("--days", type=int, default=3, show_default=True,
                        help="How many days ahead, from --today.")(func)


def _first_day(today: dt.datetime | None, centre: Centre) -> dt.date:
    return today.date() if today is not None else centre.day_of(_now())


@remind.command("plan")
@_groups_options
@_db_option
@_centre_options
def remind_plan(days: int, today: dt.datetime | None, show_phones: bool, as_json: bool, db: str, centre_code: str,
                centre_name: str) -> None:
    """Every agency with sessions in the next days, one call per agency and day, and where each call stands."""
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    centre = Centre(code=centre_code, name=centre_name)
    with _store(db, centre) as store:
        groups = _gate(store, "badge-only").reminder_groups(days, start=_first_day(today, centre))
    _groups_table(groups, as_json=as_json)


@remind.command("due")
@_groups_options
@_db_option
@_centre_options
def remind_due(days: int, today: dt.datetime | None, show_phones: bool, as_json: bool, db: str, centre_code: str,
               centre_name: str) -> None:
    """The agencies not reached yet for their sessions in the next days (callbacks once their time has come).

    With --today another day than today, a callback counts as due when its time falls before that day ends: the
    list is that day's calls.
    """
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    from tenderguard.domain.reminders import due  # noqa: PLC0415 - each command imports what it uses
    centre = Centre(code=centre_code, name=centre_name)
    now = _now()
    first = _first_day(today, centre)
    moment = now if first == centre.day_of(now) else dt.datetime.combine(first, dt.time.max, tzinfo=centre.tz)
    with _store(db, centre) as store:
        groups = due(_gate(store, "badge-only").reminder_groups(days, start=first), moment)
    _groups_table(groups, as_json=as_json)
    if not groups and not as_json:
        click.echo(_("nothing due: every agency with sessions in the period has been reached"))


@remind.command("call")
@click.option("--agency", required=True, help="The agency's code.")
@click.option("--outcome", required=True, metavar="reached|will_relay|no_answer|wrong_number|callback",
              help="How the call went: the code or its name (已接通, 已接通并将转告, 未接通, 号码错误, 约定回拨).")
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
    from tenderguard.domain.catalogue import (  # noqa: PLC0415 - each command imports what it uses
        call_outcome_code,
        call_outcome_label,
    )
    from tenderguard.domain.model import Centre  # noqa: PLC0415 - each command imports what it uses
    centre = Centre(code=centre_code, name=centre_name)
    when = callback_at.replace(tzinfo=centre.tz) if callback_at else None
    with _store(db, centre) as store:
        call = _gate(store, "badge-only").log_call(
            agency=agency, caller=caller, outcome=call_outcome_code(outcome), sessions=sessions or None,
            answered_by=answered_by, callback_at=when, note=note)
    click.echo(_("logged: {agency} {outcome} ({sessions}) at {at}", agency=call.agency,
                 outcome=call_outcome_label(call.outcome), sessions="、".join(call.sessions),
                 at=format_datetime(call.at)))


def _expected(values: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    for value in values:
        code, _equals, span = value.partition("=")
        low, _dash, high = span.partition("-")
        if not code or not low.isdigit() or not (high or low).isdigit():
            raise click.BadParameter(_("{value!r} is not SESSION=MIN-MAX (e.g. MY-2026-118=20-35)", value=value),
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
        raise click.BadParameter(_("is not a windows file written by `remind slots --out`"),
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
        raise click.BadParameter(
            _("{gate_opens!r} is not HH:MM", gate_opens=gate_opens), param_hint="--gate-opens"
        ) from None
    with _store(db, centre) as store:
        gate = _gate(store, "badge-only")
        sessions = {s.code: s for s in gate.reminder_sessions(day.date())}
        if throughput is None and measured_on is not None:
            throughput = gate.measured_throughput(measured_on.date())
            if throughput is None:
                raise Failure(_("too few records on {day} to measure the desks; give --throughput",
                                day=format_date(measured_on.date())))
            click.echo(_("measured on {day}: {throughput:.2f} people per minute per desk",
                         day=format_date(measured_on.date()), throughput=throughput))
    throughput = throughput if throughput is not None else 1.0
    unknown = sorted(set(wanted) - set(sessions))
    if unknown:
        raise click.BadParameter(
            _("no session {items} on {day}", items=_(", ").join(unknown), day=format_date(day)), param_hint="--expected"
        )
    loads = [SessionLoad.of(sessions[code], span) for code, span in wanted.items()]
    plan = plan_arrivals(loads, desks=desks, throughput=throughput, max_queue=max_queue,
                         gate_opens=dt.datetime.combine(day.date(), opens, tzinfo=centre.tz))
    if not plan.feasible:
        for problem in plan.problems:
            click.echo(_("cannot plan: {problem}", problem=problem), err=True)
        sys.exit(1)
    for code, w in sorted(plan.windows.items(), key=lambda kv: kv[1].start):
        click.echo(_("{code}\t{hall}\t{describe}\t(opens {opens_at:%H:%M}, {people} people)", code=code, hall=w.hall,
                     describe=w.describe(), opens_at=w.opens_at, people=w.people))
    click.echo(_("peak queue {peak_queue:.0f}, desks busy {utilisation:.0%}", peak_queue=plan.peak_queue,
                 utilisation=plan.utilisation))
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
            raise Failure(_("session {session_code} has no agency to remind", session_code=session_code))
        if session.status == "cancelled":
            raise Failure(_("session {session_code} is cancelled: no entry notice goes to its agency",
                            session_code=session_code))
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
        click.echo(_("warning: SMS: {warning}", warning=warning), err=True)
    click.echo(_("{agency_name} {day}: {items} in {out}", agency_name=group.agency.name, day=day,
                 items=_(", ").join(written), out=out))


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
    click.echo(_("queued {length}; sent {counts}, to retry {counts2}, failed {counts3}", length=len(queued),
                 counts=counts['sent'], counts2=counts['retry'], counts3=counts['failed']))
    for g in no_address:
        click.echo(
            _(
                "no email address: call {agency_name} about {day} instead",
                agency_name=g.agency.name,
                day=format_date(g.day),
            ),
            err=True,
        )
    if counts["failed"]:
        click.echo(_("see `tenderguard remind outbox` for the failed notices"), err=True)


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
    click.echo(_("requeued {key} for {recipient}", key=item.key, recipient=item.recipient))
