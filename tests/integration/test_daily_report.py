"""The daily report on SQLite and PostgreSQL, from a realistic day screened through the real gate and desks.

Its figures are checked against a ledger of what the test did, then the audit recount, and the PDF, CSV and XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import openpyxl
import pytest
from pypdf import PdfReader
from sqlkit import CENTRE, NO_RISK, SECRET

from tenderguard import Agency, Arrival, BidSession, Desk, Gate, ManualClock, ScreeningView, factories, load_preset
from tenderguard.domain.model import SHANGHAI
from tenderguard.identity import mask_name
from tenderguard.reports import (
    DailyReport,
    Figures,
    daily_report,
    reconcile,
    render_report_html,
    write_report_csv,
    write_report_pdf,
    write_report_xlsx,
)
from tenderguard.reports.chart import scale
from tenderguard.store.sql import SqlStore

DAY = dt.date(2026, 11, 23)
S1, S2 = "MY-2026-118", "MY-2026-121"
PEOPLE = ("张伟", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴婷", "孙浩", "徐明", "马超")
COMPANIES = tuple(f"北京{word}建设工程有限公司" for word in
                  ("城建", "华远", "京诚", "燕山", "长城", "首安", "鑫达", "顺通", "宏达", "恒信"))
OPERATORS = ("王芳", "李强", "综合科赵工")


def at(hour: int, minute: int = 0) -> dt.datetime:
    """A time of the test day in the centre's time zone."""
    return dt.datetime(2026, 11, 23, hour, minute, tzinfo=SHANGHAI)


@attrs.define
class Screened:
    """One screening the test ran: the desk that opened it, its session, when it opened and when it ended."""

    desk: str
    session: str
    opened: dt.datetime
    closed: dt.datetime | None = None


