"""How fast this machine runs plain Python, so figures measured on different machines can be compared."""

from __future__ import annotations

import os
import sys
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


def interpreter() -> str:
    """Which Python build runs the benchmark: its executable and whether libpython is a shared library.

    The same code runs 10-20 % faster on Debian's python3 (libpython linked into the executable, an optimised
    build) than on a default source or pyenv build with a shared libpython, so figures name the build.
    """
    base = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            shared = any("libpython" in line for line in maps)
    except OSError:  # not Linux: say nothing about linking
        return base
    return f"{base} ({'shared libpython' if shared else 'libpython linked in'})"
