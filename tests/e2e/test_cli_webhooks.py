"""The webhook commands on a real SQLite database, delivering to a real local HTTP server."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from click.testing import CliRunner, Result
from hookkit import receiver

from tenderguard import Centre, SqlStore
from tenderguard.cli import cli
from tenderguard.domain import events
from tenderguard.domain.model import SHANGHAI

DB = "sqlite:///tenderguard.db"
CENTRE = Centre(code="MY", name="公共资源交易中心")
FILE_SECRET = "secret-from-the-host-system-team"  # noqa: S105 - a test receiver's secret


def run(*args: str) -> Result:
    """Run ``tenderguard ARGS`` in the test's folder (its default database)."""
    return CliRunner().invoke(cli, list(args))


def _one_error_line(result: Result) -> str:
    """The error of a failed command: exactly one line on standard error, a non-zero exit."""
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _refusal_committed() -> None:
    """A refusal committed by a desk of another process on the same database (its deliveries queued with it)."""
    store = SqlStore(DB, CENTRE, create=False)
    try:
        with store.unit_of_work() as uow:
            uow.events.append(events.Refused(at=dt.datetime.now(SHANGHAI), screening_id="MY-1", session="S1",
                                             reason="fever"))
            uow.commit()
    finally:
        store.dispose()


def test_add_list_deliver_log_and_remove(tmp_path: Path) -> None:
    """Two subscriptions, one with a made secret shown once, one with a secret file; a pass delivers, signed."""
    (tmp_path / "hook.secret").write_text(FILE_SECRET + "\n", encoding="utf-8")
    with receiver() as hooks:
        made = run("webhook", "add", hooks.url, "--events", "admitted,refused")
        assert made.exit_code == 0, made.output
        assert "已添加 webhook 1：" in made.stdout
        match = re.search(r"密钥：([0-9a-f]{64})\n", made.stdout)
        assert match is not None
        secret = match.group(1)
        given = run("webhook", "add", hooks.url, "--events", "all", "--secret-file", "hook.secret")
        assert given.exit_code == 0, given.output
        assert "已添加 webhook 2：" in given.stdout
        assert "secret" not in given.stdout
        listed = run("webhook", "list")
        assert listed.exit_code == 0
        assert secret not in listed.stdout
        assert FILE_SECRET not in listed.stdout
        assert f"密钥{secret[:4]}…" in listed.stdout
        assert "admitted,refused" in listed.stdout

        _refusal_committed()
        sent = run("webhook", "deliver", "--once")
        assert sent.exit_code == 0, sent.output
        assert "已发送2，待重试0，失败0" in sent.stdout
        by_secret = sorted(r.signed_with(secret) for r in hooks.received)
        assert by_secret == [False, True]
        assert any(r.signed_with(FILE_SECRET) for r in hooks.received)
        assert {r.payload["event"] for r in hooks.received} == {"refused"}
        again = run("webhook", "deliver", "--once")
        assert "已发送0，待重试0，失败0" in again.stdout
        assert len(hooks.received) == 2

    log = run("webhook", "log")
    assert log.exit_code == 0
    assert log.stdout.count(" refused  sent  尝试1次") == 2
    assert "没有失败的投递" in run("webhook", "log", "--failed").stdout
    removed = run("webhook", "remove", "1")
    assert removed.exit_code == 0, removed.output
    assert "已删除 webhook 1" in removed.stdout
    assert run("webhook", "list").stdout.startswith("2  ")
    assert "没有 webhook 1" in _one_error_line(run("webhook", "remove", "1"))


def test_bad_urls_kinds_and_secrets_are_one_line_errors(tmp_path: Path) -> None:
    """A non-http URL, an unknown kind, a short secret file: one line each, nothing subscribed."""
    assert "http(s)" in _one_error_line(run("webhook", "add", "ftp://host.example/x", "--events", "all"))
    assert "admited" in _one_error_line(run("webhook", "add", "https://host.example/x", "--events", "admited"))
    assert not (tmp_path / "tenderguard.db").exists()
    (tmp_path / "short").write_text("abc", encoding="utf-8")
    assert "至少16个字符" in _one_error_line(
        run("webhook", "add", "https://host.example/x", "--events", "all", "--secret-file", "short"))
    assert "没有 webhook" in run("webhook", "list").stdout
