"""Badge sheet benchmark: TenderGuard's WeasyPrint badges side by side with the ReportLab reference, in one run.

Run from the project root::

    .venv/bin/python -m benchmarks.badges [--count 1000] [--runs R] [--json] [--reference PATH]

Cases (each in a fresh Python process, so that imports, caches and memory are not shared):

1. TenderGuard: ``render_badges`` of ``--count`` badges (default 1,000 = 125 A4 pages of 8 cards): seconds,
   badges per second, peak RSS of the calling process and of every worker process (``VmHWM`` sampled from
   ``/proc`` while it runs: workers fork from a forkserver, so they are not this process's children; the
   ``RUSAGE_CHILDREN`` figure is shown as well), PDF size;
2. TenderGuard, first badge of the day: ``render_badges`` of one card (``card`` layout) in a process that has
   imported tenderguard but rendered nothing yet (fonts looked up, cmaps read, FontConfiguration built);
3. the reference ReportLab sheet (``../shared/bench/reportlab_badges.py``, 85 × 54 mm cards, 8 per A4, CJK
   TrueType font, vector QR), run as an external script in its own virtualenv (created under the system temp
   directory with reportlab and segno on first use), for ``--count`` badges and for one badge.

Targets: at least as many badges per second as the reference in the same run, under 200 MB peak RSS per
process, the first badge in under a second.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import venv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "bench" / "reportlab_badges.py"
REFERENCE_VENV = Path(tempfile.gettempdir()) / "tenderguard-bench-reference-venv"
DAY = dt.date(2026, 11, 23)
TARGET_RSS_MB = 200.0
TARGET_FIRST_S = 1.0
COMPANIES = ("北京市某某建设工程有限公司", "北京密云水务建设集团有限公司", "北京燕山绿化工程有限公司")


# ------------------------------------------------------------------------------------------------ sample cards


def sample_cards(count: int) -> list[Any]:
    """``count`` badges of one day, like the reference's: distinct serials and companies, a ~150-character QR."""
    from tenderguard.render import WEEKDAYS, BadgeCard  # noqa: PLC0415  # imported in the measuring process only

    cards = []
    for i in range(1, count + 1):
        serial = f"MY-{DAY:%Y%m%d}-{i:04d}"
        signature = base64.urlsafe_b64encode(hashlib.sha512(serial.encode()).digest()).decode().rstrip("=")
        cards.append(BadgeCard(
            serial=serial, centre_name="密云区公共资源交易中心", title="入场健康标识", day=DAY,
            weekday=WEEKDAYS[DAY.weekday()], colour="#d32f2f",
            company=f"{COMPANIES[i % len(COMPANIES)]}第{i % 9 + 1}分公司", holder="张*", role="投标人",
            sessions=(f"MY-{DAY:%Y%m%d}-{i % 3 + 1:02d}",), hall="第一开标室", reprint=1 if i % 50 == 0 else 0,
            qr_payload=f"TG1.MY.{serial}.{DAY:%Y%m%d}.{i % 50 == 0:d}.0800-1800.{signature}",
        ))
    return cards


# ------------------------------------------------------------------------------------------------ memory


def _kib(value: int) -> float:
    """``ru_maxrss`` in MB (KiB on Linux, bytes on macOS)."""
    return value / (1024 * 1024) if sys.platform == "darwin" else value / 1024


def _children(pid: int) -> list[int]:
    """The direct children of ``pid`` (from ``/proc``; empty where there is none)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            return [int(child) for child in listing.read().split()]
    except OSError:
        return []


def _vm_hwm_mb(pid: int) -> float | None:
    """The peak RSS (``VmHWM``) of process ``pid`` in MB, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class DescendantPeaks:
    """Samples the peak RSS of every descendant process (workers, the forkserver) every 20 ms."""

    def __init__(self) -> None:
        self.peaks: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        """Walk the process tree below this process until stopped."""
        while True:
            stack = _children(os.getpid())
            while stack:
                pid = stack.pop()
                stack.extend(_children(pid))
                peak = _vm_hwm_mb(pid)
                if peak is not None:
                    self.peaks[pid] = max(peak, self.peaks.get(pid, 0.0))
            if self._stop.wait(0.02):
                return

    def __enter__(self) -> DescendantPeaks:
        """Start sampling."""
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        """Stop sampling (after one last sample)."""
        self._stop.set()
        self._thread.join()


