"""Append audit events to a tenant's hash chain in one statement.

The events' hashes depend on the chain head (last sequence number and hash), which only the
database knows for sure once it is locked. Instead of locking the head, reading it, inserting
and writing the head back (three round trips holding a lock every audited transaction of the
tenant needs), SQL completes each event's canonical text with the head and hashes it itself:

- PostgreSQL: one statement — a CTE locks the head row (``FOR UPDATE``; a tenant's first event
  starts from the genesis hash), chains the events (SHA-256 with ``sha256()``), inserts them and
  moves (or creates) the head. Its answer is not needed, so it is sent with the COMMIT.
- SQLite (no data-modifying CTEs): the insert and the head update, two statements; a SQLite
  writer holds the database lock until commit anyway. SHA-256 is a function registered on
  each SQLite connection.

A large append (a batch of timers: hundreds of events) is chained in Python instead
(:func:`append_rows_chained`): PostgreSQL plans a chain of CTEs in time that grows faster than
its length, while locking the head, one multi-row INSERT and moving the head are three
statements whatever the count.

Python prepares each event's canonical text up to its chain fields (see
:func:`engine.audit.trail._digest`: the keys are sorted, so ``prev_hash``, ``seq`` and
``tenant_id`` end it), so the hash SQL computes is the one the verifier recomputes.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, DateTime, Table, bindparam, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import TextClause

from engine.base.bulk_rows import insert_rows
from engine.base.db import db, is_postgresql
from engine.base.unit_of_work import with_commit

#: Where the chain fields begin in an event's canonical JSON text.
CHAIN_KEY = '"prev_hash":"'
#: The previous hash of a tenant's first event.
GENESIS_HASH = "0" * 64
_SQLITE_SHA256 = "gee_sha256_hex"
_COLUMNS = ("tenant_id, seq, at, actor, actor_id, action, object_type, object_id, expedient_id, before, after, "
            "prev_hash, hash, note")  # fmt: skip


@dataclass(frozen=True)
class PendingRow:
    """An event not yet in the chain: its column values and canonical text before the chain fields."""

    values: dict[str, Any]
    payload_head: str


def append_rows(tenant_id: int, rows: list[PendingRow], ensure_head: Callable[[int], None]) -> None:
    """Chain ``rows`` after the tenant's head, in order. PostgreSQL: one statement sent with the
    commit of the open unit of work, in the COMMIT's own round trip
    (:func:`~engine.base.unit_of_work.with_commit`), so the head is locked for that round trip only;
    it starts a tenant's first chain itself. SQLite: now, ``ensure_head`` creating a missing head."""
    statements = _statements(tenant_id, rows)
    if is_postgresql():
        for statement, params in statements:
            with_commit(statement, params)
    elif _run_now(statements) == 0:  # the tenant's first event: no head row to chain from yet
        ensure_head(tenant_id)
        _run_now(statements)


def append_rows_chained(tenant_id: int, rows: list[PendingRow], ensure_head: Callable[[int], None],
                        events: Table) -> None:
    """Like :func:`append_rows`, chained here: the head is locked and read, every event hashed
    after the one before it (the text SQL would hash, see :func:`_chained_payload`), all inserted
    into ``events`` (the events' table) in one statement and the head moved. For appends of many
    events; the head stays locked from the first statement to the commit, which follows at once
    (the append waits for it)."""
    head = db.session.execute(_HEAD_FOR_UPDATE[is_postgresql()], {"tenant": tenant_id}).one_or_none()
    if head is None:
        ensure_head(tenant_id)
        head = db.session.execute(_HEAD_FOR_UPDATE[is_postgresql()], {"tenant": tenant_id}).one()
    seq, prev_hash = int(head[0]), str(head[1])
    chained = []
    for row in rows:
        seq += 1
        digest = hashlib.sha256(_chained_payload(row, tenant_id, prev_hash, seq).encode("utf-8")).hexdigest()
        chained.append({**row.values, "seq": seq, "prev_hash": prev_hash, "hash": digest})
        prev_hash = digest
    insert_rows(events, chained)
    db.session.execute(_MOVE_HEAD, {"tenant": tenant_id, "seq": seq, "hash": prev_hash})


def _chained_payload(row: PendingRow, tenant_id: int, prev_hash: str, seq: int) -> str:
    """The event's canonical text completed with its chain fields, as the SQL of :func:`_sql` does."""
    return f'{row.payload_head}{CHAIN_KEY}{prev_hash}","seq":{seq},"tenant_id":{tenant_id}}}'


def _run_now(statements: list[tuple[TextClause, dict[str, Any]]]) -> int:
    """SQLite: the insert (how many events it chained: none without a head), then the head's update."""
    first, params = statements[0]
    inserted = db.session.execute(first, params).rowcount  # type: ignore[attr-defined]
    if inserted:
        for stmt, more in statements[1:]:
            db.session.execute(stmt, more)
    return int(inserted or 0)


# Every SQL fragment below is a constant of this module; values only ever travel as bound parameters.
# ruff: noqa: S608


