"""Start-up benchmark: the CPU time ``gee --help`` costs against importing Flask and SQLAlchemy.

Both are run as fresh processes, alternately, and each figure is the median of their user CPU
time (read from ``getrusage`` of the finished children): on a machine shared with other work,
wall time says more about the neighbours than about the program.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

BASELINE = [sys.executable, "-c", "import flask, sqlalchemy"]


def gee_help_command() -> list[str]:
    """The installed console script, next to this interpreter."""
    return [str(Path(sys.executable).with_name("gee")), "--help"]


def user_seconds(command: list[str]) -> float:
    """User CPU seconds one run of ``command`` took (it must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 - our own commands
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before


def run_startup_bench(runs: int, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    say = progress or (lambda _msg: None)
    gee, baseline = gee_help_command(), []
    gee_times: list[float] = []
    for n in range(1, runs + 1):
        baseline.append(user_seconds(BASELINE))
        gee_times.append(user_seconds(gee))
        say(f"run {n}/{runs}: gee --help {gee_times[-1]:.3f} s, import flask, sqlalchemy {baseline[-1]:.3f} s")
    gee_s, baseline_s = round(statistics.median(gee_times), 3), round(statistics.median(baseline), 3)
    return {"bench": "startup", "runs": runs, "gee_help_s": gee_s, "baseline_s": baseline_s,
            "ratio": round(gee_s / baseline_s, 2) if baseline_s else None}


__all__ = ["BASELINE", "gee_help_command", "run_startup_bench", "user_seconds"]
