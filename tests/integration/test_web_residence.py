"""The web desk asks a refused person's residence (居住街道/社区) when the policy tells the community; nowhere else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from accountkit import use_cheap_hashes
from fastapi.testclient import TestClient
from webkit import PASSWORD, WebDay, make_day

from tenderguard.domain.clock import ManualClock
from tenderguard.domain.model import SHANGHAI
from tenderguard.factories import credit_code, resident_id
from tenderguard.services.wiring import open_gate
from tenderguard.web import create_app

RESIDENCE = "鼓楼街道沿湖社区"


@pytest.fixture
def community_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WebDay:
    """Today's gate on miyun-2020 with ``[refusal_notices] notify_community = true``."""
    use_cheap_hashes(monkeypatch)
    policy = tmp_path / "community.toml"
    preset = (resources.files("tenderguard") / "presets" / "miyun-2020.toml").read_text(encoding="utf-8")
    policy.write_text(preset + "\n[refusal_notices]\nnotify_community = true\n", encoding="utf-8")
    return make_day(tmp_path / "day", policy=str(policy))


@pytest.fixture
def desk_client(community_day: WebDay) -> Iterator[tuple[TestClient, ManualClock]]:
    """The web gate in-process at 08:30, the clerk 王芳 logged in."""
    clock = ManualClock(dt.datetime.combine(community_day.day, dt.time(8, 30), tzinfo=SHANGHAI))
    with TestClient(create_app(community_day.config, clock=clock)) as client:
        client.post("/login", data={"name": "王芳", "password": PASSWORD}, headers=_csrf(client))
        yield client, clock


def _csrf(client: TestClient) -> dict[str, str]:
    if "csrftoken" not in client.cookies:
        client.get("/login")
    return {"x-csrftoken": client.cookies["csrftoken"], "HX-Request": "true"}


def _post(client: TestClient, url: str, **data: str) -> str:
    return str(client.post(url, data=data, headers=_csrf(client)).text)


def _refused_for_fever(client: TestClient, clock: ManualClock) -> tuple[str, str]:
    """Register a bidder and measure a fever until the refusal; the screening's id and the refusal panel."""
    html = _post(client, "/desk/arrive", session="MY-2026-118", role="bidder", id_number=resident_id(1),
                 name="张伟", company="北京建设工程第1分公司", credit_code=credit_code(1))
    marker = 'data-screening="'
    screening = html[html.index(marker) + len(marker):].split('"', 1)[0]
    for _ in range(12):
        if "不予进入" in html:
            return screening, html
        if 'name="celsius"' in html or "已安排休息" in html:
            clock.advance(minutes=6)
            html = _post(client, f"/desk/s/{screening}", action="measure", celsius="38.6")
            if "已安排休息" in html:
                html = client.get(f"/desk/s/{screening}").text
        elif 'value="ok"' in html:
            html = _post(client, f"/desk/s/{screening}", action="mask", value="ok")
        else:
            html = _post(client, f"/desk/s/{screening}", action="confirm")
    raise AssertionError("the screening did not end in a refusal")


def test_the_refusal_panel_asks_the_residence_and_keeps_it(desk_client: tuple[TestClient, ManualClock],
                                                          community_day: WebDay) -> None:
    """居住街道/社区 is asked on the refusal; the answer is kept, the panel says so, the board never shows it."""
    client, clock = desk_client
    screening, panel = _refused_for_fever(client, clock)
    assert "居住街道/社区" in panel
    assert f'hx-post="/desk/residence/{screening}"' in panel
    answer = _post(client, f"/desk/residence/{screening}", residence=RESIDENCE)
    assert "已登记居住地" in answer
    assert RESIDENCE not in answer  # not echoed back on the screen
    with open_gate(community_day.config) as opened, opened.gate.uow_factory() as uow:
        stored = uow.screenings.get(screening)
    assert stored is not None
    assert stored.residence == RESIDENCE
    client.post("/logout", headers=_csrf(client))
    client.post("/login", data={"name": "李强", "password": PASSWORD}, headers=_csrf(client))
    board = client.get("/board/live")
    assert board.status_code == 200
    assert RESIDENCE not in board.text


def test_a_residence_with_a_control_character_is_refused_and_not_kept(
        desk_client: tuple[TestClient, ManualClock], community_day: WebDay) -> None:
    """Text the gate refuses for a name is refused here too: the panel shows the problem, nothing is stored."""
    client, clock = desk_client
    screening, _panel = _refused_for_fever(client, clock)
    answer = _post(client, f"/desk/residence/{screening}", residence="鼓楼\x07街道")
    assert 'role="alert"' in answer
    with open_gate(community_day.config) as opened, opened.gate.uow_factory() as uow:
        stored = uow.screenings.get(screening)
    assert stored is not None
    assert stored.residence is None
