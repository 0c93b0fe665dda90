"""The operator commands on a real SQLite database: passwords asked or piped, a token shown once, one-line errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from accountkit import use_cheap_hashes
from click.testing import CliRunner, Result

from tenderguard import Centre, Gate, SqlStore, load_preset
from tenderguard.cli import cli
from tenderguard.errors import AuthenticationError

PASSWORD = "密云-gate-2026"  # noqa: S105 - a test account's password
DB = "sqlite:///tenderguard.db"
CENTRE = Centre(code="MY", name="公共资源交易中心")


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash passwords with argon2's cheapest parameters (the commands run in this process)."""
    use_cheap_hashes(monkeypatch)


def run(*args: str, input: str | None = None) -> Result:
    """Run ``tenderguard ARGS`` in the test's folder (its default database)."""
    return CliRunner().invoke(cli, list(args), input=input)


@pytest.fixture
def gate() -> Iterator[Gate]:
    """A gate on the commands' database (opened after the test's commands created it)."""
    store = SqlStore(DB, CENTRE, create=False)
    try:
        yield Gate(policy=load_preset("badge-only"), centre=CENTRE, uow_factory=store.unit_of_work)
    finally:
        store.dispose()


def _one_error_line(result: Result) -> str:
    """The error of a failed command: exactly one line on standard error, a non-zero exit."""
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_add_asks_the_password_twice_without_echo_and_it_logs_in() -> None:
    """Without --password-stdin the password is asked twice, hidden; the account can then log in."""
    added = run("operator", "add", "王芳", "--role", "desk", "--operator", "信息科 李工",
                input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert "已添加王芳（desk 入口登记员）" in added.stdout
    assert added.output.count("Password") == 1
    assert "Repeat for confirmation" in added.output
    assert PASSWORD not in added.output
    store = SqlStore(DB, CENTRE, create=False)
    try:
        gate = Gate(policy=load_preset("badge-only"), centre=CENTRE, uow_factory=store.unit_of_work)
        assert gate.authenticate("王芳", PASSWORD).role == "desk"
        with store.unit_of_work() as uow:
            [entry] = uow.audit.about("王芳")
        assert (entry.kind, entry.operator, dict(entry.payload)) == ("operator_added", "信息科 李工", {"role": "desk"})
    finally:
        store.dispose()


def test_two_different_entries_are_not_taken() -> None:
    """When the confirmation differs the password is asked again; out of input, nothing is added (nor created)."""
    result = run("operator", "add", "王芳", "--role", "desk", input=f"{PASSWORD}\nsomething-else-1\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert not Path("tenderguard.db").exists()


def test_the_commands_with_password_stdin_list_and_disable(gate_db: None, gate: Gate) -> None:
    """Piped passwords, the list (table and JSON), a new password, disabling: the database says the same."""
    changed = run("operator", "password", "王芳", "--password-stdin", input="新的密码-abc-123\n")
    assert changed.exit_code == 0, changed.output
    assert gate.authenticate("王芳", "新的密码-abc-123").name == "王芳"
    table = run("operator", "list")
    assert table.exit_code == 0
    assert "王芳" in table.stdout
    assert "supervisor 监督人员" in table.stdout
    assert run("operator", "disable", "王芳").exit_code == 0
    with pytest.raises(AuthenticationError):
        gate.authenticate("王芳", "新的密码-abc-123")
    listed = run("operator", "list", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["name"], r["role"], r["disabled"], r["tokens"]) for r in rows] == [
        ("李强", "supervisor", False, 0), ("王芳", "desk", True, 0)]
    assert rows[1]["role_name"] == "入口登记员"


@pytest.fixture
def gate_db() -> None:
    """王芳 (desk) and 李强 (supervisor) added with --password-stdin."""
    for name, role in (("王芳", "desk"), ("李强", "supervisor")):
        added = run("operator", "add", name, "--role", role, "--password-stdin", input=f"{PASSWORD}\n")
        assert added.exit_code == 0, added.output
        assert PASSWORD not in added.output


def test_a_token_is_printed_once_and_works_until_revoked(gate_db: None, gate: Gate) -> None:
    """`operator token` prints the token alone on stdout (a note on stderr); it is refused once revoked."""
    issued = run("operator", "token", "王芳", "--label", "中心系统")
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    assert token.startswith("tg_")
    assert "\n" not in token
    assert "仅显示这一次" in issued.stderr
    assert token not in issued.stderr
    assert gate.operator_for_token(token).name == "王芳"
    assert [r["tokens"] for r in map(json.loads, run("operator", "list", "--json").stdout.splitlines())] == [0, 1]
    revoked = run("operator", "revoke-tokens", "王芳")
    assert revoked.exit_code == 0
    assert "已吊销王芳的1个令牌" in revoked.stdout
    with pytest.raises(AuthenticationError):
        gate.operator_for_token(token)
    assert token not in run("operator", "list", "--json").stdout


@pytest.mark.parametrize(("args", "stdin", "expected"), [
    (("operator", "add", "赵敏", "--role", "door", "--password-stdin"), "short\n", "密码：只有5个字符，至少需要10个"),
    (("operator", "add", "赵敏", "--role", "door", "--password-stdin"), "1234567890\n", "密码：全是数字"),
    (("operator", "add", "王芳", "--role", "door", "--password-stdin"), f"{PASSWORD}\n", "已有名为“王芳”的操作员"),
    (("operator", "add", "<b>赵敏", "--role", "door", "--password-stdin"), f"{PASSWORD}\n", "姓名：第1个字符是“<”"),
    (("operator", "disable", "李四"), None, "没有名为“李四”的操作员"),
    (("operator", "token", "李四"), None, "没有名为“李四”的操作员"),
    (("operator", "revoke-tokens", "李四"), None, "没有名为“李四”的操作员"),
    (("operator", "password", "李四", "--password-stdin"), f"{PASSWORD}\n", "没有名为“李四”的操作员"),
    (("operator", "password", "王芳", "--password-stdin"), "王芳\n", "密码："),
])
def test_a_mistake_is_one_line_and_a_non_zero_exit(gate_db: None, args: tuple[str, ...], stdin: str | None,
                                                   expected: str) -> None:
    """Weak passwords, taken or malformed names, unknown accounts: one line on stderr, exit 1."""
    line = _one_error_line(run(*args, input=stdin))
    assert expected in line
    assert PASSWORD not in line


def test_usage_mistakes_exit_2() -> None:
    """An unknown role or an empty standard input with --password-stdin is a usage error."""
    assert run("operator", "add", "赵敏", "--role", "cashier", "--password-stdin", input="x\n").exit_code == 2
    empty = run("operator", "add", "赵敏", "--role", "door", "--password-stdin", input="")
    assert empty.exit_code == 2
    assert "--password-stdin：标准输入为空" in empty.output


def test_reading_commands_do_not_create_a_database() -> None:
    """`operator list` on a database that does not exist says so in one line, creating nothing."""
    line = _one_error_line(run("operator", "list", "--db", "sqlite:///nowhere/none.db"))
    assert line.startswith("错误：")