# ------------------------------------------------------------------------------------------------ measuring


def measure_batch(count: int, out: Path) -> dict[str, Any]:
    """In this (fresh) process: render ``count`` badges on A4 sheets and report time, memory and size."""
    from tenderguard.render import render_badges  # noqa: PLC0415

    cards = sample_cards(count)
    with DescendantPeaks() as peaks:
        start = time.perf_counter()
        result = render_badges(cards, out, layout="a4-8")
        seconds = time.perf_counter() - start
        time.sleep(0.05)  # one more sample of the idle workers and forkserver
    if result.pages != -(-count // 8):
        raise RuntimeError(f"{result.pages} pages for {count} badges")
    return {
        "seconds": seconds,
        "badges_per_s": count / seconds,
        "pages": result.pages,
        "pdf_kb": result.bytes / 1024,
        "parent_peak_rss_mb": _kib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
        "worker_peak_rss_mb": max(peaks.peaks.values(), default=0.0),
        "processes": len(peaks.peaks),
        "rusage_children_mb": _kib(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss),
    }


def measure_first(out: Path) -> dict[str, Any]:
    """In this (fresh) process: import tenderguard, then time the day's first badge (one card)."""
    start = time.perf_counter()
    import tenderguard.render  # noqa: PLC0415

    imported = time.perf_counter()
    card = sample_cards(1)
    begin = time.perf_counter()
    tenderguard.render.render_badges(card, out, layout="card")
    done = time.perf_counter()
    return {
        "import_s": imported - start,
        "first_badge_s": done - begin,
        "cold_s": done - start,
        "peak_rss_mb": _kib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
    }


def run_python(args: Sequence[str], python: str = sys.executable) -> dict[str, Any]:
    """Run a Python script or module in a fresh process; the JSON object on its last output line."""
    completed = subprocess.run(  # noqa: S603  # our interpreter and our own scripts
        [python, *args], capture_output=True, text=True, check=False, cwd=ROOT
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{completed.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures


def reference_python() -> str:
    """The interpreter of the reference's virtualenv, created with reportlab and segno when missing."""
    python = REFERENCE_VENV / "bin" / "python"
    if not python.exists():
        venv.create(REFERENCE_VENV, with_pip=True)
    check = subprocess.run([python, "-c", "import reportlab, segno"], capture_output=True, check=False)  # noqa: S603
    if check.returncode != 0:
        subprocess.run(  # noqa: S603  # pip of our own throwaway virtualenv
            [python, "-m", "pip", "install", "--quiet", "reportlab", "segno"], check=True
        )
    return str(python)


def measure(count: int, runs: int, reference: Path, scratch: Path) -> dict[str, Any]:
    """Run both tools ``runs`` times each (alternating) and return the median figures."""
    python = reference_python()
    own: list[dict[str, Any]] = []
    ref: list[dict[str, Any]] = []
    for _ in range(runs):
        ref.append(run_python([str(reference), "--count", str(count), "--out", str(scratch / "reference.pdf")],
                              python))
        own.append(run_python(["-m", "benchmarks.badges", "--measure", "batch", "--count", str(count),
                               "--out", str(scratch / "tenderguard.pdf")]))
    ref_first = run_python([str(reference), "--count", "1", "--out", str(scratch / "reference-1.pdf")], python)
    first = run_python(["-m", "benchmarks.badges", "--measure", "first", "--out", str(scratch / "first.pdf")])

    def median(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
        """The run with the median ``key``."""
        middle = statistics.median_low(row[key] for row in rows)
        return next(row for row in rows if row[key] == middle)

    tg, rl = median(own, "badges_per_s"), median(ref, "badges_per_s")
    peak = max(tg["parent_peak_rss_mb"], tg["worker_peak_rss_mb"])
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "count": count,
        "runs": runs,
        "tenderguard": tg,
        "tenderguard_runs": [row["badges_per_s"] for row in own],
        "tenderguard_first": first,
        "reference": rl,
        "reference_runs": [row["badges_per_s"] for row in ref],
        "reference_first_s": ref_first["seconds"],
        "speed_met": tg["badges_per_s"] >= rl["badges_per_s"],
        "memory_met": peak < TARGET_RSS_MB,
        "first_met": first["first_badge_s"] < TARGET_FIRST_S,
    }


# ------------------------------------------------------------------------------------------------ output


def verdict(met: bool) -> str:
    """PASS or FAIL, coloured."""
    return "[green]PASS[/green]" if met else "[red]FAIL[/red]"


def render(figures: dict[str, Any], console: Console) -> None:
    """Print the side-by-side table."""
    tg, rl, first = figures["tenderguard"], figures["reference"], figures["tenderguard_first"]
    console.print(f"Python {figures['python']} · {figures['cpus']} CPUs · {figures['count']:,} badges "
                  f"({-(-figures['count'] // 8):,} A4 pages) · median of {figures['runs']}")
    table = Table(title="Badge sheets: TenderGuard (WeasyPrint) vs ReportLab reference, same run")
    for column, justify in (("Measure", "left"), ("TenderGuard", "right"), ("ReportLab", "right"),
                            ("Target", "left"), ("", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_row("seconds", f"{tg['seconds']:.2f}", f"{rl['seconds']:.2f}", "", "")
    table.add_row("badges/s", f"{tg['badges_per_s']:.1f}", f"{rl['badges_per_s']:.1f}", "≥ reference",
                  verdict(figures["speed_met"]))
    table.add_row("peak RSS, calling process (MB)", f"{tg['parent_peak_rss_mb']:.0f}", f"{rl['peak_rss_mb']:.0f}",
                  f"< {TARGET_RSS_MB:.0f}", verdict(tg["parent_peak_rss_mb"] < TARGET_RSS_MB))
    table.add_row("peak RSS, worst worker (MB)", f"{tg['worker_peak_rss_mb']:.0f}",
                  "—", f"< {TARGET_RSS_MB:.0f}", verdict(tg["worker_peak_rss_mb"] < TARGET_RSS_MB))
    table.add_row("PDF size (KB)", f"{tg['pdf_kb']:,.0f}", f"{rl['pdf_kb']:,.0f}", "", "")
    table.add_row("first badge (s)", f"{first['first_badge_s']:.2f}", f"{figures['reference_first_s']:.2f}",
                  f"< {TARGET_FIRST_S:.0f}", verdict(figures["first_met"]))
    table.add_row("first badge incl. imports (s)", f"{first['cold_s']:.2f}", "", "", "")
    console.print(table)
    console.print(
        f"TenderGuard runs {' / '.join(f'{r:.1f}' for r in figures['tenderguard_runs'])} badges/s; reference "
        f"{' / '.join(f'{r:.1f}' for r in figures['reference_runs'])}. {tg['processes']} processes sampled "
        f"(forkserver and workers), RUSAGE_CHILDREN {tg['rusage_children_mb']:.0f} MB. First badge: imports "
        f"{first['import_s']:.2f} s, peak RSS {first['peak_rss_mb']:.0f} MB. Both tools are timed from their "
        "first call after the imports (TenderGuard's workers import WeasyPrint within the timing)."
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run both tools and print the table (or one JSON object)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.badges",
                                     description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1_000, help="badges per run (default 1000)")
    parser.add_argument("--runs", type=int, default=1, help="runs of each tool; the median is shown (default 1)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="the ReportLab reference script")
    parser.add_argument("--measure", choices=("batch", "first"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.count < 1 or args.runs < 1:
        parser.error("--count and --runs must be at least 1")
    if args.measure is not None:  # one measuring subprocess
        figures = measure_batch(args.count, args.out) if args.measure == "batch" else measure_first(args.out)
        print(json.dumps(figures))
        return 0
    if not args.reference.is_file():
        parser.error(f"reference script not found: {args.reference}")
    with tempfile.TemporaryDirectory(prefix="tenderguard-bench-badges-") as scratch:
        figures = measure(args.count, args.runs, args.reference.resolve(), Path(scratch))
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        render(figures, Console())
    return 0


if __name__ == "__main__":
    sys.exit(main())