class BidDay:
    """A bid-opening day at 密云 on a SQL store, with a ledger of what every action should add to the report."""

    def __init__(self, store: SqlStore) -> None:
        """Register the agency and the day's two sessions; open desks A and B."""
        self.clock = ManualClock(at(8, 30))
        self.gate = Gate(policy=load_preset("miyun-2020"), centre=CENTRE, uow_factory=store.unit_of_work,
                         clock=self.clock, secret=SECRET)
        self.gate.register_agency(Agency(code="AG1", name="北京正信招标代理有限公司"))
        self.gate.register_session(BidSession(code=S1, project_name="京沈客专密云站市政配套道路工程",
                                              opens_at=at(10), hall="第一开标室", agency="AG1"))
        self.gate.register_session(BidSession(code=S2, project_name="密云水库环湖路绿化提升工程",
                                              opens_at=at(14), hall="第二开标室", agency="AG1"))
        self.desks = {"A": self.gate.desk("A", OPERATORS[0]), "B": self.gate.desk("B", OPERATORS[1])}
        #: Session -> figure (a field of Figures, ``refused:<reason>``) -> what the test's actions add up to.
        self.expected: dict[str, Counter[str]] = defaultdict(Counter)
        self.screened: dict[str, Screened] = {}
        #: Desk -> the instants of the steps it took (each desk action writes one step record or more).
        self.steps: dict[str, list[dt.datetime]] = defaultdict(list)
        self.badges: dict[int, str] = {}

    # -- the ledger

    def count(self, session: str, *figures: str) -> None:
        """Add one to each figure of a session."""
        for figure in figures:
            self.expected[session][figure] += 1

    def figures(self, session: str | None = None) -> Figures:
        """The figures the ledger expects for one session, or for the whole day."""
        counts = self.expected[session] if session else sum(self.expected.values(), Counter[str]())
        reasons = {key.partition(":")[2]: n for key, n in counts.items() if key.startswith("refused:")}
        plain: dict[str, Any] = {key: counts[key] for key in attrs.fields_dict(Figures)
                                 if key not in ("refused_by_reason", "other_supplies")}
        return attrs.evolve(Figures(refused_by_reason=reasons), **plain)

    # -- driving the desks

    def at_least(self, when: dt.datetime) -> None:
        """Move the clock forward to ``when`` (never back)."""
        self.clock.set(max(self.clock.now(), when))

    def act(self, desk: str, action: Callable[[Desk], ScreeningView]) -> ScreeningView:
        """Half a minute later, one action at a desk; note when it was done and when its screening opened or ended."""
        self.clock.advance(minutes=0.5)
        view = action(self.desks[desk])
        now = self.clock.now()
        self.steps[desk].append(now)
        screened = self.screened.setdefault(view.id, Screened(desk=desk, session=view.session, opened=now))
        if view.closed and screened.closed is None:
            screened.closed = now
        return view

    def step(self, desk: str, view: ScreeningView, action: str, *args: object) -> ScreeningView:
        """One desk action on a screening: ``mask``, ``confirm``, ``measure``, ``answer``, ``declare``, ``abandon``."""
        screening = view.id

        def call(d: Desk) -> ScreeningView:
            result: ScreeningView = getattr(d, action)(screening, *args)
            return result

        return self.act(desk, call)

    def arrival(self, person: int, company: int, session: str, *, key_area: bool = False) -> Arrival:
        """Person ``n`` of company ``m`` arriving now for a session as a bidder."""
        return factories.arrival(person, company, session=session, at=self.clock.now(), name=PEOPLE[person],
                                 company_name=COMPANIES[company], phone="13800138000", key_area=key_area)

    def arrive(self, desk: str, person: int, company: int, session: str, *, key_area: bool = False
               ) -> ScreeningView:
        """A person arrives at a desk: one more arrival of the session."""
        view = self.act(desk, lambda d: d.arrive(self.arrival(person, company, session, key_area=key_area)))
        self.count(session, "arrivals")
        return view

    def finish(self, desk: str, view: ScreeningView, *, person: int | None = None) -> ScreeningView:
        """Pass every remaining step (no risk, normal temperature) until the screening is admitted."""
        passing: dict[str, tuple[str, tuple[object, ...]]] = {
            "answer": ("answer", (NO_RISK,)), "mask": ("mask", ("ok",)), "measure": ("measure", (36.5,)),
            "declare": ("declare", ("complete",)),
        }
        while not view.closed:
            action, args = passing.get(view.expected[0].partition("(")[0], ("confirm", ()))
            view = self.step(desk, view, action, *args)
        assert view.outcome == "admitted"
        self.count(view.session, "admitted")
        if not view.reentry:
            self.count(view.session, "badges_issued")
            assert view.badge is not None
            if person is not None:
                self.badges[person] = view.badge
        return view

    def rest(self, view: ScreeningView) -> None:
        """Wait until a person resting after a fever may be measured again."""
        assert view.rest_until is not None
        self.at_least(view.rest_until)

    # -- the day

    def run(self) -> None:
        """Screen the day: every case the report counts, at two desks, over four hours of arrivals."""
        self.morning_at_desk_a()
        self.morning_at_desk_b()
        self.late_morning()
        self.afternoon()

    def morning_at_desk_a(self) -> None:
        """08:30 desk A: an ordinary bidder; a fever passing on re-measure; an implausible reading meanwhile."""
        self.finish("A", self.arrive("A", 0, 0, S1), person=0)
        fever = self.arrive("A", 1, 1, S1)
        fever = self.step("A", fever, "mask", "replaced")
        self.count(S1, "masks_handed_out")
        fever = self.step("A", self.step("A", fever, "confirm"), "confirm")
        fever = self.step("A", fever, "measure", 37.8)
        self.count(S1, "fevers")
        # While that one rests, the next one is screened; the first reading is implausible.
        other = self.arrive("A", 2, 2, S1)
        other = self.step("A", other, "mask", "ok")
        other = self.step("A", self.step("A", other, "confirm"), "confirm")
        other = self.step("A", other, "measure", 30.0)
        assert not other.closed
        self.count(S1, "measuring_errors")
        self.finish("A", other, person=2)
        # The fever passes on the re-measure; the declaration form is missing and filled in at the desk.
        self.rest(fever)
        fever = self.step("A", fever, "measure", 36.7)
        self.count(S1, "remeasures")
        fever = self.step("A", fever, "answer", NO_RISK)
        fever = self.step("A", fever, "declare", "missing")
        fever = self.step("A", fever, "declare", "complete")
        self.count(S1, "declarations_filled_in")
        self.finish("A", fever, person=1)

    def morning_at_desk_b(self) -> None:
        """08:50 desk B: a fever that stays (the company's second person is refused meanwhile); a key-area referral."""
        self.at_least(at(8, 50))
        hot = self.arrive("B", 3, 3, S1)
        for action, args in (("mask", ("ok",)), ("confirm", ()), ("confirm", ()), ("measure", (38.4,))):
            hot = self.step("B", hot, action, *args)
        self.count(S1, "fevers")
        second = self.arrive("B", 4, 0, S1)
        assert (second.outcome, second.reason) == ("refused", "company_quota")
        self.count(S1, "refused", "refused:company_quota")
        for celsius in (38.3, 38.5):
            self.rest(hot)
            hot = self.step("B", hot, "measure", celsius)
            self.count(S1, "remeasures")
        assert (hot.outcome, hot.reason) == ("refused", "fever")
        self.count(S1, "refused", "refused:fever")
        self.at_least(at(9, 10))
        referred = self.arrive("B", 5, 4, S1, key_area=True)
        assert (referred.outcome, referred.reason) == ("referred", "key_area")
        self.count(S1, "referred")

    def late_morning(self) -> None:
        """Symptoms at desk A; a re-entry after an exit; a substitution at desk B; a reprinted badge."""
        self.at_least(at(9, 20))
        ill = self.arrive("A", 6, 5, S1)
        for action, args in (("mask", ("ok",)), ("confirm", ()), ("confirm", ()), ("measure", (36.4,))):
            ill = self.step("A", ill, action, *args)
        ill = self.step("A", ill, "answer", NO_RISK | {"symptoms": True})
        assert (ill.outcome, ill.reason) == ("refused", "symptoms")
        self.count(S1, "refused", "refused:symptoms")
        # 09:30 the first bidder goes out; 09:45 comes back in with the same badge (re-entry steps only).
        self.at_least(at(9, 30))
        self.desks["A"].record_exit(self.badges[0])
        self.at_least(at(9, 45))
        again = self.arrive("A", 0, 0, S1)
        assert again.reentry
        self.count(S1, "reentries")
        assert self.finish("A", again).badge == self.badges[0]
        # 10:20 desk B: company 1 hands back its badge and sends another person.
        self.at_least(at(10, 20))
        substitute = self.act("B", lambda d: d.substitute(self.arrival(7, 1, S1), replaces=self.badges[1],
                                                          reason="原参会人员临时有事,单位改派"))
        self.count(S1, "arrivals", "substitutions", "badges_revoked")
        self.finish("B", substitute, person=7)
        # 11:00 the office reprints a lost badge.
        self.at_least(at(11))
        self.gate.reprint_badge(self.badges[2], reason="标识遗失", operator=OPERATORS[2])
        self.count(S1, "badges_reprinted")

    def afternoon(self) -> None:
        """Session 2: one admitted, one leaving half-way, one still at the desk, one with a new mask; a revocation."""
        self.at_least(at(13, 10))
        self.finish("B", self.arrive("B", 8, 6, S2), person=8)
        self.at_least(at(13, 20))
        gone = self.step("A", self.arrive("A", 9, 7, S2), "mask", "ok")
        assert self.step("A", gone, "abandon").outcome == "abandoned"
        self.count(S2, "abandoned")
        self.at_least(at(13, 25))
        waiting = self.step("B", self.arrive("B", 10, 8, S2), "mask", "ok")
        assert not self.step("B", waiting, "confirm").closed
        self.count(S2, "still_open")
        self.at_least(at(13, 30))
        masked = self.step("A", self.arrive("A", 11, 9, S2), "mask", "replaced")
        self.count(S2, "masks_handed_out")
        self.finish("A", masked, person=11)
        # 13:50 a badge issued by mistake is revoked.
        self.at_least(at(13, 50))
        self.gate.revoke_badge(self.badges[8], reason="误发标识", operator=OPERATORS[2])
        self.count(S2, "badges_revoked")

    # -- independent recounts of the desks and hours

    def peak(self, desk: str) -> int:
        """The most screenings the desk opened that were in progress at one of their opening instants."""
        mine = [s for s in self.screened.values() if s.desk == desk]

        def in_progress(t: dt.datetime) -> int:
            return sum(1 for s in mine if s.opened <= t and (s.closed is None or s.closed > t
                                                              or s.closed == s.opened == t))

        return max(in_progress(s.opened) for s in mine)

    def hourly(self) -> list[tuple[str, int]]:
        """Arrivals per hour from the first arrival's hour to the last's."""
        counts = Counter(s.opened.hour for s in self.screened.values())
        return [(f"{hour:02d}:00", counts[hour]) for hour in range(min(counts), max(counts) + 1)]


