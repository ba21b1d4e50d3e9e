"""Count what one piece of work asks of the database: SQL statements and commits.

A round-trip budget is checked by counting, not timing (counts do not depend on how busy
the machine is): the listeners see every statement the engine sends, executemany included
as one, and every commit of a connection. Beside the counts, the CPU this thread spent
inside the driver between each statement's cursor events (psycopg's ``execute``: adapting the
parameters, sending, reading the answer; waiting for the server costs no CPU): the part of a
statement no layer above the driver can save.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class StatementCount:
    """What was sent while counting: the statements' text, in order, and the commits."""

    statements: list[str] = field(default_factory=list)
    commits: int = 0
    #: CPU seconds of the counting thread inside the driver's execute, all statements together.
    driver_cpu_s: float = 0.0

    def report(self) -> str:
        lines = [f"{len(self.statements)} statements, {self.commits} commit(s)"]
        lines += [f"{n:>3}. {' '.join(sql.split())[:160]}" for n, sql in enumerate(self.statements, start=1)]
        return "\n".join(lines)


@contextmanager
def counting(engine: Engine) -> Iterator[StatementCount]:
    """Count the statements and commits sent through ``engine`` inside the ``with`` block."""
    count = StatementCount()
    started: dict[int, float] = {}  # by cursor: thread CPU clock when its statement was handed over

    def on_statement(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        count.statements.append(statement)
        started[id(cursor)] = time.thread_time()

    def on_executed(_conn: Any, cursor: Any, *_args: Any) -> None:
        began = started.pop(id(cursor), None)
        if began is not None:
            count.driver_cpu_s += time.thread_time() - began

    def on_commit(_conn: Any) -> None:
        count.commits += 1

    listeners = (("before_cursor_execute", on_statement), ("after_cursor_execute", on_executed),
                 ("commit", on_commit))  # fmt: skip
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield count
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


__all__ = ["StatementCount", "counting"]
