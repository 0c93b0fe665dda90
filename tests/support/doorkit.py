"""Shared helpers of the hall door's browser tests: admitted badges and their codes, the door clerk's page, scans."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import Browser, Page, Response, ViewportSize, expect
from sqlkit import screen_fully
from webkit import PASSWORD, WebDay

from tenderguard.domain.model import SHANGHAI
from tenderguard.factories import arrival
from tenderguard.keys import load_signing_key
from tenderguard.services.wiring import open_gate

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "screenshots"
TABLET: ViewportSize = {"width": 1024, "height": 768}
#: The card's page as poppler turns it into a picture, then widened for the camera (even sides, as 4:2:0 needs).
CARD_DPI, FILM_WIDTH, FILM_FRAMES = 150, 960, 20
#: Every scan waiting in the page's IndexedDB, read without the page's own script.
QUEUED_JS = """() => new Promise((resolve, reject) => {
    const opened = indexedDB.open('tenderguard-door');
    opened.onerror = () => reject(opened.error);
    opened.onsuccess = () => {
        const db = opened.result;
        const all = db.transaction('scans', 'readonly').objectStore('scans').getAll();
        all.onsuccess = () => { db.close(); resolve(all.result); };
        all.onerror = () => reject(all.error);
    };
})"""


def admit(day: WebDay, *people: int) -> list[str]:
    """Screen each person through the desk (in the library, on the server's database); their badges' serials."""
    serials = []
    with open_gate(day.config) as opened:
        desk = opened.gate.desk("入口1", "王芳")
        for n in people:
            view = desk.arrive(arrival(n, session="MY-2026-118", at=dt.datetime.now(SHANGHAI)))
            view = screen_fully(desk, view)
            assert view.badge, view.message
            serials.append(view.badge)
    return serials


def badge_code(day: WebDay, serial: str) -> str:
    """The code printed in a badge's QR code."""
    with open_gate(day.config) as opened:
        return opened.gate.badge_code(opened.gate.badge(serial), load_signing_key(day.config.keys))


def film_badge(day: WebDay, serial: str, folder: Path) -> Path:
    """A Y4M video (10 fps, grey) of the badge as it prints: its card PDF, rendered to PNG by pdftoppm.

    The gate prints the badge's card (``layout="card"``, one 85×54 mm card: the QR stays large in the frame);
    ``pdftoppm -r 150 -png`` turns the page into a picture, scaled to 960 px wide, that Chromium's fake camera
    plays frame after frame.
    """
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm is not None, "poppler-utils is installed by scripts/run.sh"
    pdf = folder / f"badge-{serial}.pdf"
    with open_gate(day.config) as opened:
        badge = opened.gate.badge(serial)
        run = opened.gate.print_badges(badge.day, load_signing_key(day.config.keys), pdf, layout="card",
                                       serials=[serial], operator="刘洋")
    assert run.result is not None, run.unprintable
    assert run.result.pages == 1
    subprocess.run([pdftoppm, "-r", str(CARD_DPI), "-png", "-singlefile", str(pdf), str(folder / "badge")],
                   check=True)
    with Image.open(folder / "badge.png") as page:
        height = round(page.height * FILM_WIDTH / page.width) // 2 * 2
        picture = page.convert("L").resize((FILM_WIDTH, height), Image.Resampling.LANCZOS)
    video = folder / "badge.y4m"
    write_y4m(video, picture)
    return video


def write_y4m(path: Path, picture: Image.Image, frames: int = FILM_FRAMES) -> None:
    """``frames`` frames of one grey picture (even sides) as a Y4M video at 10 fps, 4:2:0 with neutral chroma."""
    width, height = picture.size
    assert width % 2 == 0, picture.size
    assert height % 2 == 0, picture.size
    chroma = b"\x80" * (width // 2 * height // 2)
    frame = b"FRAME\n" + picture.convert("L").tobytes() + chroma + chroma
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(frame)


def door_page(browser: Browser, base: str, *, init_script: str | None = None, blocked: str | None = None,
              **context: Any) -> tuple[Page, list[Response]]:
    """A tablet logged in as the door clerk, on /door, its service worker in control; the first load's responses.

    ``blocked``: a URL pattern the browser cannot load (the page then runs without a service worker).
    """
    if blocked:
        context["service_workers"] = "block"  # else the worker, not the route, would answer the page's requests
    made = browser.new_context(viewport=TABLET, locale="zh-CN", **context)
    if init_script:
        made.add_init_script(init_script)
    if blocked:
        made.route(blocked, lambda route: route.abort())
    page = made.new_page()
    page.goto(f"{base}/login")
    loaded: list[Response] = []
    page.fill("#name", "刘洋")
    page.fill("#password", PASSWORD)
    page.on("response", lambda response: loaded.append(response))  # noqa: PLW0108 - Playwright wraps the handler
    page.click("button:has-text('登录')")
    expect(page).to_have_url(f"{base}/door")
    if not blocked:
        expect(page.locator("#door-list")).to_contain_text("#")
        page.wait_for_function("navigator.serviceWorker.controller !== null")
    return page, loaded


def scan(page: Page, code: str, *, wedge: bool = True) -> None:
    """Scan a code into the focused input, as a keyboard wedge types it and presses Enter; wait for the verdict."""
    done = page.evaluate("window.tgDoor.timings.length")
    if wedge:
        expect(page.locator("#door-scan")).to_be_focused()
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    else:
        page.fill("#door-scan", code)
        page.press("#door-scan", "Enter")
    page.wait_for_function(f"window.tgDoor.timings.length > {done}")


def verdict(page: Page, shown: str, *reasons: str) -> None:
    """The verdict box shows ``shown`` (valid, invalid, unverified) for one of ``reasons``."""
    box = page.locator("#verdict")
    expect(box).to_have_attribute("data-verdict", shown)
    assert box.get_attribute("data-reason") in reasons


def queued(page: Page) -> list[dict[str, Any]]:
    """The scans waiting in IndexedDB, in the order they were made."""
    found: list[dict[str, Any]] = page.evaluate(QUEUED_JS)
    return sorted(found, key=lambda s: (s["scanned_at"], s["nonce"]))


def shot(page: Page, name: str) -> None:
    """A screenshot in build/screenshots/door-<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"door-{name}.png"))


def figures(**found: Any) -> None:
    """Print figures and keep them in build/screenshots/door-figures.json."""
    path = SHOTS / "door-figures.json"
    SHOTS.mkdir(parents=True, exist_ok=True)
    known = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    path.write_text(json.dumps(known | found, indent=1), encoding="utf-8")
    print(f"door figures: {found}")
