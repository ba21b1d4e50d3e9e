"""CPU time spent by other processes of this machine, read from Linux's ``/proc``.

A benchmark whose work happens in server processes (gunicorn workers, PostgreSQL backends)
cannot time it with ``time.process_time``; wall-clock rates on a shared machine say as much
about the neighbours as about the program. The CPU seconds those processes spent during a round
do not depend on the load, so a figure per request can be compared across runs.
Where ``/proc`` is missing (not Linux) every reading is None and the figures are left out.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

PROC = Path("/proc")
#: Clock ticks per second of the ``utime``/``stime`` fields.
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
#: Per-process CPU seconds at one moment, by pid.
Snapshot = dict[int, float]


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (which may hold spaces)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds ``pid`` has used so far, None when it cannot be read."""
    fields = _stat_fields(pid)
    return None if fields is None else (int(fields[11]) + int(fields[12])) / TICKS


def descendants_of(ancestor: int) -> list[int]:
    """The pids below ``ancestor`` in the process tree, itself excluded (a gunicorn master's
    workers and the script sandboxes they start, say)."""
    if not PROC.is_dir():
        return []
    parents: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = [], [ancestor]
    while stack:
        below = parents.get(stack.pop(), [])
        found += below
        stack += below
    return found


def is_postgres(pid: int) -> bool:
    """Whether ``pid`` is a PostgreSQL process of this machine (a backend's pid as the server
    reports it means another process when the server runs elsewhere)."""
    try:
        return (PROC / str(pid) / "comm").read_text().strip().startswith("postgres")
    except OSError:
        return False


def snapshot(pids: Iterable[int]) -> Snapshot:
    readings = {pid: cpu_seconds(pid) for pid in pids}
    return {pid: seconds for pid, seconds in readings.items() if seconds is not None}


def spent(before: Snapshot, after: Snapshot) -> float | None:
    """CPU seconds the processes of ``after`` used since ``before`` (a process born in between
    counts whole); None when nothing could be read."""
    if not after:
        return None
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


__all__ = ["Snapshot", "cpu_seconds", "descendants_of", "is_postgres", "snapshot", "spent"]