@pytest.fixture
def day(store: SqlStore) -> BidDay:
    """The test day, screened."""
    screened = BidDay(store)
    screened.run()
    return screened


@pytest.fixture
def report(store: SqlStore, day: BidDay) -> DailyReport:
    """The day's report, read from the store."""
    with store.unit_of_work() as uow:
        return daily_report(uow, day=DAY, centre=CENTRE, policy=day.gate.policy)


def _text(pdf: Path) -> str:
    """The PDF's text, each run of whitespace made one space."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(pdf).pages).split())


def test_report_counts_what_was_done_per_session_and_in_total(day: BidDay, report: DailyReport) -> None:
    """Every figure of each session and of the day equals the ledger of the actions taken."""
    assert [s.code for s in report.sessions] == [S1, S2]
    for code in (S1, S2):
        assert report.session(code).figures == day.figures(code), code
    assert report.totals == day.figures()
    assert report.totals.refused_by_reason == {"company_quota": 1, "fever": 1, "symptoms": 1}
    assert report.totals.arrivals == len(day.screened)
    assert (report.session(S1).hall, report.session(S2).project_name) == ("第一开标室", "密云水库环湖路绿化提升工程")
    assert report.as_of == max(max(times) for times in day.steps.values())


def test_desks_and_hours_match_an_independent_recount(day: BidDay, report: DailyReport) -> None:
    """Per desk: screenings, finished, busy span, throughput and peak queue; per hour: arrivals."""
    assert [d.desk for d in report.desks] == ["A", "B"]
    for figures in report.desks:
        mine = [s for s in day.screened.values() if s.desk == figures.desk]
        finished = sum(1 for s in mine if s.closed is not None)
        first, last = min(day.steps[figures.desk]), max(day.steps[figures.desk])
        assert (figures.screenings, figures.finished) == (len(mine), finished)
        assert (figures.first_step, figures.last_step) == (first, last)
        assert figures.throughput == pytest.approx(finished / ((last - first).total_seconds() / 60))
        assert figures.peak_queue == day.peak(figures.desk)
        assert figures.peak_queue >= 2  # a person resting after a fever while the next one is screened
    assert [(h.label, h.arrivals) for h in report.hourly] == day.hourly()


def test_reconcile_agrees_with_the_audit_trail(store: SqlStore, report: DailyReport) -> None:
    """The audit recount finds no difference; a report with one figure changed is caught."""
    with store.unit_of_work() as uow:
        assert reconcile(report, uow) == []
        uow.commit()  # keep the seal
    with store.unit_of_work() as uow:
        assert uow.audit.pending() == 0
        wrong = attrs.evolve(report, totals=attrs.evolve(report.totals, admitted=report.totals.admitted + 1))
        assert reconcile(wrong, uow) == [f"admitted: the report says {report.totals.admitted + 1}, "
                                         f"the audit trail {report.totals.admitted}"]


def test_pdf_prints_totals_and_sessions_and_no_person(day: BidDay, report: DailyReport, tmp_path: Path) -> None:
    """The PDF's text holds the totals and every session code, and not one name, company or operator."""
    text = _text(write_report_pdf(report, tmp_path / "daily.pdf"))
    t = day.figures()
    assert (f"全天到达 {t.arrivals} 人次，准予进入 {t.admitted} 人次，拒绝进入 {t.refused} 人次，"
            f"转介 {t.referred} 人次，中途离开 {t.abandoned} 人次，尚未完成 {t.still_open} 人次") in text
    for _key, label, value in report.totals.rows():
        if not _key.startswith(("refused:", "supplies:")):
            assert re.search(rf"{re.escape(label)} {value}\b", text), label
    for code in (S1, S2):
        assert code in text
    for name in (*PEOPLE, *COMPANIES, *OPERATORS):
        assert name not in text, name
        assert mask_name(name) not in text, name
    assert "1380" not in text
    assert not list(tmp_path.glob(".*.part"))


