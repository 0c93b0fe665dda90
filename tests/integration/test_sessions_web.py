"""The web gate and a session that changed: its status in the day's list, and the desk's refusal in Chinese."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from webkit import WebDay

from tenderguard.domain.clock import ManualClock
from tenderguard.domain.model import SHANGHAI
from tenderguard.factories import arrival, batch_line
from tenderguard.services.wiring import open_gate


def test_an_arrival_for_a_cancelled_session_is_refused_with_the_reason(client: TestClient, day: WebDay) -> None:
    """Cancelled before the gate opened: listed as cancelled; an arrival for it is 422 saying so, in Chinese."""
    with open_gate(day.config, clock=ManualClock(dt.datetime.combine(day.day, dt.time(7, 0), tzinfo=SHANGHAI))) \
            as opened:
        opened.gate.cancel_session("MY-2026-118", operator="王芳", reason="招标人撤回")
    auth = {"Authorization": f"Bearer {day.tokens['王芳']}"}
    listed = client.get("/api/v1/sessions", params={"date": day.day.isoformat()}, headers=auth).json()
    assert [(s["code"], s["status"]) for s in listed] == [("MY-2026-118", "cancelled"), ("MY-2026-121", "scheduled")]
    line = batch_line(arrival(1, session="MY-2026-118", at=dt.datetime.combine(day.day, dt.time(8, 30),
                                                                                tzinfo=SHANGHAI), name="张伟"))
    line.pop("at")
    refused = client.post("/api/v1/screenings", json=line, headers=auth)
    assert refused.status_code == 422
    assert refused.json()["error"] == "SessionStatusError"
    assert "场次 MY-2026-118 已取消（招标人撤回）" in refused.json()["message"]
