"""The pages as the clerks and the supervisor use them (in-process): login, CSRF, the desk's flow, the board."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from webkit import PASSWORD, WebDay

from tenderguard.domain.clock import ManualClock
from tenderguard.domain.model import SHANGHAI, BidSession
from tenderguard.factories import arrival, credit_code, resident_id
from tenderguard.services.wiring import open_gate


def _csrf(client: TestClient) -> dict[str, str]:
    if "csrftoken" not in client.cookies:
        client.get("/login")
    return {"x-csrftoken": client.cookies["csrftoken"], "HX-Request": "true"}


def _login(client: TestClient, name: str, password: str = PASSWORD) -> str:
    answer = client.post("/login", data={"name": name, "password": password}, headers=_csrf(client))
    return str(answer.headers.get("HX-Redirect", answer.text))


def test_a_page_without_login_sends_to_the_login_form(client: TestClient) -> None:
    """The desk without a login: redirected to /login."""
    answer = client.get("/desk", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


def test_a_post_without_the_csrf_token_is_refused(client: TestClient) -> None:
    """A login form posted without the CSRF header (as a forged cross-site form would be): 403."""
    client.get("/login")
    answer = client.post("/login", data={"name": "王芳", "password": PASSWORD})
    assert answer.status_code == 403


def test_each_role_lands_on_its_page(client: TestClient) -> None:
    """A clerk lands on the desk, the supervisor on the board, the door on its scanner page."""
    assert _login(client, "王芳") == "/desk"
    client.cookies.clear()
    assert _login(client, "李强") == "/board"


def test_logins_are_limited_after_five_failures(client: TestClient) -> None:
    """Five wrong passwords, then even the right one waits."""
    for _ in range(5):
        assert _login(client, "赵敏", "wrong-password-1") == "用户名或密码错误"
    assert "过多" in _login(client, "赵敏")


def test_a_desk_cannot_see_the_board(client: TestClient) -> None:
    """A clerk's account is refused the supervisor's board."""
    _login(client, "王芳")
    assert client.get("/board/live").status_code == 403


def _register(client: TestClient, n: int, number: int, **extra: str) -> str:
    data = {"session": "MY-2026-118", "role": "bidder", "id_number": resident_id(n), "name": "张伟",
            "company": f"北京建设工程第{number}分公司", "credit_code": credit_code(number)} | extra
    return str(client.post("/desk/arrive", data=data, headers=_csrf(client)).text)


def _step(client: TestClient, screening: str, **data: str) -> str:
    return str(client.post(f"/desk/s/{screening}", data=data, headers=_csrf(client)).text)


def _finish(client: TestClient, screening: str, html: str) -> str:
    """Pass every step shown from ``html`` on until the screening ends; the last panel."""
    for _ in range(12):
        if "准予进入" in html or "不予进入" in html:
            break
        if 'name="celsius"' in html:
            html = _step(client, screening, action="measure", celsius="36.5")
        elif "提交问询" in html:
            html = _step(client, screening, action="answer")
        elif 'value="complete"' in html:
            html = _step(client, screening, action="declare", value="complete")
        else:
            html = _step(client, screening, action="confirm")
    return html


def _screening_id(html: str) -> str:
    marker = 'data-screening="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


def test_a_fever_parks_the_person_and_the_desk_goes_on(client: TestClient, clock: ManualClock) -> None:
    """A fever frees the form for the next person; the parked one is listed, resumed after the rest, admitted."""
    _login(client, "王芳")
    panel = _register(client, 1, 1)
    first = _screening_id(panel)
    assert "佩戴口罩" in panel
    _step(client, first, action="mask", value="ok")
    html = _step(client, first, action="confirm")
    html = _step(client, first, action="confirm") if "测温" not in html else html
    parked = _step(client, first, action="measure", celsius="38.2")
    assert "已安排休息" in parked
    assert 'id="registration"' in parked  # the form for the next person
    resting = client.get("/desk/resting").text
    assert first in resting
    assert "张*" in resting
    assert "还剩 5 分 0 秒" in resting  # the rest's countdown
    client.post("/desk/lane", data={"lane": "B"}, headers=_csrf(client))
    assert first not in client.get("/desk/resting").text  # another lane never lists this lane's people
    client.post("/desk/lane", data={"lane": "王芳"}, headers=_csrf(client))
    second = _screening_id(_register(client, 2, 2))  # screened meanwhile
    assert second != first
    clock.advance(minutes=6)
    resumed = client.get(f"/desk/s/{first}").text
    assert "复测" in resumed
    html = _finish(client, first, _step(client, first, action="measure", celsius="36.6"))
    assert "准予进入" in html
    serial = html.split('id="badge-serial">')[1].split("<")[0]
    card = client.get(f"/desk/badge/{serial}.pdf")
    assert card.status_code == 200
    assert card.content.startswith(b"%PDF")
    assert first not in client.get("/desk/resting").text


def test_the_place_check_says_when_and_where_never_who(client: TestClient) -> None:
    """A second person of an admitted company: the check says when and at which desk the place was taken."""
    _login(client, "王芳")
    client.post("/desk/lane", data={"lane": "A"}, headers=_csrf(client))
    first = _screening_id(_register(client, 3, 3))
    html = _finish(client, first, _step(client, first, action="mask", value="ok"))
    assert "准予进入" in html
    check = client.post("/desk/check", data={"session": "MY-2026-118", "role": "bidder",
                                             "credit_code": credit_code(3)}, headers=_csrf(client)).text
    assert "08:30" in check
    assert "A入口" in check
    assert "张" not in check


def test_the_web_gate_speaks_chinese_whatever_the_servers_language(client: TestClient, english: None) -> None:
    """The pages are Chinese: a server started with LANG=en_US.UTF-8 still tells the place check in Chinese."""
    _login(client, "王芳")
    client.post("/desk/lane", data={"lane": "A"}, headers=_csrf(client))
    first = _screening_id(_register(client, 5, 5))
    _finish(client, first, _step(client, first, action="mask", value="ok"))
    check = client.post("/desk/check", data={"session": "MY-2026-118", "role": "bidder",
                                             "credit_code": credit_code(5)}, headers=_csrf(client)).text
    assert "本单位今日名额已于08:30在A入口使用（一公司一人）" in check


def test_the_board_shows_the_day_to_the_supervisor(client: TestClient) -> None:
    """The board lists the halls with capacity and the day's counts."""
    _login(client, "王芳")
    _register(client, 4, 4)
    client.cookies.clear()
    _login(client, "李强")
    live = client.get("/board/live").text
    assert "第一开标室" in live
    assert "/ 40" in live
    assert "检查中" in live


