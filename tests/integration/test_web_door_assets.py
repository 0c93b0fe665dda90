"""The hall door's page works offline only if its service worker keeps every file the page and its scripts load."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from webkit import WebDay

from tenderguard.keys import load_session_secret
from tenderguard.services.wiring import open_gate
from tenderguard.web import devices
from tenderguard.web.app import STATIC_DIR

WORKER = (STATIC_DIR / "door-sw.js").read_text(encoding="utf-8")
KEPT = re.findall(r'"(/[^"]*)"', WORKER[WORKER.index("var KEPT"):WORKER.index("];")])
DOOR_SCRIPTS = sorted(STATIC_DIR.glob("door*.js"))
#: The libraries served from the package, and a line their licence starts with.
VENDORED = {"jsQR.js": "Apache License", "noble-ed25519.js": "The MIT License", "htmx.min.js": "Zero-Clause BSD"}


@pytest.fixture
def door(client: TestClient, day: WebDay) -> TestClient:
    """The test client signed in as the door's account (through a device link)."""
    with open_gate(day.config) as opened:
        token = devices.door_link_token(opened.gate, load_session_secret(day.config.keys), "刘洋")
    assert client.get(f"/door/link/{token}", follow_redirects=False).status_code == 303
    return client


def test_every_file_the_service_worker_keeps_is_served(door: TestClient) -> None:
    """Each path the worker caches on install answers 200 (a missing one would fail the whole install)."""
    assert "/static/jsQR.js" in KEPT
    assert "/static/noble-ed25519.js" in KEPT
    for path in KEPT:
        answer = door.get(path, follow_redirects=False)
        assert answer.status_code == 200, path
        if path.endswith(".js"):
            assert "javascript" in answer.headers["content-type"], path  # a module import needs a script type


def test_the_page_and_its_scripts_load_only_files_the_worker_keeps(door: TestClient) -> None:
    """The page's scripts and styles, the QR worker, jsQR and the Ed25519 fallback: all cached for offline use."""
    page = door.get("/door").text
    assert 'id="door-camera"' in page
    assert 'id="door-video"' in page
    loaded = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page))
    for script in DOOR_SCRIPTS:
        if script.name != "door-sw.js":
            loaded |= set(re.findall(r'"(/static/[\w.-]+\.js)"', script.read_text(encoding="utf-8")))
    assert {"/static/door-qr-worker.js", "/static/jsQR.js", "/static/noble-ed25519.js"} <= loaded
    assert loaded <= set(KEPT)


@pytest.mark.parametrize(("library", "licence"), VENDORED.items())
def test_each_library_served_by_the_package_ships_with_its_licence(library: str, licence: str) -> None:
    """A vendored library sits beside its licence file (``name.LICENSE.txt``)."""
    assert (STATIC_DIR / library).stat().st_size > 1000
    text = (STATIC_DIR / f"{library.removesuffix('.js').removesuffix('.min')}.LICENSE.txt").read_text(
        encoding="utf-8")
    assert text.lstrip().startswith(licence)
