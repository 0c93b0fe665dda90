"""The JSON API as a centre's system uses it: tokens, roles, a whole screening, idempotent retries, errors."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from fastapi.testclient import TestClient
from webkit import WebDay

from tenderguard.domain.model import SHANGHAI
from tenderguard.factories import arrival, batch_line, credit_code, passing_action
from tenderguard.keys import load_signing_key
from tenderguard.services.wiring import open_gate


def _auth(day: WebDay, name: str = "王芳", **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {day.tokens[name]}", **extra}


def _line(day: WebDay, n: int, **changes: Any) -> dict[str, Any]:
    at = dt.datetime.combine(day.day, dt.time(8, 30), tzinfo=SHANGHAI)
    line = batch_line(arrival(n, session="MY-2026-118", at=at, name="张伟"))
    line.pop("at")
    return line | changes


def _admit(client: TestClient, day: WebDay, n: int) -> dict[str, Any]:
    view: dict[str, Any] = client.post("/api/v1/screenings", json=_line(day, n), headers=_auth(day)).json()
    while view["outcome"] is None:
        answer = client.post(f"/api/v1/screenings/{view['id']}/actions", json=passing_action(view["expected"]),
                             headers=_auth(day))
        assert answer.status_code == 200, answer.text
        view = answer.json()
    return view


def test_the_openapi_document_lists_the_calls(client: TestClient) -> None:
    """/api/openapi.json describes the API's paths."""
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/v1/sessions", "/api/v1/screenings", "/api/v1/screenings/{screening_id}",
                 "/api/v1/screenings/{screening_id}/actions", "/api/v1/exits", "/api/v1/badges/verify",
                 "/api/v1/signals"):
        assert path in paths


def test_without_a_token_or_with_the_wrong_role_the_api_refuses(client: TestClient, day: WebDay) -> None:
    """No token: 401; a bad token: 401; the door's account opening a screening: 403."""
    assert client.get("/api/v1/sessions").status_code == 401
    assert client.get("/api/v1/sessions", headers={"Authorization": "Bearer tg_nothing"}).status_code == 401
    refused = client.post("/api/v1/screenings", json=_line(day, 1), headers=_auth(day, "刘洋"))
    assert refused.status_code == 403
    assert client.get("/api/v1/signals", headers=_auth(day, "王芳")).status_code == 403


def test_the_sessions_of_the_day_never_name_a_bidder(client: TestClient, day: WebDay) -> None:
    """The day's sessions: code, project, time, hall, status — and nothing about who bids."""
    found = client.get("/api/v1/sessions", params={"date": day.day.isoformat()}, headers=_auth(day)).json()
    assert [s["code"] for s in found] == ["MY-2026-118", "MY-2026-121"]
    assert set(found[0]) == {"code", "project_name", "opens_at", "hall", "status"}
    assert found[0]["status"] == "scheduled"


def test_a_whole_screening_through_the_api_ends_with_a_badge_that_verifies(client: TestClient,
                                                                            day: WebDay) -> None:
    """Arrival, each step, admission; the badge's code verifies valid at the door."""
    view = _admit(client, day, 1)
    assert view["outcome"] == "admitted"
    assert view["name_masked"] == "张*"
    again = client.get(f"/api/v1/screenings/{view['id']}", headers=_auth(day)).json()
    assert again["badge"] == view["badge"]
    with open_gate(day.config) as opened:
        code = opened.gate.badge_code(opened.gate.badge(view["badge"]), load_signing_key(day.config.keys))
    verdict = client.post("/api/v1/badges/verify", json={"code": code}, headers=_auth(day, "刘洋")).json()
    assert (verdict["valid"], verdict["serial"]) == (True, view["badge"])
    forged = client.post("/api/v1/badges/verify", json={"code": code[:-3] + "AAA"}, headers=_auth(day, "刘洋"))
    assert forged.json()["valid"] is False