def _statements(tenant_id: int, rows: list[PendingRow]) -> list[tuple[TextClause, dict[str, Any]]]:
    params: dict[str, Any] = {"tenant": tenant_id, "tail": f',"tenant_id":{tenant_id}}}', "n": len(rows),
                              "at": rows[0].values["at"], "actor": rows[0].values["actor"],
                              "actor_id": rows[0].values["actor_id"]}  # fmt: skip
    for n, row in enumerate(rows, start=1):
        params.update({f"payload{n}": row.payload_head, f"action{n}": row.values["action"],
                       f"object_type{n}": row.values["object_type"], f"object_id{n}": row.values["object_id"],
                       f"expedient_id{n}": row.values["expedient_id"], f"before{n}": row.values["before"],
                       f"after{n}": row.values["after"], f"note{n}": row.values["note"]})  # fmt: skip
    return [(stmt, params) for stmt in _sql(len(rows), is_postgresql())]


@lru_cache(maxsize=16)
def _sql(count: int, postgres: bool) -> tuple[TextClause, ...]:
    """The statements appending ``count`` events, built once per count and dialect (they depend on
    nothing else; every audited transaction runs them)."""
    sha = "encode(sha256(convert_to({}, 'UTF8')), 'hex')" if postgres else _SQLITE_SHA256 + "({})"
    as_json = "CAST(:{} AS JSON)" if postgres else ":{}"
    at = "CAST(:at AS TIMESTAMP WITH TIME ZONE)" if postgres else ":at"
    if postgres:  # a tenant's first event starts the chain (and its head row) from the genesis hash
        links = ["locked AS (SELECT seq, last_hash AS hash FROM audit_heads WHERE tenant_id = :tenant FOR UPDATE)",
                 f"head AS (SELECT seq, hash FROM locked UNION ALL SELECT 0, '{GENESIS_HASH}' "
                 "WHERE NOT EXISTS (SELECT 1 FROM locked))"]  # fmt: skip
    else:
        links = ["head AS (SELECT seq, last_hash AS hash FROM audit_heads WHERE tenant_id = :tenant)"]
    selects = []
    for n in range(1, count + 1):
        before = "head" if n == 1 else f"e{n - 1}"
        payload = (f"CAST(:payload{n} AS TEXT) || '{CHAIN_KEY}' || p.hash || '\",\"seq\":' || "
                   "CAST(p.seq + 1 AS TEXT) || CAST(:tail AS TEXT)")  # fmt: skip
        links.append(f"e{n} AS (SELECT p.seq + 1 AS seq, p.hash AS prev_hash, {sha.format(payload)} AS hash "
                     f"FROM {before} p)")  # fmt: skip
        selects.append(
            f"SELECT CAST(:tenant AS INTEGER), e.seq, {at}, CAST(:actor AS VARCHAR), CAST(:actor_id AS INTEGER), "
            f"CAST(:action{n} AS VARCHAR), CAST(:object_type{n} AS VARCHAR), CAST(:object_id{n} AS VARCHAR), "
            f"CAST(:expedient_id{n} AS INTEGER), {as_json.format(f'before{n}')}, {as_json.format(f'after{n}')}, "
            f"e.prev_hash, e.hash, CAST(:note{n} AS TEXT) FROM e{n} e"
        )
    insert = f"INSERT INTO audit_events ({_COLUMNS}) "
    last = f"e{count}"
    if postgres:
        sql = (f"WITH {', '.join(links)}, ins AS ({insert}{' UNION ALL '.join(selects)} RETURNING seq), "
               f"moved AS (INSERT INTO audit_heads (tenant_id, seq, last_hash) SELECT CAST(:tenant AS INTEGER), "
               f"seq, hash FROM {last} ON CONFLICT (tenant_id) DO UPDATE SET seq = EXCLUDED.seq, "
               "last_hash = EXCLUDED.last_hash) SELECT count(*) FROM ins")  # fmt: skip
        return (_typed(sql, count),)
    head = ("UPDATE audit_heads SET seq = seq + :n, last_hash = (SELECT e.hash FROM audit_events e "
            "WHERE e.tenant_id = :tenant AND e.seq = audit_heads.seq + :n) WHERE tenant_id = :tenant")  # fmt: skip
    # INSERT first, WITH inside: sqlite3 counts the rows of a statement that begins with INSERT only.
    sql = f"{insert}WITH {', '.join(links)} {' UNION ALL '.join(selects)}"
    return _typed(sql, count), text(head)


_HEAD = "SELECT seq, last_hash FROM audit_heads WHERE tenant_id = :tenant"
_HEAD_FOR_UPDATE = {True: text(_HEAD + " FOR UPDATE"), False: text(_HEAD)}  # SQLite: its writer lock is held
_MOVE_HEAD = text("UPDATE audit_heads SET seq = :seq, last_hash = :hash WHERE tenant_id = :tenant")


def _typed(sql: str, count: int) -> TextClause:
    """The statement with its timestamp and JSON parameters converted the way their columns are."""
    json_params = [bindparam(f"{side}{n}", type_=JSON(none_as_null=True))
                   for n in range(1, count + 1) for side in ("before", "after")]  # fmt: skip
    return text(sql).bindparams(bindparam("at", type_=DateTime(timezone=True)), *json_params)


def _sha256_hex(value: str | None) -> str | None:
    return None if value is None else hashlib.sha256(value.encode("utf-8")).hexdigest()


@event.listens_for(Engine, "connect")
def _register_sqlite_sha256(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(_SQLITE_SHA256, 1, _sha256_hex, deterministic=True)


__all__ = ["CHAIN_KEY", "GENESIS_HASH", "PendingRow", "append_rows", "append_rows_chained"]
