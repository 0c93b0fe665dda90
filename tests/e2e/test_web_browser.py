"""The web gate in a real browser (Debian's Chromium driven by Playwright) against a real ``tenderguard serve``.

A clerk screens an ordinary admission, a fever that is parked while another person is screened and then passes,
a second person of an admitted company and a substitution; the supervisor sees the board change and decides a
signal. Every page is saved as a 1024x768 screenshot in ``build/screenshots/``, and no page loads anything from
another host.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect
from webkit import PASSWORD, WebDay, chromium, make_day, serving

from tenderguard.factories import credit_code, resident_id

#: A real server and a real browser: the long pass runs them.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "screenshots"
TABLET: ViewportSize = {"width": 1024, "height": 768}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, WebDay]]:
    """``tenderguard serve`` on today's database (the Miyun steps with no rest after a fever, so a test waits not)."""
    folder = tmp_path_factory.mktemp("web")
    preset = (ROOT / "tenderguard" / "presets" / "miyun-2020.toml").read_text(encoding="utf-8")
    policy = folder / "policy.toml"
    policy.write_text(preset.replace("rest_minutes = 5", "rest_minutes = 0"), encoding="utf-8")
    day = make_day(folder, policy=str(policy))
    with serving(day, str(policy)) as base:
        yield base, day


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (installed by scripts/run.sh; Playwright downloads no browser)."""
    with chromium() as found:
        yield found


def _page(browser: Browser, base: str) -> tuple[Page, list[str]]:
    context = browser.new_context(viewport=TABLET, locale="zh-CN")
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{base}/login")
    return page, requested


def _login(page: Page, name: str) -> None:
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('登录')")


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _register(page: Page, n: int, company: int, *, replaces: str | None = None, taken: bool = False) -> None:
    expect(page.locator("#registration")).to_be_visible()
    page.select_option("#session", "MY-2026-118")
    page.fill("#id_number", resident_id(n))
    page.press("#id_number", "Enter")  # as an ID card reader does: the next field takes the focus
    expect(page.locator("#name")).to_be_focused()
    page.fill("#name", "张伟")
    page.fill("#company", f"北京建设工程第{company}分公司")
    page.fill("#credit_code", credit_code(company))
    page.press("#credit_code", "Tab")  # leaving the field runs the place check
    if taken:
        expect(page.locator("#place-check")).to_contain_text("入口使用")
        _shot(page, "desk-place-taken")
    if replaces:
        page.click("summary:has-text('换人')")
        page.fill("#replaces", replaces)
        page.fill("#substitute_reason", "原代表临时有事")
    _submit(page, "button:has-text('开始检查')")


def _submit(page: Page, selector: str) -> None:
    """Click what submits the desk's panel and wait until htmx has swapped the answer in."""
    page.evaluate("document.querySelectorAll('#work > *').forEach(e => e.setAttribute('data-stale', ''))")
    page.click(selector)
    page.wait_for_selector("#work > :not([data-stale])")


def _until(page: Page, *, celsius: str = "36.5") -> None:
    """Take the steps shown until the screening ends or the person is parked."""
    for _ in range(15):
        if page.locator("#work .outcome").count() or page.locator("#work #registration").count():
            return
        if page.locator("input[name=celsius]").count():
            for key in celsius:
                page.click(f".numpad [data-key='{key}']")
            _submit(page, "button:has-text('记录体温')")
        elif page.locator("button:has-text('提交问询')").count():
            _submit(page, "button:has-text('提交问询')")
        elif page.locator("button[value=ok]").count():
            _submit(page, "button[value=ok]")
        elif page.locator("button[value=complete]").count():
            _submit(page, "button[value=complete]")
        elif page.locator("button[value=confirm]").count():
            _submit(page, "button[value=confirm]")
        else:
            raise AssertionError(f"no step to take on: {page.inner_text('#work')}")
    raise AssertionError("the screening did not end")


