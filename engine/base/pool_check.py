"""A pooled PostgreSQL connection the server has closed is replaced at checkout, without a round trip.

``pool_pre_ping`` sent a ``SELECT 1`` at every checkout, i.e. at every request: a round trip
and CPU on both sides, about a tenth of a ``GET /api/v1/me``. The server says when it drops a
connection (restart, ``pg_terminate_backend``, idle timeout): it sends its error and closes the
socket, which then reads as readable while idle. A pooled connection is idle, so a readable
socket (or one psycopg already knows is closed) means it is gone: the pool discards it and
connects again, and the request never sees the dropped connection.
"""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool


def closed_by_server(dbapi_connection: Any) -> bool:
    """Whether an idle DB-API connection was closed or has something unread (only an error or
    its end can arrive on an idle connection that listens to nothing). False for drivers without
    a socket (SQLite)."""
    if getattr(dbapi_connection, "closed", False) is True:
        return True
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None:
        return False
    try:
        readable, _, _ = select.select([fileno()], [], [], 0)
    except (OSError, ValueError, TypeError):
        return True
    return bool(readable)


@event.listens_for(Pool, "checkout")
def _replace_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if closed_by_server(dbapi_connection):
        raise DisconnectionError("connection closed by the server while pooled")


__all__ = ["closed_by_server"]
