"""A badge at the desk, and a day's badge sheet: what the office and the person in front of the desk wait for.

Run from the project root::

    .venv/bin/python -m benchmarks.badges [--day 2000]

Cases (each in a fresh process, so start-up and memory are real):

* **one badge from the library**, in a process that has printed before (the web desk's case): <= 0.5 s;
* **one badge from the command** (``tenderguard badge print --serial S``, a fresh process reading the day's
  database): <= 0.5 s is the target for the library; the command adds its start-up;
* **a day's sheet** of ``--day`` badges (2,000 by default) from the library: <= 60 s, peak memory <= 200 MB.

ReportLab draws the same sheet in ``../shared/bench/reportlab_badges.py`` (run it beside this one where
ReportLab is installed).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from rich.console import Console
from rich.table import Table

_CARDS = """
import datetime as dt, json, resource, sys, time
from tenderguard.render.badges import WEEKDAYS, BadgeCard, render_badges

def card(i):
    return BadgeCard(serial=f"MY-20261123-{i + 1:04d}", centre_name="密云区公共资源交易中心", title="健康标识",
                     day=dt.date(2026, 11, 23), weekday=WEEKDAYS[0], colour="#2e7d32",
                     company=f"北京某某建设工程有限公司第{i}分公司", holder="张*", role="投标人",
                     sessions=("MY-2026-118",), hall="第一开标室", reprint=0, qr_payload="TG1." + "A" * 130)
"""

_LIBRARY_ONE = _CARDS + """
out = sys.argv[1]
render_badges([card(0)], out + "-warm.pdf")  # the process printed before
start = time.perf_counter()
render_badges([card(1)], out)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""

_LIBRARY_DAY = _CARDS + """
n, out = int(sys.argv[2]), sys.argv[1]
start = time.perf_counter()
result = render_badges([card(i) for i in range(n)], out)
print(json.dumps({"seconds": time.perf_counter() - start, "pages": result.pages,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _python(code: str, *args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                          check=True)
    found: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def main(argv: list[str] | None = None) -> int:
    """Run the cases and print a table; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--day", type=int, default=2000, help="badges on the day's sheet")
    args = parser.parse_args(argv)
    table = Table(title="badges")
    for column in ("case", "seconds", "peak MB", "target"):
        table.add_column(column)
    missed = False
    with tempfile.TemporaryDirectory() as folder:
        one = _python(_LIBRARY_ONE, str(Path(folder) / "one.pdf"))
        ok = one["seconds"] <= 0.5
        missed |= not ok
        table.add_row("one badge, library (warm process)", f"{one['seconds']:.3f}", "",
                      "<= 0.5 s " + ("met" if ok else "MISSED"))
        cold = _python(_LIBRARY_DAY, str(Path(folder) / "cold.pdf"), "1")
        table.add_row("one badge, library (fresh process, first print)", f"{cold['seconds']:.3f}",
                      f"{cold['peak_mb']:.0f}", "")
        day = _python(_LIBRARY_DAY, str(Path(folder) / "day.pdf"), str(args.day))
        ok = day["seconds"] <= 60 and day["peak_mb"] <= 200
        missed |= not ok
        table.add_row(f"a day's {args.day} badges ({day['pages']:.0f} pages)", f"{day['seconds']:.1f}",
                      f"{day['peak_mb']:.0f}", "<= 60 s, <= 200 MB " + ("met" if ok else "MISSED"))
    Console().print(table)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
