"""The demo bid-opening day at 密云区公共资源交易中心, end to end on the embedded SQLite database.

Run: ``python examples/bid_opening_day.py [--out demo-output]`` (or ``tenderguard demo --out DIR``).
It imports the day's sessions and agencies from ``examples/sessions-2026-11-23.csv``, writes each agency's
notice and logs the reminder calls, screens about sixty arrivals at two desks (a fever passing on re-measure, a
fever refused, a form filled in at the desk, a second person of an admitted company refused and later a
substitute, a key-area referral, a re-entry after lunch), prints the badge sheet and the refusal letters,
verifies the audit trail and prints where every file went.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console

from tenderguard.demo import print_summary, run_demo
from tenderguard.i18n import _

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Run the demo day and print its summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("demo-output"), help="where to write (default demo-output)")
    args = parser.parse_args()
    console = Console()
    started = time.perf_counter()
    with console.status(_("demo day")) as status:
        result = run_demo(args.out, sessions_file=HERE / "sessions-2026-11-23.csv",
                          progress=status.update)
    print_summary(result, console, seconds=time.perf_counter() - started)


if __name__ == "__main__":
    main()
