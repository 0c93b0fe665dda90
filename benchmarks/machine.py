"""How fast this machine runs plain Python, so figures measured on different machines can be compared."""

from __future__ import annotations

import time

#: Iterations of the reference loop per measurement.
_STEPS = 2_000_000


def _loop(steps: int) -> int:
    total = 0
    for i in range(steps):
        total += i & 7
    return total


def python_speed(repeats: int = 5) -> float:
    """Million iterations per second of a fixed pure-Python loop (the best of ``repeats``; higher is faster).

    Shared or throttled cores show here first: a machine at half the figure runs the benchmarks' Python at
    about half the speed, whatever the code.
    """
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        _loop(_STEPS)
        best = min(best, time.perf_counter() - start)
    return _STEPS / best / 1e6
