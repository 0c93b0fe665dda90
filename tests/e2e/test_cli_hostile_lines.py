"""One bad record never stops the others: hostile batch lines, look-alike session codes, re-spelt badge codes.

Each hostile line gives an ``invalid`` result for itself; the lines around it are screened as usual.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tenderguard.cli import cli
from tenderguard.domain.badge_code import BadgeClaim, VerdictReason, sign_claim, verify_code
from tenderguard.domain.model import SHANGHAI, BidSession
from tenderguard.errors import InvalidInputError
from tenderguard.factories import arrival, batch_line
from tenderguard.keys import init_keys, load_public_key, load_signing_key

ARRIVED = dt.datetime(2026, 11, 23, 8, 30, tzinfo=SHANGHAI)


def _good(n: int) -> bytes:
    line = batch_line(arrival(n, session="MY-2026-118", at=ARRIVED, name=f"张{n}"), temperatures=[36.5])
    return json.dumps(line, ensure_ascii=False).encode("utf-8")


HOSTILE = {
    "deeply nested JSON": b"[" * 200_000 + b"]" * 200_000,
    "a 5,000-digit integer": b'{"session": ' + b"9" * 5_000 + b"}",
    "bytes that are not UTF-8": _good(90).replace("张".encode(), b"\xd5\xc5"),  # GBK, not UTF-8
    "a lone surrogate in a name": _good(91).replace("张91".encode(), b"\\ud800"),
    "a lone surrogate in an exit serial": b'{"exit": "\\ud800", "at": "2026-11-23T09:00:00+08:00"}',
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_line_is_invalid_and_the_others_are_screened(tmp_path: Path, case: str) -> None:
    """The hostile line is ``invalid`` with a message; the lines before and after are admitted; no traceback."""
    batch = tmp_path / "queue.jsonl"
    batch.write_bytes(b"\n".join([_good(1), HOSTILE[case], _good(2)]) + b"\n")
    done = subprocess.run([sys.executable, "-m", "tenderguard.cli", "screen", "--register-sessions", "--batch",
                           str(batch), "--policy", "miyun-2020"], cwd=tmp_path, capture_output=True, check=False,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert b"Traceback" not in done.stderr, done.stderr.decode("utf-8", "replace")
    assert done.returncode == 3
    results = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert [r["outcome"] for r in results] == ["admitted", "invalid", "admitted"]
    assert results[1]["message"]


def test_an_unregistered_session_is_refused_unless_asked_to_register_it(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A line for a session nobody imported is ``unknown_session`` (never an invented hall) by default."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "queue.jsonl").write_bytes(_good(1) + b"\n")
    runner = CliRunner()
    plain = runner.invoke(cli, ["screen", "--batch", "queue.jsonl"])
    assert plain.exit_code == 3
    assert json.loads(plain.stdout.splitlines()[0])["reason"] == "unknown_session"
    asked = runner.invoke(cli, ["screen", "--register-sessions", "--batch", "queue.jsonl"])
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.stdout.splitlines()[0])["outcome"] == "admitted"


def test_an_operator_name_from_a_gbk_terminal_is_one_clear_error(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 in ``--operator``: one line, exit 1, nothing screened."""
    (tmp_path / "queue.jsonl").write_bytes(_good(1) + b"\n")
    done = subprocess.run([sys.executable, "-m", "tenderguard.cli", "screen", "--register-sessions", "--batch",
                           "queue.jsonl", "--operator", os.fsdecode("王芳".encode("gbk"))], cwd=tmp_path,
                          capture_output=True, check=False)
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr
    assert b"operator" in done.stderr


def test_a_session_code_with_a_trailing_newline_is_not_a_code() -> None:
    """A code ending in a newline is refused: it would register a look-alike session."""
    with pytest.raises(InvalidInputError):
        BidSession(code="MY-2026-118\n", project_name="x", hall="第一开标室",
                   opens_at=dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI))


def test_a_badge_code_has_one_spelling(tmp_path: Path) -> None:
    """The signature's unused base64 bits re-spelt: the same bytes, but not the code that was printed: malformed."""
    init_keys(tmp_path)
    day = dt.date(2026, 11, 23)
    code = sign_claim(BadgeClaim(centre="MY", serial="MY-20261123-0001", day=day), load_signing_key(tmp_path))
    key = load_public_key(tmp_path / "badge-signing.pub")
    assert verify_code(code, key, centre="MY", today=day).reason is VerdictReason.VALID
    head, signature = code.rsplit(".", 1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(signature[-1])
    respelt = head + "." + signature[:-1] + alphabet[last ^ 1]
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    assert base64.urlsafe_b64decode(respelt.rsplit(".", 1)[1] + "==") == raw  # the same signature bytes
    assert verify_code(respelt, key, centre="MY", today=day).reason is VerdictReason.MALFORMED
