"""Screen a small queue of arrivals at one desk of 密云区公共资源交易中心 and print the outcomes.

Run: ``python examples/screen_queue.py [--policy miyun-2020] [--arrivals examples/arrivals.jsonl]``.
The queue includes a fever that passes on re-measure, a fever refused, a form filled in at the desk, a second
person of one company refused, a substitution, a key-area referral, an exit and a re-entry after lunch, and one
invalid line. Names are printed masked; nothing about one bidder is shown next to another's data.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tenderguard import (
    Agency,
    BidSession,
    Centre,
    DomainEvent,
    Gate,
    InMemoryStore,
    ManualClock,
    MessageBus,
    load_policy,
    mask_name,
)
from tenderguard.batch import run_batch
from tenderguard.domain.model import SHANGHAI

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Register the day's session, screen the queue, print a table and a summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--policy", default="miyun-2020", help="preset name or policy TOML file")
    parser.add_argument("--arrivals", type=Path, default=HERE / "arrivals.jsonl")
    args = parser.parse_args()

    console = Console(width=max(Console().width, 120))
    centre = Centre(code="MY", name="密云区公共资源交易中心")
    store = InMemoryStore(centre)
    clock = ManualClock(dt.datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI))
    bus = MessageBus()
    seen: Counter[str] = Counter()
    bus.subscribe(DomainEvent, lambda event: seen.update([type(event).__name__]))
    gate = Gate(policy=load_policy(args.policy), centre=centre, uow_factory=store.unit_of_work,
                clock=clock, bus=bus)
    gate.register_agency(Agency(code="AG01", name="北京正信招标代理有限公司", contact="李娜",
                                phone="13811112222"))
    gate.register_session(BidSession(
        code="MY-2026-118", project_name="京沈客专密云站市政配套道路顺潮街道路工程施工",
        opens_at=dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI), hall="第一开标室", agency="AG01",
    ))
    desk = gate.desk("A", "王芳")

    table = Table(title=f"{centre.name} · {gate.policy.title} · 2026-11-23")
    for column in ("#", "姓名", "结果", "原因", "健康标识", "提示"):
        table.add_column(column)
    lines = args.arrivals.read_text(encoding="utf-8").splitlines()
    outcomes: Counter[str] = Counter()
    for result in run_batch(lines, gate, desk, clock):
        outcomes[result["outcome"]] += 1
        name = mask_name(result["name"]) if result.get("name") else "—"
        hint = "" if result["outcome"] in ("admitted", "exited") else result.get("message") or ""
        table.add_row(str(result["line"]), name, result["outcome"], result.get("reason") or "",
                      result.get("badge") or "", hint)
    console.print(table)
    console.print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    console.print("events published: " + ", ".join(f"{k} {v}" for k, v in sorted(seen.items())))


if __name__ == "__main__":
    main()