def test_a_clerk_screens_the_day_at_the_desk(server: tuple[str, WebDay], browser: Browser) -> None:
    """A clerk's morning at the desk.

    Login; a fever parked while the next person is admitted; the parked one resumed and admitted; a second person
    of an admitted company told when and where the place went (before any step); a substitution.
    """
    base, _day = server
    page, requested = _page(browser, base)
    _shot(page, "login")
    _login(page, "王芳")
    expect(page).to_have_url(f"{base}/desk")
    expect(page.locator("#registration")).to_be_visible()
    _shot(page, "desk-form")
    _register(page, 11, 501)
    expect(page.locator(".panel h2")).to_have_text("佩戴口罩")
    _shot(page, "desk-step")
    _until(page, celsius="38.2")
    expect(page.locator("#registration .warn")).to_contain_text("已安排休息")
    expect(page.locator("#resting")).to_contain_text("张*")
    _shot(page, "desk-fever-parked")
    _register(page, 12, 502)  # the next person, while the first rests
    _until(page)
    expect(page.locator(".outcome")).to_contain_text("准予进入")
    first_badge = page.locator("#badge-serial").inner_text()
    _shot(page, "desk-admitted")
    page.click("#resting button:has-text('继续检查')")
    expect(page.locator(".panel")).to_contain_text("复测")
    _until(page)
    expect(page.locator(".outcome")).to_contain_text("准予进入")
    page.click("button:has-text('登记下一位')")
    _register(page, 13, 502, taken=True)  # a second person of company 502, already admitted
    expect(page.locator(".outcome")).to_contain_text("不予进入")
    page.click("button:has-text('登记下一位')")
    _register(page, 14, 502, replaces=first_badge)
    _until(page)
    expect(page.locator(".outcome")).to_contain_text("准予进入")
    assert [url for url in requested if not url.startswith(base)] == []


def test_the_supervisor_sees_the_board_and_decides_a_signal(server: tuple[str, WebDay], browser: Browser) -> None:
    """One person for two bidders raises a signal; the board shows it and the supervisor dismisses it."""
    base, _day = server
    desk, _ = _page(browser, base)
    _login(desk, "赵敏")
    _register(desk, 21, 601)
    _until(desk)
    desk.click("button:has-text('登记下一位')")
    _register(desk, 21, 602)  # the same person for another bidder
    expect(desk.locator(".outcome")).to_contain_text("不予进入")
    page, requested = _page(browser, base)
    _login(page, "李强")
    expect(page).to_have_url(f"{base}/board")
    expect(page.locator("#signals")).to_contain_text("同一人代表两家投标单位")
    expect(page.locator("#admitted")).not_to_have_text("0")
    _shot(page, "board")
    signal = page.locator("#signals .signal").first
    signal.locator("input[name=reason]").fill("核实为同名不同人")
    signal.locator("button[value=dismiss]").click()
    expect(page.locator("#signals")).to_contain_text("无")
    _shot(page, "board-decided")
    assert [url for url in requested if not url.startswith(base)] == []


def test_a_scanned_declaration_form_picks_its_session(server: tuple[str, WebDay], browser: Browser) -> None:
    """The form's QR code read into the desk picks its session; another day's or centre's form is named as such."""
    base, day = server
    page, _ = _page(browser, base)
    _login(page, "赵敏")
    expect(page.locator("#registration")).to_be_visible()
    page.fill("#form-scan", f"TGFORM|MY|MY-2026-121|{day.day:%Y%m%d}")
    page.press("#form-scan", "Enter")
    expect(page.locator("#form-scan-result")).to_contain_text("调查表场次")
    assert page.locator("#session").input_value() == "MY-2026-121"
    expect(page.locator("#id_number")).to_be_focused()
    page.fill("#form-scan", "TGFORM|MY|MY-2026-118|20200101")
    page.press("#form-scan", "Enter")
    expect(page.locator("#form-scan-result")).to_contain_text("不是今日")
    page.fill("#form-scan", f"TGFORM|XX|MY-2026-118|{day.day:%Y%m%d}")
    page.press("#form-scan", "Enter")
    expect(page.locator("#form-scan-result")).to_contain_text("不是本中心")
    assert page.locator("#session").input_value() == "MY-2026-121"
