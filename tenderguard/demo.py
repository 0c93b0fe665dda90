"""The demo bid-opening day: import the day, remind the agencies, screen the queue, print badges, report.

``run_demo(out)`` does a whole day at 密云区公共资源交易中心 on a fresh SQLite database in ``out``:

1. the centre's keys are created and the day's sessions and agencies imported from a CSV file;
2. the day before: arrival windows are planned, each agency's notice (PDF, HTML, SMS, phone script) is written
   and the reminder calls are logged until nobody is due;
3. on the day: about sixty arrivals are screened at two desks — among them a fever that passes on re-measure,
   a fever refused, a form filled in at the desk, a second person of an admitted company refused and later
   admitted as a substitute (the first badge revoked), a key-area arrival referred to proxy service, one person
   arriving for a second bidder of the same session (refused, a signal for the supervisor), and a re-entry after
   lunch;
4. the badge sheet, the refusal letters and the audit check follow.

Everything is deterministic (a manual clock, a seeded queue) and written under ``out``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
from rich.console import Console
from rich.table import Table

from tenderguard.batch import run_batch
from tenderguard.domain.arrival_slots import SessionLoad, plan_arrivals
from tenderguard.domain.catalogue import outcome_label
from tenderguard.domain.model import SHANGHAI, Centre, ManualClock
from tenderguard.errors import TenderGuardError
from tenderguard.factories import lettered_credit_code, resident_id
from tenderguard.i18n import N_, _, format_date
from tenderguard.imports import read_day_plan
from tenderguard.keys import init_keys, load_id_secret, load_signing_key
from tenderguard.notices.documents import build_notice, render_declaration_form, render_notice_pdf
from tenderguard.notices.letter_pdf import write_refusal_letters
from tenderguard.policy import load_policy
from tenderguard.records.files import write_private_text
from tenderguard.reports.writers import write_report_csv, write_report_pdf, write_report_xlsx
from tenderguard.services import Gate
from tenderguard.store.sql import SqlStore

__all__ = ["DAY", "DemoResult", "demo_sessions_file", "print_summary", "run_demo"]

DAY = dt.date(2026, 11, 23)
CENTRE = Centre(code="MY", name="密云区公共资源交易中心")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "军", "杰", "涛", "明", "超", "秀英", "华", "平", "刚", "桂兰",
         "建国", "海燕", "志强", "丽娟"]
TRADES = ["建设工程", "市政工程", "路桥", "园林绿化", "机电设备", "医疗器械", "建筑装饰", "水利工程", "环境科技"]
PLACES = ["北京", "河北", "天津", "山东", "河南", "辽宁", "江苏", "浙江"]
#: Where a supervisor's signal stands, as the summary says it.
_SIGNAL_STATUS = {"open": N_("awaiting the supervisor"), "dismissed": N_("dismissed"), "referred": N_("referred")}


def demo_sessions_file() -> Path:
    """The example day's sessions and agencies (a CSV shipped with TenderGuard)."""
    return Path(str(resources.files("tenderguard") / "sample" / "sessions-2026-11-23.csv"))


@attrs.frozen
class DemoResult:
    """What the demo did and where its files are."""

    files: dict[str, Path]
    outcomes: dict[str, int]
    audit: str
    screenings: int
    #: The supervisor's signals of the day, one line each (masked).
    signals: tuple[str, ...] = ()


