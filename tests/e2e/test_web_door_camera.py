"""The hall door's camera in a real browser: Chromium's fake camera films a printed badge (a Y4M file).

The badge is printed by the gate as its card PDF (WeasyPrint), the page turned into a picture by ``pdftoppm``
and played by Chromium as its camera. Started on the door page, the camera reads the code with jsQR in a Web
Worker and the page verifies it as a wedge-scanned code (有效); a badge held in front of the camera is verified
once; offline, after a reload, the service worker still serves the decoder. The time from the camera's first frame
to the verdict is printed and kept in ``build/screenshots/door-figures.json``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest
from doorkit import admit, badge_code, door_page, figures, film_badge, queued, scan, shot, verdict
from playwright.sync_api import Browser, Page, expect, sync_playwright
from webkit import WebDay, make_day, serving

from tenderguard.domain.door import DoorScan
from tenderguard.services.wiring import open_gate

#: A real server and a real browser: the long pass runs them.
pytestmark = pytest.mark.slow

#: jsQR, not the browser's own detector (Chromium on Linux has none; elsewhere it would be used first).
NO_BARCODE_DETECTOR = "delete window.BarcodeDetector;"
#: From the camera's first frame to the verdict on screen: what a door clerk would call "at once".
CAMERA_VERDICT_MS = 2000


@pytest.fixture(scope="module")
def filmed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, WebDay, str, Browser]]:
    """``tenderguard serve`` on today's database, an admitted badge, and Chromium whose camera films its card."""
    folder = tmp_path_factory.mktemp("door-camera")
    day = make_day(folder)
    (serial,) = admit(day, 61)
    video = film_badge(day, serial, folder)
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "Chromium is not installed: run bash scripts/run.sh setup"
    with serving(day, day.config.policy) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}"])
        try:
            yield base, day, serial, browser
        finally:
            browser.close()


def _camera_page(base: str, browser: Browser) -> Page:
    page, _ = door_page(browser, base, init_script=NO_BARCODE_DETECTOR, permissions=["camera"])
    expect(page.locator("#door-camera")).to_have_attribute("data-camera", "off")
    return page


def _recorded(day: WebDay, serial: str) -> list[DoorScan]:
    """The badge's scans the server has recorded."""
    with open_gate(day.config) as opened:
        return [s for s in opened.gate.door_scans() if s.serial == serial]


def _start_camera(page: Page) -> None:
    """Start the camera and wait for a verdict made from one of its frames."""
    done = page.evaluate("window.tgDoor.timings.length")
    page.click("#door-camera")
    expect(page.locator("#door-camera")).to_have_attribute("data-camera", "on")
    page.wait_for_function(f"window.tgDoor.timings.length > {done}", timeout=15_000)
    assert page.evaluate("window.tgDoor.state.lastVerdict.source") == "camera"


def test_the_camera_reads_a_badge_and_verifies_it_once(filmed: tuple[str, WebDay, str, Browser]) -> None:
    """Camera on: 有效 from its frames, quickly; held in view, verified once; the wedge still works; off: let go."""
    base, day, serial, browser = filmed
    earlier = _recorded(day, serial)
    page = _camera_page(base, browser)
    _start_camera(page)
    verdict(page, "valid", "valid")
    expect(page.locator("#verdict")).to_contain_text(serial)
    expect(page.locator("#verdict")).to_have_attribute("data-source", "camera")
    shot(page, "camera")
    camera = page.evaluate("""() => ({decoder: tgDoor.camera.decoder, nonce: tgDoor.state.shown,
        first_frame_ms: tgDoor.state.lastVerdict.at - tgDoor.camera.firstFrameAt,
        start_ms: tgDoor.state.lastVerdict.at - tgDoor.camera.startedAt, frames: tgDoor.camera.frames})""")
    assert camera["decoder"] == "jsqr"
    verdicts = page.evaluate("window.tgDoor.timings.length")
    page.wait_for_timeout(2500)  # the badge stays in view for longer than the debounce
    assert page.evaluate("window.tgDoor.camera.frames") > camera["frames"] + 2  # the camera kept reading it
    assert page.evaluate("window.tgDoor.timings.length") == verdicts  # and verified it once
    scan(page, badge_code(day, serial))  # the field kept the focus: the wedge scanner works beside the camera
    verdict(page, "valid", "valid")
    expect(page.locator("#verdict")).to_have_attribute("data-source", "wedge")
    expect(page.locator("#verdict .warning")).to_contain_text("已在场内")  # the camera's "in" counted
    wedge = page.evaluate("tgDoor.state.shown")
    page.click("#door-camera")
    expect(page.locator("#door-camera")).to_have_attribute("data-camera", "off")
    expect(page.locator("#door-video")).to_be_hidden()
    assert page.evaluate("document.getElementById('door-video').srcObject") is None
    expect(page.locator("#door-scan")).to_be_focused()
    expect(page.locator("#door-queue")).to_have_attribute("data-waiting", "0", timeout=15_000)
    recorded = [s for s in _recorded(day, serial) if s not in earlier]
    assert [(s.nonce, str(s.server_reason), s.pass_back) for s in recorded] == [
        (camera["nonce"], "valid", False), (wedge, "valid", True)]
    figures(camera_verdict_ms=round(camera["first_frame_ms"], 1),
            camera_start_to_verdict_ms=round(camera["start_ms"], 1), camera_decoder=camera["decoder"])
    assert camera["first_frame_ms"] < CAMERA_VERDICT_MS
    page.context.close()


def test_offline_the_camera_still_reads_badges(filmed: tuple[str, WebDay, str, Browser]) -> None:
    """Reloaded without the network, the page's decoder comes from the service worker; the scan waits to upload."""
    base, _day, serial, browser = filmed
    page = _camera_page(base, browser)
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#door-net")).to_contain_text("离线")
    _start_camera(page)
    verdict(page, "valid", "valid")
    expect(page.locator("#verdict")).to_contain_text(serial)
    expect(page.locator("#door-queue")).to_have_attribute("data-waiting", "1")
    assert [s["reason"] for s in queued(page)] == ["valid"]
    page.click("#door-camera")
    page.context.close()


def test_where_the_browser_reads_qr_codes_its_own_detector_is_used(filmed: tuple[str, WebDay, str, Browser]) -> None:
    """A BarcodeDetector that reads qr_code is asked for qr_code only, and its reading is verified as any other."""
    base, day, serial, browser = filmed
    detector = """window.BarcodeDetector = class {
        static async getSupportedFormats() { return ['ean_13', 'qr_code']; }
        constructor(options) { window.tgDetector = {formats: options.formats, calls: 0}; }
        async detect(source) {
            window.tgDetector.calls += 1;
            window.tgDetector.video = source instanceof HTMLVideoElement;
            return [{format: 'qr_code', rawValue: CODE}];
        }
    };""".replace("CODE", json.dumps(badge_code(day, serial)))
    page, _ = door_page(browser, base, init_script=detector, permissions=["camera"])
    _start_camera(page)
    verdict(page, "valid", "valid")
    expect(page.locator("#verdict")).to_contain_text(serial)
    assert page.evaluate("window.tgDoor.camera.decoder") == "native"
    assert page.evaluate("window.tgDetector.formats") == ["qr_code"]
    assert page.evaluate("window.tgDetector.video")
    page.click("#door-camera")
    page.context.close()
