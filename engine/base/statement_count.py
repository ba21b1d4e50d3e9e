"""Count what one piece of work asks of the database: SQL statements and commits.

A round-trip budget is checked by counting, not timing (counts do not depend on how busy
the machine is): the listeners see every statement the engine sends, executemany included
as one, and every commit of a connection.
"""

from __future__ import annotations

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

    def report(self) -> str:
        lines = [f"{len(self.statements)} statements, {self.commits} commit(s)"]
        lines += [f"{n:>3}. {' '.join(sql.split())[:160]}" for n, sql in enumerate(self.statements, start=1)]
        return "\n".join(lines)


@contextmanager
def counting(engine: Engine) -> Iterator[StatementCount]:
    """Count the statements and commits sent through ``engine`` inside the ``with`` block."""
    count = StatementCount()

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        count.statements.append(statement)

    def on_commit(_conn: Any) -> None:
        count.commits += 1

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_commit)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "commit", on_commit)


__all__ = ["StatementCount", "counting"]