def test_csv_and_xlsx_hold_the_same_figures(day: BidDay, report: DailyReport, tmp_path: Path) -> None:
    """Read back, the CSV and the XLSX give the ledger's totals, the sessions, the desks and the hours."""
    expected = {key: value for key, _label, value in day.figures().rows()}
    with write_report_csv(report, tmp_path / "daily.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["指标代码"]: int(r["数值"]) for r in rows if r["类别"] == "合计"} == expected
    for code in (S1, S2):
        assert {r["指标代码"]: int(r["数值"]) for r in rows if r["对象"] == code} == \
            {key: value for key, _label, value in day.figures(code).rows()}
    assert [(r["对象"], int(r["数值"])) for r in rows if r["类别"] == "时段"] == day.hourly()

    book = openpyxl.load_workbook(write_report_xlsx(report, tmp_path / "daily.xlsx"))
    assert book.sheetnames == ["合计", "各场次", "各入口", "分时段", "监督信号"]
    signal_rows = list(book["监督信号"].iter_rows(min_row=2, values_only=True))
    assert {str(code): count for _kind, _status, count, code in signal_rows} == \
        {key: count for key, _label, count in report.signal_rows()}
    totals = list(book["合计"].iter_rows(min_row=2, values_only=True))
    assert {str(code): value for _label, value, code in totals} == expected
    sessions = list(book["各场次"].iter_rows(values_only=True))
    heading = [str(cell) for cell in sessions[0]]
    by_label = {label: key for key, label, _value in day.figures().rows()}
    for row in sessions[1:]:
        code = str(row[0])
        figures = day.figures() if code == "合计" else day.figures(code)
        assert {by_label[h]: v for h, v in zip(heading[4:], row[4:], strict=True)} == \
            {by_label[h]: figures.value(by_label[h]) for h in heading[4:]}
    desks = {str(row[0]): row for row in book["各入口"].iter_rows(min_row=2, values_only=True)}
    assert {desk: (row[1], row[7]) for desk, row in desks.items()} == \
        {d: (sum(1 for s in day.screened.values() if s.desk == d), day.peak(d)) for d in ("A", "B")}
    assert [(str(h), n) for h, n in book["分时段"].iter_rows(min_row=2, values_only=True)] == day.hourly()
    with zipfile.ZipFile(tmp_path / "daily.xlsx") as package:  # openpyxl does not read charts back: the XML does
        chart = package.read("xl/charts/chart1.xml").decode("utf-8")
    hours = len(day.hourly())
    assert f"'分时段'!$B$2:$B${hours + 1}" in chart
    assert f"'分时段'!$A$2:$A${hours + 1}" in chart
    assert "分时段到达人次" in chart


def test_hourly_chart_has_one_bar_per_hour_with_arrivals(day: BidDay, report: DailyReport) -> None:
    """The chart has a labelled column for every hour and a bar, as tall as its share, only where people came."""
    html = render_report_html(report)
    bars = re.findall(r'class="bar" data-hour="([0-9:]+)" data-arrivals="(\d+)" style="height: ([0-9.]+)mm"', html)
    with_arrivals = [(label, n) for label, n in day.hourly() if n]
    assert [(label, int(n)) for label, n, _height in bars] == with_arrivals
    top, _step = scale(max(n for _label, n in with_arrivals))
    assert all(float(height) == pytest.approx(42 * int(n) / top, abs=0.06) for _label, n, height in bars)
    hours = re.search(r'<tr class="hours">(.*?)</tr>', html, re.S)
    assert hours is not None
    labels = re.findall(r"<td>([0-9:]+)</td>", hours.group(1))
    assert {label for label, _n in day.hourly()} <= set(labels)  # every hour of the day's arrivals
    assert labels[0] <= "08:00"  # and the working hours at least
    assert labels[-1] >= "17:00"
    assert len(day.hourly()) > len(with_arrivals)  # the lunch hours have no bar
    for absent in ("<script", "http", "<img", "url("):
        assert absent not in html


def test_a_day_without_arrivals_reports_zeros(store: SqlStore, tmp_path: Path) -> None:
    """A day with its sessions registered and nobody screened: zero figures, no desks, no chart, a PDF."""
    gate = BidDay(store).gate
    with store.unit_of_work() as uow:
        empty = daily_report(uow, day=DAY, centre=CENTRE, policy=gate.policy)
        assert reconcile(empty, uow) == []
    assert empty.totals == Figures()
    assert [s.figures for s in empty.sessions] == [Figures(), Figures()]
    assert (empty.desks, empty.hourly, empty.as_of) == ((), (), None)
    assert "当日无到达记录" in _text(write_report_pdf(empty, tmp_path / "empty.pdf"))


def test_after_the_health_purge_the_report_still_reconciles(store: SqlStore, day: BidDay, tmp_path: Path) -> None:
    """Once the day's health data is purged: health figures drop to zero, health reasons read 'health', no mismatch."""
    before = day.figures()
    day.gate.purge(today=DAY + dt.timedelta(days=40), operator=OPERATORS[2])
    with store.unit_of_work() as uow:
        purged = daily_report(uow, day=DAY, centre=CENTRE, policy=day.gate.policy)
        assert reconcile(purged, uow) == []
    assert purged.health_purged == len(day.screened)
    assert purged.totals == attrs.evolve(before, fevers=0, remeasures=0, measuring_errors=0,
                                         declarations_filled_in=0,
                                         refused_by_reason={"company_quota": 1, "health": 2})
    assert [(d.desk, d.screenings, d.finished) for d in purged.desks] == \
        [(d, sum(1 for s in day.screened.values() if s.desk == d),
          sum(1 for s in day.screened.values() if s.desk == d and s.closed)) for d in ("A", "B")]
    text = _text(write_report_pdf(purged, tmp_path / "purged.pdf"))
    assert f"其中 {len(day.screened)} 人次的健康数据已按保存期限删除" in text
    assert "健康原因" in text


def test_reconcile_reads_the_trail_of_the_day_and_the_next_only(store: SqlStore, report: DailyReport,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The recount asks the trail only for entries from the day's midnight to two days later, and still agrees."""
    asked: list[tuple[dt.datetime | None, dt.datetime | None]] = []
    with store.unit_of_work() as uow:
        repository = type(uow.audit)
        entries = repository.entries

        def spy(self: Any, after: int = 0, limit: int | None = None, *, since: dt.datetime | None = None,
                until: dt.datetime | None = None) -> list[Any]:
            asked.append((since, until))
            return entries(self, after, limit, since=since, until=until)

        monkeypatch.setattr(repository, "entries", spy)
        assert reconcile(report, uow) == []
    midnight = dt.datetime.combine(DAY, dt.time(), tzinfo=CENTRE.tz)
    assert asked
    assert set(asked) == {(midnight, midnight + dt.timedelta(days=2))}
