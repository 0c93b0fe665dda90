"""The agencies' pre-bid reminder notices of one busy day: build, print to PDF, and email them through the outbox.

Run from the project root::

    .venv/bin/python -m benchmarks.reminders [--sessions 100] [--agencies 40] [--seed S] [--json]

The day: ``--sessions`` bid openings tomorrow between 08:30 and 16:30 in four halls, run by ``--agencies``
procurement agencies (every agency has at least one session, a few large ones have many; each has an email
address), registered on a fresh SQLite store in a temporary directory, policy ``miyun-2020``, a ``ManualClock`` at
15:00 today (Asia/Shanghai). One process; the cases run in this order, so the later ones find WeasyPrint's fonts
and the templates already loaded (the first notice of cases 1 and 2 is shown apart):

1. ``build_notice`` for every agency-day of ``Gate.reminder_groups``: HTML and text email, SMS, phone script;
2. ``render_notice_pdf`` for every notice (A4 PDF through WeasyPrint), into the temporary directory;
3. ``Gate.queue_notices`` and ``Gate.send_notices`` with ``notice_sender`` to a local aiosmtpd server on
   127.0.0.1 (plain SMTP, a thread of this process): per notice the sender builds the notice again, prints its
   PDF and sends one message with the PDF attached; the gate claims and saves each outbox item and audits it.
   The server must have received exactly one message per agency, to the agency's address, with a PDF attached;
4. the process's peak RSS after each case (``getrusage``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.message
import email.policy
import gc
import json
import platform
import random
import resource
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import attrs
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pypdf import PdfReader
from rich.console import Console
from rich.table import Table

import tenderguard
from tenderguard import Agency, BidSession, Centre, Gate, ManualClock, Policy, load_preset
from tenderguard.domain.model import SHANGHAI
from tenderguard.domain.outbox import OutboxItem, OutboxStatus
from tenderguard.domain.reminders import AgencyDay
from tenderguard.notices.documents import AgencyNotice, build_notice, render_notice_pdf
from tenderguard.notices.mail import SmtpSettings
from tenderguard.notices.sending import NOTICE_ATTACHMENT, notice_sender
from tenderguard.store.sql import SqlStore

PRESET = "miyun-2020"
CENTRE = Centre(code="MY", name="北京市密云区公共资源交易中心")
CONTACT_PHONE = "010-69041234"
SENDER = "北京市密云区公共资源交易中心 <notice@centre.example>"
SECRET = b"tenderguard-benchmark-secret-32b"
HALLS = ("第一开标室", "第二开标室", "第三开标室", "第四开标室")
FIRST_OPENING = dt.time(8, 30)
LAST_OPENING = dt.time(16, 30)
#: Trade names of the agencies (Chinese, and the pinyin of their email domains).
TRADE_NAMES = (
    ("正信", "zhengxin"), ("华宇", "huayu"), ("中诚", "zhongcheng"), ("国信", "guoxin"), ("京诚", "jingcheng"),
    ("恒信", "hengxin"), ("中咨", "zhongzi"), ("华夏", "huaxia"), ("金诚", "jincheng"), ("天健", "tianjian"),
    ("明德", "mingde"), ("中天", "zhongtian"), ("嘉信", "jiaxin"), ("汇众", "huizhong"), ("永信", "yongxin"),
    ("瑞达", "ruida"), ("建博", "jianbo"), ("诚和", "chenghe"), ("东方", "dongfang"), ("远华", "yuanhua"),
)
AGENCY_KINDS = (("招标代理有限公司", "zb"), ("工程咨询有限公司", "zx"), ("项目管理有限公司", "xm"))
MAX_AGENCIES = len(TRADE_NAMES) * len(AGENCY_KINDS)
MAX_SESSIONS = 400
TOWNS = ("鼓楼街道", "果园街道", "檀营乡", "溪翁庄镇", "西田各庄镇", "十里堡镇", "河南寨镇", "巨各庄镇", "穆家峪镇",
         "太师屯镇", "高岭镇", "不老屯镇", "冯家峪镇", "古北口镇", "大城子镇", "东邵渠镇", "北庄镇", "石城镇")
PROJECTS = ("农村道路改造工程施工招标", "农村饮水安全工程施工招标", "中心小学教学楼抗震加固工程施工招标",
            "污水管网建设工程施工招标", "河道综合治理工程监理招标", "社区卫生服务中心医疗设备采购",
            "老旧小区综合整治工程施工招标", "公共区域绿化养护服务采购", "美丽乡村建设项目设计招标",
            "森林防火视频监控系统采购")

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静磊洋勇军杰涛明超秀英华平刚桂兰"


# ------------------------------------------------------------------------------------------------ the day


@dataclass(frozen=True)
class Day:
    """The day's agencies and sessions, and the dates around them."""

    today: dt.date
    tomorrow: dt.date
    agencies: tuple[Agency, ...]
    sessions: tuple[BidSession, ...]