def test_a_step_out_of_order_is_409_naming_the_expected_actions(client: TestClient, day: WebDay) -> None:
    """Measuring before the mask step: 409 with what the screening expects."""
    view = client.post("/api/v1/screenings", json=_line(day, 2), headers=_auth(day)).json()
    answer = client.post(f"/api/v1/screenings/{view['id']}/actions", json={"action": "measure", "celsius": 36.5},
                         headers=_auth(day))
    assert answer.status_code == 409
    assert answer.json()["expected"] == view["expected"]
    bad = client.post(f"/api/v1/screenings/{view['id']}/actions", json={"action": "fly"}, headers=_auth(day))
    assert bad.status_code == 422
    assert bad.json()["field"] == "action"


def test_a_retried_post_with_its_idempotency_key_changes_nothing(client: TestClient, day: WebDay) -> None:
    """The same key again returns the first answer; the same key for another request is refused."""
    headers = _auth(day, **{"Idempotency-Key": "tablet-7-0001"})
    first = client.post("/api/v1/screenings", json=_line(day, 3), headers=headers)
    again = client.post("/api/v1/screenings", json=_line(day, 3), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = client.post("/api/v1/screenings", json=_line(day, 4), headers=headers)
    assert other.status_code == 422
    step_headers = _auth(day, **{"Idempotency-Key": "tablet-7-0002"})
    url = f"/api/v1/screenings/{first.json()['id']}/actions"
    moved = client.post(url, json={"action": "mask", "condition": "ok"}, headers=step_headers).json()
    replayed = client.post(url, json={"action": "mask", "condition": "ok"}, headers=step_headers).json()
    assert replayed == moved
    assert client.get(f"/api/v1/screenings/{moved['id']}", headers=_auth(day)).json()["state"] == moved["state"]


def test_two_identical_requests_at_once_open_one_screening(client: TestClient, day: WebDay) -> None:
    """Two threads sending the same arrival with one key: one screening; the other gets it or 409 (in progress)."""
    headers = _auth(day, **{"Idempotency-Key": "tablet-9-0001"})
    answers: list[Any] = []

    def send() -> None:
        answers.append(client.post("/api/v1/screenings", json=_line(day, 5), headers=headers))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) in ([201, 201], [201, 409])
    ids = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(ids) == 1
    with open_gate(day.config) as opened:
        assert len(opened.gate.screenings(day.day)) == 1


def test_an_invalid_arrival_is_422_naming_the_field(client: TestClient, day: WebDay) -> None:
    """A wrong ID check digit: 422 with the field, nothing stored."""
    line = _line(day, 6)
    line["id_number"] = line["id_number"][:-1] + ("0" if line["id_number"][-1] != "0" else "1")
    answer = client.post("/api/v1/screenings", json=line, headers=_auth(day))
    assert answer.status_code == 422
    assert answer.json()["field"] == "id_number"


def test_an_exit_is_recorded_once(client: TestClient, day: WebDay) -> None:
    """The badge holder leaves: recorded; the same exit again with its key is the same answer."""
    view = _admit(client, day, 7)
    headers = _auth(day, **{"Idempotency-Key": "exit-1"})
    first = client.post("/api/v1/exits", json={"badge": view["badge"]}, headers=headers)
    again = client.post("/api/v1/exits", json={"badge": view["badge"]}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {"badge": view["badge"], "exited": True}
    second = client.post("/api/v1/exits", json={"badge": view["badge"]}, headers=_auth(day))
    assert second.status_code == 422


def test_the_supervisor_reads_the_signals(client: TestClient, day: WebDay) -> None:
    """One person for two bidder companies: refused, and a signal the supervisor reads (masked)."""
    _admit(client, day, 8)
    other = _line(day, 8, company="北京另一家建设有限公司")
    other["credit_code"] = credit_code(9008)
    view = client.post("/api/v1/screenings", json=other, headers=_auth(day)).json()
    assert view["reason"] == "represents_other_bidder"
    signals = client.get("/api/v1/signals", headers=_auth(day, "李强")).json()
    assert [s["kind"] for s in signals] == ["same_person_two_bidders"]
    assert all("张伟" not in person for s in signals for person in s["people"])
