"""Retention and export on SQLite and PostgreSQL: what the purge removes and keeps, masked exports, the audit."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import attrs
import openpyxl
from sqlalchemy import func, select
from sqlkit import AT, CENTRE, arrival, gate_on, screen_fully

from tenderguard import Agency, BidSession, Gate, ManualClock, load_preset
from tenderguard.records.retention import PurgeCounts
from tenderguard.store.sql import SqlStore
from tenderguard.store.tables import admissions, audit_log, badges, screening_events, screenings

TODAY = AT.date()
RECENT = TODAY - dt.timedelta(days=40)  # past the 28 health-data days, within the attendance period
ANCIENT = TODAY - dt.timedelta(days=1200)  # past the 3-year attendance period


def _day(store: SqlStore, day: dt.date, n: int) -> None:
    """One admitted bidder and one bidder refused for fever on a day."""
    at = AT.replace(year=day.year, month=day.month, day=day.day)
    clock = ManualClock(at)
    gate = gate_on(store, clock)
    gate.register_session(BidSession(code=f"S{n}", project_name="密云区道路工程", opens_at=at + dt.timedelta(hours=1),
                                     hall="第一开标室"))
    desk = gate.desk("A", "王芳")
    assert screen_fully(desk, desk.arrive(arrival(n * 10 + 1, n * 10 + 1, at, session=f"S{n}"))).outcome \
        == "admitted"
    view = screen_fully(desk, desk.arrive(arrival(n * 10 + 2, n * 10 + 2, at, session=f"S{n}")), celsius=38.4)
    clock.advance(minutes=30)
    for _ in range(3):
        if view.closed:
            break
        view = desk.measure(view.id, 38.4)
        clock.advance(minutes=30)
    assert view.reason == "fever"


def _three_days(store: SqlStore) -> Gate:
    for n, day in enumerate((ANCIENT, RECENT, TODAY), start=1):
        _day(store, day, n)
    return gate_on(store, ManualClock(AT))


def _snapshot(store: SqlStore) -> dict[str, object]:
    with store.engine.connect() as conn:
        return {
            "screenings": conn.execute(select(screenings.c.day, screenings.c.name, screenings.c.reason)
                                       .order_by(screenings.c.ordinal)).all(),
            "steps": conn.execute(select(func.count()).select_from(screening_events)).scalar_one(),
            "admissions": conn.execute(select(func.count()).select_from(admissions)).scalar_one(),
            "badges": conn.execute(select(func.count()).select_from(badges)).scalar_one(),
        }


def test_dry_run_reports_and_changes_nothing(store: SqlStore) -> None:
    """A dry run gives the same counts as the real purge and leaves every table as it was."""
    gate = _three_days(store)
    before = _snapshot(store)
    dry = gate.purge(dry_run=True)
    assert _snapshot(store) == before
    real = gate.purge()
    assert dry.counts == real.counts
    assert dry.counts.screenings_scrubbed == 2  # the recent day's two screenings (the ancient day goes whole)
    assert (dry.counts.screenings_deleted, dry.counts.admissions_deleted, dry.counts.badges_deleted) == (2, 1, 1)


def test_purge_keeps_masked_attendance_and_drops_health_data(store: SqlStore) -> None:
    """Old health data goes, the recent attendance stays masked, the ancient day goes, today is untouched."""
    gate = _three_days(store)
    report = gate.purge()
    assert (report.health_before, report.attendance_before) == (TODAY - dt.timedelta(days=28),
                                                                TODAY - dt.timedelta(days=3 * 365))
    with store.engine.connect() as conn:
        rows = conn.execute(select(screenings).order_by(screenings.c.ordinal)).mappings().all()
        days = {r["day"] for r in rows}
        recent = [r for r in rows if r["day"] == RECENT]
        today = [r for r in rows if r["day"] == TODAY]
        recent_steps = conn.execute(select(screening_events.c.sensitive, screening_events.c.detail)
                                    .where(screening_events.c.screening_id.in_([r["id"] for r in recent]))).all()
        kept_badges = conn.execute(select(badges.c.day)).scalars().all()
    assert days == {RECENT, TODAY}
    assert [r["name"] for r in recent] == ["张*", "张*"]
    assert [r["reason"] for r in recent] == [None, "health"]
    assert all(r["fevers"] == 0 and r["phone_masked"] is None and r["health_purged_at"] is not None
               for r in recent)
    assert recent_steps
    assert not any(sensitive for sensitive, _detail in recent_steps)
    assert "38.4" not in repr(recent_steps)
    assert [r["name"] for r in today] == ["张伟", "张伟"]
    assert [r["reason"] for r in today] == [None, "fever"]
    assert sorted(kept_badges) == [RECENT, TODAY]
    assert gate.purge().counts == PurgeCounts()  # a second purge finds nothing more


def test_purge_is_audited_and_the_chain_still_verifies(store: SqlStore) -> None:
    """The purge adds one entry with its counts; the trail (which never held health data) stays whole."""
    gate = _three_days(store)
    report = gate.purge(operator="信息科 李工")
    with store.engine.connect() as conn:
        [entry] = conn.execute(select(audit_log).where(audit_log.c.kind == "purge")).mappings().all()
    assert entry["operator"] == "信息科 李工"
    assert entry["payload"]["screenings_deleted"] == report.counts.screenings_deleted
    assert gate.verify_audit().ok


def test_export_is_masked_by_default_and_audited(store: SqlStore, tmp_path: Path) -> None:
    """A CSV export masks names and IDs, shows the reason in Chinese, and records who exported what."""
    gate = _three_days(store)
    out = tmp_path / "day.csv"
    assert gate.export(TODAY, str(out), operator="王芳") == 2
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["姓名"] for r in rows] == ["张*", "张*"]
    assert all("*" in r["证件号码"] and r["联系电话"].startswith("138****") for r in rows)
    assert rows[1]["原因代码"] == "fever"
    assert rows[1]["原因"].startswith("体温复测")
    assert [r["身份"] for r in rows] == ["投标人", "投标人"]  # names, not the codes bidder or admitted
    assert [r["结果"] for r in rows] == ["准予进入", "拒绝进入"]
    assert "张伟" not in out.read_text(encoding="utf-8-sig")
    with store.engine.connect() as conn:
        [entry] = conn.execute(select(audit_log).where(audit_log.c.kind == "export")).mappings().all()
    assert (entry["subject"], entry["operator"], entry["payload"]) == (
        TODAY.isoformat(), "王芳", {"format": "csv", "rows": 2, "unmasked": False})


def test_unmasked_xlsx_export_shows_names_and_is_flagged(store: SqlStore, tmp_path: Path) -> None:
    """An unmasked XLSX export has the full names (never a full phone) and is audited as unmasked."""
    gate = _three_days(store)
    out = tmp_path / "day.xlsx"
    gate.export(TODAY, str(out), fmt="xlsx", unmasked=True, operator="信息科 李工")
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["到达时间", "开标场次", "开标室"]
    assert [row[6] for row in values[1:]] == ["张伟", "张伟"]
    assert all(str(row[8]).startswith("138****") for row in values[1:])
    arrived = [row[0] for row in values[1:]]
    assert all(isinstance(when, dt.datetime) and when.date() == TODAY for when in arrived)  # Excel date-times
    assert sheet.cell(row=2, column=1).number_format == "yyyy-mm-dd hh:mm:ss"
    assert not list(out.parent.glob(".*.partial"))
    with store.engine.connect() as conn:
        payload = conn.execute(select(audit_log.c.payload).where(audit_log.c.kind == "export")).scalar_one()
    assert payload["unmasked"] is True


def test_full_id_numbers_are_stored_only_when_the_policy_asks(store: SqlStore) -> None:
    """By default only the keyed hash and the masked number are stored; store_full_id keeps the number too."""
    plain = gate_on(store)
    plain.register_agency(Agency(code="AG1", name="北京某某招标代理有限公司"))
    plain.register_session(BidSession(code="S1", project_name="密云区道路工程", opens_at=AT + dt.timedelta(hours=1),
                                      hall="第一开标室", agency="AG1"))
    first = plain.desk("A", "王芳").arrive(arrival(1, 1))
    keeping = Gate(policy=attrs.evolve(load_preset("miyun-2020"), store_full_id=True), centre=CENTRE,
                   uow_factory=store.unit_of_work, clock=ManualClock(AT), secret=b"integration-tests-secret-32bytes")
    second = keeping.desk("A", "王芳").arrive(arrival(2, 2))
    with store.engine.connect() as conn:
        stored = {str(i): n for i, n in conn.execute(select(screenings.c.id, screenings.c.document_number))}
        masked = conn.execute(select(screenings.c.document_masked)).scalars().all()
    assert stored[first.id] is None
    assert stored[second.id] == arrival(2, 2).document.number
    assert all("*" in m for m in masked)


def test_the_export_speaks_english_with_lang_en(store: SqlStore, tmp_path: Path, english: None) -> None:
    """With LANG=en the CSV's headings and names are English; the reason code stays a code."""
    gate = _three_days(store)
    out = tmp_path / "day.csv"
    gate.export(TODAY, str(out), operator="王芳")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["role"], r["outcome"], r["reason code"]) for r in rows] == [
        ("bidder", "admitted", ""), ("bidder", "refused", "fever")]
