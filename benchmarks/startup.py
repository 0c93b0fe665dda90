"""How long a command takes to answer: ``tenderguard --help`` and ``tenderguard badge verify CODE``.

Run from the project root::

    .venv/bin/python -m benchmarks.startup [--runs 10]

Each command runs ``--runs`` times as a fresh process (as a steward or a script runs it); the table gives the
median and the worst wall time. Target: **<= 0.3 s** each — every command imports only what it uses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tenderguard.domain.badge_code import BadgeClaim, sign_claim
from tenderguard.keys import init_keys, load_signing_key

TARGET = 0.3


def _time(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    """Time the commands and print a table; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    command = shutil.which("tenderguard", path=str(Path(sys.executable).parent)) or "tenderguard"
    with tempfile.TemporaryDirectory() as folder:
        keys = Path(folder) / "keys"
        init_keys(keys)
        code = sign_claim(BadgeClaim(centre="MY", serial="MY-20261123-0001", day=dt.date(2026, 11, 23)),
                          load_signing_key(keys))
        cases = {
            "tenderguard --help": [command, "--help"],
            "tenderguard badge verify CODE": [command, "badge", "verify", code, "--date", "2026-11-23",
                                              "--keys", str(keys)],
        }
        table = Table(title=f"command start-up, {args.runs} runs each (fresh processes)")
        for column in ("command", "median s", "worst s", "target"):
            table.add_column(column)
        missed = False
        for name, argv_ in cases.items():
            times = _time(argv_, args.runs)
            ok = statistics.median(times) <= TARGET
            missed |= not ok
            table.add_row(name, f"{statistics.median(times):.3f}", f"{max(times):.3f}",
                          f"<= {TARGET} s " + ("met" if ok else "MISSED"))
    Console().print(table)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