def _at(hour: int, minute: int, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def _person_id(n: int) -> str:
    """Person ``n``'s resident ID number, issued in 密云区."""
    return resident_id(n, region="110228")


def _credit_code(n: int) -> str:
    """Company ``n``'s credit code, registered in 密云区."""
    return lettered_credit_code(n, prefix="91110228")


class _Queue:
    """The day's arrivals as batch lines, built deterministically."""

    def __init__(self, sessions: list[str], seed: int = 20261123) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - a reproducible demo queue, nothing secret
        self.sessions = sessions
        self.n = 0

    def person(self, *, session: str, company: int | None, at: dt.datetime, role: str = "bidder",
               **extra: Any) -> dict[str, Any]:
        self.n += 1
        name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
        line: dict[str, Any] = {"session": session, "role": role, "name": name, "id_number": _person_id(self.n),
                                "phone": f"139{self.n:08d}", "at": at.isoformat(), "temperatures": [36.4]}
        if company is not None:
            line["company"] = f"{PLACES[company % len(PLACES)]}{TRADES[company % len(TRADES)]}有限公司第{company}分公司"
            line["credit_code"] = _credit_code(company)
        return line | extra


def _morning(q: _Queue) -> Iterator[dict[str, Any]]:
    """Bidders, agency staff and supervisors for the three morning sessions, with the day's special cases."""
    minute = 0
    bidders: dict[int, dict[str, Any]] = {}
    for index, session in enumerate(q.sessions[:3]):
        for k in range(9):
            company = index * 20 + k + 1
            minute += 1
            bidders[company] = q.person(session=session, company=company, at=_at(8, 0) + dt.timedelta(minutes=minute))
            yield bidders[company]
        yield q.person(session=session, company=900 + index, role="agency", at=_at(8, 40 + index))
        yield q.person(session=session, company=950, role="supervisor", at=_at(8, 45 + index))
    first = q.sessions[0]
    yield q.person(session=first, company=30, at=_at(9, 0), temperatures=[37.6, 36.8])  # passes on re-measure
    yield q.person(session=first, company=31, at=_at(9, 2), temperatures=[38.3, 38.4, 38.5])  # refused: fever
    yield q.person(session=first, company=32, at=_at(9, 4), declaration="missing")  # filled in at the desk
    yield q.person(session=first, company=1, at=_at(9, 6))  # second person of company 1: company_quota
    yield q.person(session=first, company=33, at=_at(9, 8), key_area=True)  # referred to proxy service
    yield q.person(session=first, company=34, at=_at(9, 10), mask="replaced")
    # The representative of company 2 comes back as the representative of company 35 in the same session (one
    # person for two bidders, 实施条例 art. 40): refused, and the supervisor is signalled.
    twin = bidders[2]
    yield q.person(session=first, company=35, at=_at(9, 12)) | {"name": twin["name"], "id_number": twin["id_number"]}


def _afternoon(q: _Queue) -> Iterator[dict[str, Any]]:
    """Bidders of the two afternoon sessions."""
    for index, session in enumerate(q.sessions[3:5]):
        for k in range(8):
            yield q.person(session=session, company=60 + index * 20 + k,
                           at=_at(13, 20) + dt.timedelta(minutes=index * 10 + k))


def _write_notices(gate: Gate, out: Path, expected: dict[str, tuple[int, int]]) -> Path:
    """The day before: plan arrival windows and write every agency's notice and its sessions' forms."""
    folder = out / "notices"
    loads = [SessionLoad.of(s, expected[s.code]) for s in gate.reminder_sessions(DAY) if s.code in expected]
    plan = plan_arrivals(loads, desks=2, throughput=1.0, max_queue=20, gate_opens=_at(7, 30))
    for group in gate.reminder_groups(1, start=DAY):
        mine = {s.code: plan.windows[s.code] for s in group.sessions if s.code in plan.windows}
        notice = build_notice(group, policy=gate.policy, centre=gate.centre, windows=mine,
                              contact_phone="010-69041234")
        target = folder / group.agency.code
        target.mkdir(parents=True, exist_ok=True)
        (target / "notice.html").write_text(notice.html, encoding="utf-8")
        (target / "sms.txt").write_text("\n\n".join(notice.sms.parts) + "\n", encoding="utf-8")
        (target / "phone-script.txt").write_text(notice.phone_script, encoding="utf-8")
        render_notice_pdf(notice, target / "notice.pdf", policy=gate.policy, centre=gate.centre, windows=mine,
                          contact_phone="010-69041234")
        for s in group.sessions:
            render_declaration_form(gate.policy, s, target / f"declaration-form-{s.code}.pdf", centre=gate.centre)
    return folder


def _call_agencies(gate: Gate, clock: ManualClock) -> list[str]:
    """Reminder calls the afternoon before, until no agency is due; returns the call log as lines."""
    log = []
    for group in gate.reminders_due(2):
        code = group.agency.code
        if code == "HY":  # busy: asks to be called back at four
            gate.log_call(agency=code, caller="王芳", outcome="callback",
                          callback_at=clock.now() + dt.timedelta(hours=1), note="负责人开会")
            log.append(f"{clock.now():%H:%M} {group.agency.name}：约定回拨")
            continue
        gate.log_call(agency=code, caller="王芳", outcome="will_relay", answered_by=group.agency.contact or "经办人")
        log.append(f"{clock.now():%H:%M} {group.agency.name}：已通知，将转告投标人")
    clock.advance(hours=1, minutes=5)
    for group in gate.reminders_due(2):
        gate.log_call(agency=group.agency.code, caller="王芳", outcome="reached",
                      answered_by=group.agency.contact or "经办人")
        log.append(f"{clock.now():%H:%M} {group.agency.name}：回拨已通知")
    return log


def run_demo(out: Path, *, sessions_file: Path | None = None,
             progress: Callable[[str], None] = lambda _step: None) -> DemoResult:
    """Run the whole demo day into ``out`` (a fresh database each time); returns what was written."""
    out.mkdir(parents=True, exist_ok=True)
    db = out / "tenderguard.db"
    for stale in (db, db.with_suffix(".db-wal"), db.with_suffix(".db-shm")):
        stale.unlink(missing_ok=True)
    keys = out / "keys"
    init_keys(keys)
    files: dict[str, Path] = {N_("database"): db, N_("keys"): keys}
    policy = load_policy("miyun-2020")
    clock = ManualClock(_at(15, 0, DAY - dt.timedelta(days=1)))
    store = SqlStore(f"sqlite:///{db}", CENTRE)
    try:
        gate = Gate(policy=policy, centre=CENTRE, uow_factory=store.unit_of_work, clock=clock,
                    secret=load_id_secret(keys)[0])
        progress(_("importing the day's sessions"))
        plan = read_day_plan(sessions_file or demo_sessions_file(), CENTRE)
        gate.register_day(plan.agencies, plan.sessions)
        progress(_("writing the agencies' notices"))
        files[N_("notices")] = _write_notices(gate, out, dict(plan.expected))
        progress(_("calling the agencies"))
        calls = _call_agencies(gate, clock)
        (out / "call-log.txt").write_text("\n".join(calls) + "\n", encoding="utf-8")
        files[N_("call log")] = out / "call-log.txt"

        progress(_("screening the morning queue"))
        queue = _Queue([s.code for s in plan.sessions])
        morning = list(_morning(queue))
        results = _screen(gate, clock, "A", morning)
        progress(_("lunch: exits, a substitution and a re-entry"))
        results += _screen(gate, clock, "B", _lunch(queue, morning, results))
        progress(_("screening the afternoon queue"))
        results += _screen(gate, clock, "B", list(_afternoon(queue)))
        outcomes = Counter(str(r.get("outcome")) for r in results if "exit" not in r)
        write_private_text(out / "screening-results.jsonl",
                           "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results))
        files[N_("screening results")] = out / "screening-results.jsonl"

        _after_the_day(gate, out, keys, files, progress)
        progress(_("verifying the audit trail"))
        report = gate.verify_audit()
        signals = tuple(_("{time} {signal}: session {session}, {people} ({status})", time=f"{v.raised_at:%H:%M}",
                          signal=v.text, session=v.session, people=_(", ").join(v.people),
                          status=_(_SIGNAL_STATUS.get(v.status, v.status)))
                        for v in gate.signal_details(DAY))
        return DemoResult(files=files, outcomes=dict(outcomes), audit=str(report),
                          screenings=sum(outcomes.values()), signals=signals)
    finally:
        store.dispose()


def _screen(gate: Gate, clock: ManualClock, desk: str, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    texts = [json.dumps(line, ensure_ascii=False) for line in lines]
    return list(run_batch(texts, gate, gate.desk(desk, "王芳" if desk == "A" else "李强"), clock,
                          source=f"demo-{desk}-{DAY}"))


def _lunch(queue: _Queue, lines: list[dict[str, Any]], results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At noon everyone admitted leaves; company 1 hands back its badge for a substitute; one bidder comes back."""
    admitted = [(lines[r["line"] - 1], r) for r in results if r.get("outcome") == "admitted"]
    noon = _at(12, 0).isoformat()
    after: list[dict[str, Any]] = [{"exit": r["badge"], "at": noon} for _line, r in admitted]
    handed_back = next(r["badge"] for line, r in admitted if line.get("credit_code") == _credit_code(1))
    after.append(queue.person(session=queue.sessions[3], company=1, at=_at(13, 0), replaces=handed_back,
                              reason="原投标人代表下午另有任务，单位交回健康标识改派"))
    back = next(line for line, _r in admitted
                if line.get("role") == "bidder" and line["credit_code"] != _credit_code(1))
    after.append(back | {"session": queue.sessions[3], "at": _at(13, 40).isoformat()})
    return after


def print_summary(result: DemoResult, console: Console, *, seconds: float) -> None:
    """The demo's outcome counts and a table of where each file went, in the catalogue's language."""
    counts = _(", ").join(_("{outcome} {count}", outcome=outcome_label(k), count=v)
                          for k, v in sorted(result.outcomes.items()))
    console.print(_("{centre} — {day}: {screenings} screenings ({counts})", centre=CENTRE.name,
                    day=format_date(DAY), screenings=result.screenings, counts=counts), style="bold")
    console.print(result.audit)
    for line in result.signals:
        console.print(_("supervisor's signal: {signal}", signal=line))
    table = Table(title=_("Where everything went"))
    table.add_column(_("what"))
    table.add_column(_("where"))
    for what, path in result.files.items():
        table.add_row(_(what), str(path))
    console.print(table)
    console.print(_("finished in {seconds} s", seconds=f"{seconds:.1f}"))


def _after_the_day(gate: Gate, out: Path, keys: Path, files: dict[str, Path],
                   progress: Callable[[str], None]) -> None:
    """The badge sheet, the refusal letters, the daily report and the masked export."""
    progress(_("printing the badges"))
    sheet = gate.print_badges(DAY, load_signing_key(keys), out / "badges-2026-11-23.pdf", operator="王芳").result
    if sheet is not None:
        files[N_("badge sheet")] = sheet.path
    progress(_("writing the refusal letters"))
    letters = out / "refusal-letters"
    letters.mkdir(exist_ok=True)
    for notice in gate.refusal_notices(DAY, operator="王芳"):
        write_refusal_letters(notice, letters)  # each letter as text and as PDF
    files[N_("refusal letters")] = letters
    progress(_("writing the daily report"))
    daily, problems = gate.daily_report(DAY)
    if problems:
        raise TenderGuardError(_("the daily report does not match the audit trail: {problems}",
                                 problems=_("; ").join(problems)))
    files[N_("daily report")] = write_report_pdf(daily, out / "daily-report-2026-11-23.pdf")
    write_report_csv(daily, out / "daily-report-2026-11-23.csv")
    write_report_xlsx(daily, out / "daily-report-2026-11-23.xlsx")
    files[N_("daily report (CSV, XLSX)")] = out / "daily-report-2026-11-23.{csv,xlsx}"
    progress(_("exporting the day"))
    gate.export(DAY, str(out / "records-2026-11-23.xlsx"), fmt="xlsx", operator="王芳")
    files[N_("export (masked)")] = out / "records-2026-11-23.xlsx"
