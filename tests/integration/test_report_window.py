"""The daily report reads the trail of its day (and the next), not all the history after it (every store)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from gatekit import COMPANIES, DAY, PEOPLE, HarnessFactory

from tenderguard.records.audit import AuditEntry, sealed_entries
from tenderguard.reports import recount


def test_a_past_days_report_reads_only_its_days_trail_and_still_finds_a_later_revocation(
        make: HarnessFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Days of later history are not read; a badge revoked days later still reconciles."""
    h = make("badge-only")
    first = h.admit(PEOPLE[0], COMPANIES[0])
    h.admit(PEOPLE[1], COMPANIES[1])
    assert first.badge is not None
    h.clock.advance(days=5)
    h.gate.revoke_badge(first.badge, reason="事后发现证件有误", operator="王芳")
    for n in range(2, 6):  # later days' screenings: none of their entries is read for DAY's report
        h.add_session(f"MY-2026-2{n:02d}", h.clock.now().replace(hour=14), "第二开标室")
        h.admit(PEOPLE[n], COMPANIES[n % len(COMPANIES)], session=f"MY-2026-2{n:02d}")
    seen: list[AuditEntry] = []

    def counting(*args: Any, **kwargs: Any) -> Iterator[AuditEntry]:
        for entry in sealed_entries(*args, **kwargs):
            seen.append(entry)
            yield entry

    monkeypatch.setattr(recount, "sealed_entries", counting)
    report, problems = h.gate.daily_report(DAY)
    assert problems == []
    assert report.totals.badges_revoked == 1
    assert seen
    assert all(h.centre.day_of(e.at) <= DAY + dt.timedelta(days=1) for e in seen)
