"""The README's Python snippets run as written, and its two commands are the ones the scripts provide."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_readme_has_python_snippets() -> None:
    """The README shows library use from Python."""
    assert _python_blocks()


@pytest.mark.parametrize("index", range(len(_python_blocks())))
def test_readme_python_snippet_runs(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    """Each Python snippet of the README runs and its assertions hold."""
    exec(compile(_python_blocks()[index], f"README.md[python {index}]", "exec"), {})  # noqa: S102
    out = capsys.readouterr().out
    if index == 0:
        assert "admitted with badge MY-20261123-0001" in out
        assert "张*" in out
        assert "张伟" not in out


def test_readme_commands_match_scripts() -> None:
    """The two fresh-machine commands in the README exist in scripts/run.sh, and CI runs the test one."""
    assert "bash scripts/run.sh demo" in README
    assert "bash scripts/run.sh test" in README
    script = (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    assert "demo)" in script
    assert "test)" in script
    assert "bash scripts/run.sh test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