def test_the_supervisor_overrides_a_refusal_at_the_desk_with_their_own_account(client: TestClient) -> None:
    """A refusal set aside at the desk by the supervisor's own account.

    One person for two bidders is refused; the supervisor signs the override (own password, the same document
    read again, a reason) and the person goes through the steps; a clerk's account or another document cannot.
    """
    _login(client, "王芳")
    first = _screening_id(_register(client, 6, 6))
    assert "准予进入" in _finish(client, first, _step(client, first, action="mask", value="ok"))
    refused_html = _register(client, 6, 7)  # the same person for another bidder
    assert "不予进入" in refused_html
    assert "监督人员特批" in refused_html
    refused = _screening_id(refused_html)

    def override(**fields: str) -> str:
        data = {"supervisor": "李强", "password": PASSWORD, "id_number": resident_id(6), "reason": "核实为受托"}
        return str(client.post(f"/desk/override/{refused}", data=data | fields, headers=_csrf(client)).text)

    assert "用户名或密码错误" in override(password="not-the-password")  # noqa: S106 - a wrong one on purpose
    assert "不是监督人员" in override(supervisor="赵敏")
    assert "不是该次检查所登记的证件" in override(id_number=resident_id(99))
    assert "不予进入" in override(reason="")
    allowed = override()
    assert "佩戴口罩" in allowed
    assert _screening_id(allowed) != refused


