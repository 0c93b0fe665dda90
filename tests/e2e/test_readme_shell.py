"""The README's shell snippets run as written, in order, on the demo day's database; its TOML is a valid config."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tenderguard.cli.common import CONFIG_KEYS
from tenderguard.demo import run_demo

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


@pytest.mark.slow
def test_every_shell_snippet_runs_on_the_demo_day(tmp_path: Path) -> None:
    """Each ```sh block after the two set-up commands runs with bash -e and exits 0."""
    blocks = _blocks("sh")
    assert blocks[0].strip().startswith("bash scripts/run.sh demo")
    run_demo(tmp_path / "demo-output")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    script = "set -euo pipefail\n" + "\n".join(blocks[1:])
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENDERGUARD_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    bash = shutil.which("bash")
    assert bash is not None
    done = subprocess.run([bash, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "有效：当日标识，本中心签发" in done.stdout
    assert "refused, exit code 5" in done.stdout
    assert "审计记录完整" in done.stdout
    for made in ("2026-11-23.xlsx", "cards.pdf", "revoked.json", "windows.json", "notices-ZX/notice.pdf",
                 "report.pdf", "signin.pdf"):
        assert (tmp_path / made).is_file(), made


def test_the_configuration_example_is_valid() -> None:
    """The README's TOML example parses and uses only known settings."""
    [block] = _blocks("toml")
    settings = tomllib.loads(block)
    assert set(settings) <= set(CONFIG_KEYS)