def make_agency(index: int) -> Agency:
    """Agency ``index``: a distinct Beijing agency name, a contact person, a mobile number and an email address."""
    trade, pinyin = TRADE_NAMES[index % len(TRADE_NAMES)]
    kind, tag = AGENCY_KINDS[index // len(TRADE_NAMES)]
    contact = SURNAMES[index % len(SURNAMES)] + GIVEN[(index * 7) % len(GIVEN)]
    return Agency(code=f"AG{index + 1:02d}", name=f"北京{trade}{kind}", contact=contact,
                  phone=f"1391069{index:04d}", email=f"bid@{pinyin}-{tag}.example")


def opening_times(day: dt.date, count: int) -> list[tuple[dt.datetime, str]]:
    """``count`` (opening time, hall) pairs: each hall opens a session every few minutes from 08:30 to 16:30."""
    per_hall = -(-count // len(HALLS))
    first = dt.datetime.combine(day, FIRST_OPENING, tzinfo=SHANGHAI)
    span = dt.datetime.combine(day, LAST_OPENING, tzinfo=SHANGHAI) - first
    step = span / max(1, per_hall - 1)
    slots = [(first + slot * step, hall) for slot in range(per_hall) for hall in HALLS]
    return [(at.replace(second=0, microsecond=0), hall) for at, hall in slots[:count]]


def session_owners(sessions: int, agencies: int, rng: random.Random) -> list[int]:
    """Which agency runs each session: one each at least, the rest skewed towards a few large agencies."""
    weights = [1 / (rank + 1) ** 0.9 for rank in range(agencies)]
    owners = list(range(agencies)) + rng.choices(range(agencies), weights=weights, k=sessions - agencies)
    rng.shuffle(owners)
    return owners


def make_day(sessions: int, agencies: int, seed: int, today: dt.date) -> Day:
    """The agencies and tomorrow's sessions, reproducible from ``seed``."""
    rng = random.Random(seed)
    tomorrow = today + dt.timedelta(days=1)
    registered = tuple(make_agency(i) for i in range(agencies))
    owners = session_owners(sessions, agencies, rng)
    planned = []
    for number, ((opens_at, hall), owner) in enumerate(zip(opening_times(tomorrow, sessions), owners, strict=True),
                                                        start=1):
        project = f"密云区{rng.choice(TOWNS)}{rng.choice(PROJECTS)}"
        planned.append(BidSession(code=f"MY-{tomorrow:%Y%m%d}-{number:03d}", project_name=project,
                                  opens_at=opens_at, hall=hall, agency=registered[owner].code))
    return Day(today=today, tomorrow=tomorrow, agencies=registered, sessions=tuple(planned))


def new_gate(database: Path, policy: Policy, day: Day) -> tuple[Gate, SqlStore]:
    """A gate on a fresh SQLite store with the day registered, its clock at 15:00 on the day before."""
    store = SqlStore(f"sqlite:///{database}", CENTRE)
    clock = ManualClock(dt.datetime.combine(day.today, dt.time(15, 0), tzinfo=SHANGHAI))
    gate = Gate(policy=policy, centre=CENTRE, uow_factory=store.unit_of_work, clock=clock, secret=SECRET)
    for agency in day.agencies:
        gate.register_agency(agency)
    for session in day.sessions:
        gate.register_session(session)
    return gate, store


# ------------------------------------------------------------------------------------------------ the mail server


@dataclass
class Received:
    """One message the server accepted: its envelope recipients and its bytes."""

    recipients: tuple[str, ...]
    content: bytes


@dataclass
class Inbox:
    """An aiosmtpd handler keeping every message it accepts (parsed only after the timing)."""

    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Keep the message."""
        content = envelope.content
        data = content if isinstance(content, bytes) else (content or "").encode()
        self.messages.append(Received(tuple(envelope.rcpt_tos), data))
        return "250 OK"


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def mail_server() -> Iterator[tuple[Inbox, int]]:
    """A plain SMTP server on 127.0.0.1 (a thread of this process) and its port."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


# ------------------------------------------------------------------------------------------------ the cases


def peak_rss_mib() -> float:
    """The process's peak resident set size in MiB (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def timings(durations: Sequence[float]) -> dict[str, float]:
    """Total, mean, first, median of the others and slowest of per-notice durations, in seconds."""
    rest = durations[1:] or durations
    return {"total_s": sum(durations), "mean_s": sum(durations) / len(durations), "first_s": durations[0],
            "median_rest_s": statistics.median(rest), "max_s": max(durations)}


def build_all(groups: Sequence[AgencyDay], policy: Policy) -> tuple[list[AgencyNotice], dict[str, Any]]:
    """Case 1: build every agency-day's notice, each timed."""
    notices: list[AgencyNotice] = []
    durations: list[float] = []
    perf = time.perf_counter
    gc.collect()
    for group in groups:
        start = perf()
        notices.append(build_notice(group, policy=policy, centre=CENTRE, contact_phone=CONTACT_PHONE))
        durations.append(perf() - start)
    parts = Counter(n.sms.count for n in notices)
    figures = {
        **timings(durations),
        "html_kb_mean": statistics.mean(len(n.html.encode()) for n in notices) / 1024,
        "text_chars_mean": statistics.mean(len(n.text) for n in notices),
        "sms_parts": {str(k): v for k, v in sorted(parts.items())},
        "sms_over_limit": sum(1 for n in notices if not n.sms.within_limit),
    }
    return notices, figures


def render_all(notices: Sequence[AgencyNotice], policy: Policy, folder: Path) -> dict[str, Any]:
    """Case 2: print every notice as an A4 PDF, each timed; sizes and page counts afterwards."""
    folder.mkdir()
    durations: list[float] = []
    paths: list[Path] = []
    perf = time.perf_counter
    gc.collect()
    for notice in notices:
        start = perf()
        paths.append(render_notice_pdf(notice, folder / f"{notice.agency}.pdf", policy=policy, centre=CENTRE,
                                       contact_phone=CONTACT_PHONE))
        durations.append(perf() - start)
    sizes = [p.stat().st_size for p in paths]
    pages = Counter(len(PdfReader(p).pages) for p in paths)
    return {
        **timings(durations),
        "pdf_kb_mean": statistics.mean(sizes) / 1024,
        "pdf_kb_min": min(sizes) / 1024,
        "pdf_kb_max": max(sizes) / 1024,
        "pdf_pages": {str(k): v for k, v in sorted(pages.items())},
    }


def check_inbox(inbox: Inbox, agencies: Sequence[Agency], items: Sequence[OutboxItem]) -> dict[str, Any]:
    """Stop the benchmark unless the server got one message per agency, to its address, with the notice PDF."""
    wanted = sorted(a.email or "" for a in agencies)
    got = sorted(r for m in inbox.messages for r in m.recipients)
    if got != wanted:
        raise RuntimeError(f"the server received {len(inbox.messages)} messages for {len(got)} recipients, "
                           f"expected one for each of the {len(wanted)} agencies")
    message_ids = set()
    for received in inbox.messages:
        parsed = email.message_from_bytes(received.content, policy=email.policy.default)
        if not isinstance(parsed, email.message.EmailMessage):
            raise RuntimeError("the server received something that is not an email message")
        message_ids.add(str(parsed["Message-ID"]).strip())  # folded onto its own line
        attachments = list(parsed.iter_attachments())
        if [a.get_filename() for a in attachments] != [NOTICE_ATTACHMENT] or not bytes(
                attachments[0].get_content()).startswith(b"%PDF"):
            raise RuntimeError(f"the message to {received.recipients} does not carry the notice PDF")
    if message_ids != {i.message_id for i in items}:
        raise RuntimeError("the messages received do not carry the outbox's Message-IDs")
    sizes = [len(m.content) for m in inbox.messages]
    return {"received": len(inbox.messages), "message_kb_mean": statistics.mean(sizes) / 1024}


def send_all(gate: Gate, agencies: Sequence[Agency]) -> dict[str, Any]:
    """Case 3: queue every notice and send them through the outbox to a local SMTP server."""
    perf = time.perf_counter
    with mail_server() as (inbox, port):
        settings = SmtpSettings(host="127.0.0.1", port=port, security="none", sender=SENDER, timeout=10)
        sender = notice_sender(settings, policy=gate.policy, centre=gate.centre, contact_phone=CONTACT_PHONE)
        in_sender: list[float] = []

        def timed(item: OutboxItem, group: AgencyDay, send: Callable[[OutboxItem, AgencyDay], None] = sender
                  ) -> None:
            start = perf()
            try:
                send(item, group)
            finally:
                in_sender.append(perf() - start)

        gc.collect()
        start = perf()
        queued, no_address = gate.queue_notices(2)  # today and tomorrow
        queue_s = perf() - start
        if len(queued) != len(agencies) or no_address:
            raise RuntimeError(f"queued {len(queued)} notices ({len(no_address)} without an address), "
                               f"expected {len(agencies)}")
        start = perf()
        counts = gate.send_notices(timed, limit=len(queued))
        send_s = perf() - start
    if counts != {"sent": len(agencies), "retry": 0, "failed": 0}:
        errors = {i.last_error for i in gate.outbox() if i.last_error}
        raise RuntimeError(f"send_notices returned {counts}: {errors}")
    if any(i.status is not OutboxStatus.SENT for i in gate.outbox()):
        raise RuntimeError("an outbox item is not marked sent")
    received = check_inbox(inbox, agencies, queued)
    n = len(queued)
    return {
        "queue_s": queue_s,
        "send_s": send_s,
        "per_notice_s": send_s / n,
        "sender": timings(in_sender),
        "outbox_overhead_ms": (send_s - sum(in_sender)) / n * 1000,
        "counts": counts,
        **received,
    }


def measure(sessions: int, agencies: int, seed: int) -> dict[str, Any]:
    """Set up the day and run every case; return the figures."""
    preset = load_preset(PRESET)  # a centre of four halls: the preset's two and two more
    policy = attrs.evolve(preset, hall_capacity={hall: preset.hall_capacity.get(hall, 40) for hall in HALLS})
    today = dt.datetime.now(SHANGHAI).date()
    day = make_day(sessions, agencies, seed, today)
    figures: dict[str, Any] = {
        "python": platform.python_version(),
        "tenderguard": tenderguard.__version__,
        "weasyprint": metadata.version("weasyprint"),
        "aiosmtpd": metadata.version("aiosmtpd"),
        "sqlite": sqlite3.sqlite_version,
        "preset": PRESET,
        "sessions": sessions,
        "agencies": agencies,
        "day": day.tomorrow.isoformat(),
        "halls": len(HALLS),
        "seed": seed,
    }
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tenderguard-bench-reminders-") as scratch:
        start = time.perf_counter()
        gate, store = new_gate(Path(scratch) / "day.db", policy, day)
        try:
            figures["setup_s"] = time.perf_counter() - start
            figures["rss_after_setup_mib"] = peak_rss_mib()
            groups = gate.reminder_groups(1, start=day.tomorrow)
            per_agency = sorted((len(g.sessions) for g in groups), reverse=True)
            if len(groups) != agencies or sum(per_agency) != sessions:
                raise RuntimeError(f"{len(groups)} agency-days with {sum(per_agency)} sessions, expected "
                                   f"{agencies} with {sessions}")
            figures["sessions_per_agency"] = {"max": per_agency[0], "median": statistics.median(per_agency),
                                              "min": per_agency[-1]}
            notices, figures["build"] = build_all(groups, policy)
            figures["rss_after_build_mib"] = peak_rss_mib()
            figures["render"] = render_all(notices, policy, Path(scratch) / "pdf")
            figures["rss_after_render_mib"] = peak_rss_mib()
            figures["send"] = send_all(gate, day.agencies)
            figures["rss_after_send_mib"] = peak_rss_mib()
        finally:
            store.dispose()
    figures["peak_rss_mib"] = peak_rss_mib()
    figures["wall_s"] = time.perf_counter() - started
    return figures


# ------------------------------------------------------------------------------------------------ output


def render(figures: dict[str, Any], console: Console) -> None:
    """Print the versions and the table."""
    console.print(f"Python {figures['python']} · tenderguard {figures['tenderguard']} · WeasyPrint "
                  f"{figures['weasyprint']} · aiosmtpd {figures['aiosmtpd']} · SQLite {figures['sqlite']} · "
                  f"preset {figures['preset']}")
    spread = figures["sessions_per_agency"]
    table = Table(title=f"Reminder notices for {figures['day']}: {figures['sessions']} sessions in "
                        f"{figures['halls']} halls, {figures['agencies']} agencies (SQLite, one process)")
    table.add_column("Case")
    table.add_column("Measure")
    table.add_column("Result", justify="right")
    table.add_column("Notes")
    b, r, s = figures["build"], figures["render"], figures["send"]
    sender = s["sender"]
    parts = ", ".join(f"{k} part{'s' if k != '1' else ''} ×{v}" for k, v in b["sms_parts"].items())
    pages = ", ".join(f"{k} page{'s' if k != '1' else ''} ×{v}" for k, v in r["pdf_pages"].items())
    table.add_row("", "set-up", f"{figures['setup_s']:.2f} s",
                  f"register {figures['agencies']} agencies and {figures['sessions']} sessions; sessions per agency "
                  f"{spread['min']}–{spread['max']} (median {spread['median']:g})")
    table.add_row("1", "build every notice", f"{b['total_s']:.3f} s",
                  "build_notice: HTML and text email, SMS, phone script")
    table.add_row("", "per notice", f"{b['mean_s'] * 1000:.1f} ms",
                  f"first {b['first_s'] * 1000:.0f} ms (cold: templates compiled), median of the others "
                  f"{b['median_rest_s'] * 1000:.1f} ms; HTML {b['html_kb_mean']:.1f} KB; SMS {parts}; "
                  f"{b['sms_over_limit']} over the limit")
    table.add_row("2", "print every notice PDF", f"{r['total_s']:.2f} s", "render_notice_pdf (WeasyPrint)")
    table.add_row("", "per notice", f"{r['mean_s']:.3f} s",
                  f"first {r['first_s']:.2f} s (cold), median of the others {r['median_rest_s']:.3f} s, "
                  f"slowest {r['max_s']:.3f} s")
    table.add_row("", "PDF size", f"{r['pdf_kb_mean']:.0f} KB",
                  f"mean; {r['pdf_kb_min']:.0f}–{r['pdf_kb_max']:.0f} KB; {pages}")
    table.add_row("3", "queue every notice", f"{s['queue_s'] * 1000:.0f} ms", "Gate.queue_notices(2)")
    table.add_row("", "send every notice", f"{s['send_s']:.2f} s",
                  f"Gate.send_notices + notice_sender → aiosmtpd on 127.0.0.1; {s['counts']['sent']} sent, "
                  f"{s['counts']['retry']} to retry, {s['counts']['failed']} failed")
    table.add_row("", "per notice, end to end", f"{s['per_notice_s']:.3f} s",
                  f"in the sender (build + PDF + SMTP) {sender['mean_s']:.3f} s, median {sender['median_rest_s']:.3f}"
                  f" s; outbox claim, save and audit {s['outbox_overhead_ms']:.1f} ms")
    verdict = "[green]= agencies[/green]" if s["received"] == figures["agencies"] else "[red]≠ agencies[/red]"
    table.add_row("", "messages received by the server", f"{s['received']}",
                  f"{verdict}; one each, to the agency's address, with {NOTICE_ATTACHMENT}; "
                  f"{s['message_kb_mean']:.0f} KB a message")
    table.add_row("4", "peak RSS", f"{figures['peak_rss_mib']:.0f} MiB",
                  f"after set-up {figures['rss_after_setup_mib']:.0f}, build {figures['rss_after_build_mib']:.0f}, "
                  f"PDFs {figures['rss_after_render_mib']:.0f}, sending {figures['rss_after_send_mib']:.0f} MiB")
    console.print(table)
    console.print(f"Whole run {figures['wall_s']:.1f} s.")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run the cases and print the table (or one JSON object)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reminders",
                                     description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--sessions", type=int, default=100, help="sessions tomorrow (default 100)")
    parser.add_argument("--agencies", type=int, default=40,
                        help=f"agencies running them (default 40, at most {MAX_AGENCIES} and --sessions)")
    parser.add_argument("--seed", type=int, default=2020, help="seed of the day's projects and agencies")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be 1..{MAX_SESSIONS}")
    if not 1 <= args.agencies <= min(MAX_AGENCIES, args.sessions):
        parser.error(f"--agencies must be 1..{MAX_AGENCIES} and at most --sessions (each runs a session)")
    figures = measure(args.sessions, args.agencies, args.seed)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        render(figures, Console())
    return 0


if __name__ == "__main__":
    sys.exit(main())