def test_a_company_seen_on_an_earlier_day_is_offered_never_one_of_today(client: TestClient, day: WebDay) -> None:
    """Two characters offer the names (and credit codes) of companies screened before today, and no others."""
    yesterday = dt.datetime.combine(day.day - dt.timedelta(days=1), dt.time(8, 30), tzinfo=SHANGHAI)
    with open_gate(day.config, clock=ManualClock(yesterday)) as opened:
        opened.gate.register_session(BidSession(code="MY-2026-100", project_name="旧项目", hall="第一开标室",
                                                opens_at=yesterday + dt.timedelta(hours=1)))
        desk = opened.gate.desk("A", "王芳")
        desk.arrive(arrival(31, company_name="北京老牌建设有限公司", session="MY-2026-100", at=yesterday))
    _login(client, "王芳")
    _register(client, 32, 32)  # 北京建设工程第32分公司, today: a bidder of a session not opened yet
    offered = client.get("/desk/companies", params={"company": "北京"}).text
    assert "北京老牌建设有限公司" in offered
    assert credit_code(31) in offered
    assert "第32分公司" not in offered
    assert "<option" not in client.get("/desk/companies", params={"company": "北"}).text
    assert "<option" not in client.get("/desk/companies", params={"company": "%%"}).text


def test_a_company_without_a_mainland_credit_code_registers_with_its_own_number(client: TestClient) -> None:
    """A Hong Kong company by its business registration number: screened, and its place counted like any other."""
    _login(client, "王芳")
    hong_kong = {"registration_kind": "HK", "credit_code": "8765 4321", "company": "香港某某工程顾问有限公司"}
    first = _screening_id(_register(client, 41, 41, **hong_kong))
    assert "准予进入" in _finish(client, first, _step(client, first, action="mask", value="ok"))
    check = client.post("/desk/check", data={"session": "MY-2026-118", "role": "bidder", **hong_kong},
                        headers=_csrf(client)).text
    assert "入口使用" in check
    wrong = _register(client, 42, 42, registration_kind="TW", credit_code="04595258", company="台湾某某股份有限公司")
    assert "台湾统一编号检查码不符" in wrong


def test_logins_are_audited_with_the_account_and_the_address(client: TestClient, day: WebDay) -> None:
    """A refused and a successful login each leave an audit entry (never the password)."""
    _login(client, "王芳", "wrong-password-9")
    _login(client, "王芳")
    with open_gate(day.config) as opened, opened.gate.uow_factory() as uow:
        kinds = [e.kind for e in uow.audit.about("王芳") if e.kind.startswith("login")]
        payloads = [dict(e.payload) for e in uow.audit.about("王芳")]
    assert kinds == ["login_refused", "login"]
    assert "wrong-password-9" not in repr(payloads)
    assert PASSWORD not in repr(payloads)


def test_the_supervisor_approves_a_refusal_on_the_board_and_the_desk_applies_it(client: TestClient) -> None:
    """The board approves setting a refusal aside (supervisor only); the desk reads the document again and goes on."""
    _login(client, "王芳")
    first = _screening_id(_register(client, 51, 51))
    assert "准予进入" in _finish(client, first, _step(client, first, action="mask", value="ok"))
    refused = _screening_id(_register(client, 51, 52))  # the same person for another bidder
    assert client.post(f"/board/refusals/{refused}", data={"reason": "核实"}, headers=_csrf(client)).status_code == 403
    client.cookies.clear()
    _login(client, "李强")
    assert "特批" in client.get("/board/live").text
    approved = client.post(f"/board/refusals/{refused}", data={"reason": "已核实为受托代理"}, headers=_csrf(client))
    assert "已特批" in approved.text
    client.cookies.clear()
    _login(client, "王芳")
    panel = client.get(f"/desk/s/{refused}").text
    assert "已在看板特批" in panel
    wrong = client.post(f"/desk/override/{refused}", data={"id_number": resident_id(98)}, headers=_csrf(client))
    assert "不是该次检查所登记的证件" in wrong.text
    allowed = client.post(f"/desk/override/{refused}", data={"id_number": resident_id(51)}, headers=_csrf(client))
    assert "佩戴口罩" in allowed.text


def test_what_a_clerk_types_comes_back_as_text_never_markup(client: TestClient) -> None:
    """A registration number or badge serial typed with markup is shown escaped in the desk's answers."""
    _login(client, "王芳")
    hostile = "<img src=x onerror=alert(1)>"
    check = client.post("/desk/check", data={"session": "MY-2026-118", "role": "bidder",
                                             "credit_code": f"{hostile}:1"}, headers=_csrf(client)).text
    exit_answer = client.post("/desk/exit", data={"badge": hostile}, headers=_csrf(client)).text
    for answer in (check, exit_answer):
        assert "<img" not in answer.lower()
        assert "&lt;" in answer
