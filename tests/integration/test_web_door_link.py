"""Signing a door device in with a one-time link: once, within a day, for a door account only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from webkit import WebDay

from tenderguard.cli import cli
from tenderguard.errors import InvalidInputError
from tenderguard.keys import load_session_secret
from tenderguard.services.wiring import open_gate
from tenderguard.web import devices


def _token(day: WebDay, name: str = "刘洋") -> str:
    with open_gate(day.config) as opened:
        return devices.door_link_token(opened.gate, load_session_secret(day.config.keys), name)


def test_a_link_signs_a_device_in_once(client: TestClient, day: WebDay) -> None:
    """Opened, the link signs the device in and lands on /door; opened again (another device), it is refused."""
    token = _token(day)
    answer = client.get(f"/door/link/{token}", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/door")
    assert client.get("/door", follow_redirects=False).status_code == 200
    client.cookies.clear()
    again = client.get(f"/door/link/{token}", follow_redirects=False)
    assert again.status_code == 403
    assert "已使用" in again.text
    assert client.get("/door", follow_redirects=False).status_code == 303  # not signed in


def test_a_tampered_or_expired_link_is_refused(client: TestClient, day: WebDay,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed character breaks the signature; a link older than a day has expired."""
    token = _token(day)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert "无效" in client.get(f"/door/link/{tampered}", follow_redirects=False).text
    monkeypatch.setattr(devices, "LINK_SECONDS", -1)
    assert "过期" in client.get(f"/door/link/{token}", follow_redirects=False).text


def test_only_a_door_account_gets_a_link(day: WebDay) -> None:
    """A clerk's account, or a name nobody has, gets no device link."""
    for name in ("王芳", "无此人"):
        with pytest.raises(InvalidInputError, match="不是启用中的门口账号"):
            _token(day, name)


def test_the_command_prints_the_link_and_writes_its_qr_code(day: WebDay, tmp_path: Path) -> None:
    """`door link` prints the URL once and writes the QR code as an owner-only PNG."""
    png = tmp_path / "link.png"
    done = CliRunner().invoke(cli, ["door", "link", "刘洋", "--base-url", "http://192.168.1.10:8000/", "--png",
                                    str(png), "--db", str(day.db), "--keys", str(day.config.keys)])
    assert done.exit_code == 0, done.output
    assert "http://192.168.1.10:8000/door/link/" in done.stdout
    assert png.read_bytes().startswith(b"\x89PNG")
    assert stat.S_IMODE(png.stat().st_mode) == 0o600
    refused = CliRunner().invoke(cli, ["door", "link", "王芳", "--db", str(day.db), "--keys", str(day.config.keys)])
    assert refused.exit_code == 1
