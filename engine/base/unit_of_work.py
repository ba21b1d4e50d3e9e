"""One unit of work per entry point: the only place in the engine that commits or rolls back.

Services change the session and flush; the edge that called them (a web request, an API
call, a CLI command, a background job) runs the whole entry point through
:func:`run_in_transaction`, which commits once at the end. When a concurrent writer got
there first (a stale version compare-and-swap, an idempotency key taken meanwhile, a
serialization failure or deadlock, SQLite's write lock) everything is rolled back and the
WHOLE entry point is run again with the same inputs, so nothing the caller did before the
lost race (an upload, a signature) is thrown away; after ``retries`` lost races the caller
gets :class:`~engine.base.errors.Conflict` (409) with nothing saved.

A service that is also an entry point of its own (called from a test, a script) declares
its unit with :func:`run_in_transaction` too: inside an edge it joins the edge's unit under
a savepoint (a failure keeps nothing of what it wrote, a lost race goes up to the edge),
outside any edge it is the edge.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Executable
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from engine.base.db import db
from engine.base.errors import Conflict
from engine.base.i18n import _l

log = logging.getLogger("gee.transactions")

T = TypeVar("T")

#: Runs of the whole entry point before giving up with Conflict.
MAX_ATTEMPTS = 8
_ACTIVE = "gee_unit_of_work"
_AFTER_COMMIT = "gee_after_commit"
_BEFORE_COMMIT = "gee_before_commit"
_WITH_COMMIT = "gee_with_commit"
#: PostgreSQL SQLSTATEs of a lost race: serialization failure, deadlock detected.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}


class LostRace(Exception):
    """Another transaction saved the same thing between our read and our write."""


def active() -> bool:
    """Whether an edge's unit of work is open on the current session."""
    return bool(db.session.info.get(_ACTIVE))


def is_lost_race(exc: BaseException) -> bool:
    """Whether ``exc`` says a concurrent writer won: the entry point may simply run again."""
    if isinstance(exc, LostRace | IntegrityError):
        return True
    if isinstance(exc, OperationalError):
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if sqlstate in _RETRYABLE_SQLSTATES:
            return True
        return "locked" in str(exc).lower() and db.engine.dialect.name == "sqlite"
    return False


def run_in_transaction(work: Callable[[], T], *, retries: int = MAX_ATTEMPTS, savepoint: bool = True) -> T:
    """Run ``work`` as one unit of work: commit once, redo it all after a lost race.

    Nested in an open unit it runs under a savepoint and leaves committing (and retrying)
    to the outermost one. ``savepoint=False`` spares the savepoint's two round trips, for work
    that refuses (raises) only before it writes: a failure then leaves nothing to undo.
    """
    session = db.session
    if session.info.get(_ACTIVE):
        marks = _marks()
        try:
            if not savepoint:
                return work()
            with session.begin_nested():
                return work()
        except BaseException:
            _drop_since(marks)  # what was meant to go with the work that was just undone
            raise
    session.info[_ACTIVE] = True
    try:
        for attempt in range(retries):
            _reset_callbacks()
            try:
                result = work()
                _run_before_commit()
                _commit()
            except BaseException as exc:
                session.rollback()
                if not is_lost_race(exc):
                    raise
                log.warning("unit of work lost a race (attempt %s): %s", attempt + 1, exc)
                time.sleep(0.02 * (attempt + 1))
                continue
            callbacks: list[Callable[[], object]] = session.info[_AFTER_COMMIT]
            break
        else:
            raise Conflict(_l("The procedure is being changed by someone else right now; please try again."))
    finally:
        session.info.pop(_ACTIVE, None)
        _clear_callbacks()
    for callback in callbacks:
        callback()
    return result


def run_discarded(work: Callable[[], T]) -> T:
    """Run ``work`` as a unit of work whose changes are ALL thrown away at the end, whatever it
    returns or raises (a test-run of a draft procedure): nothing of it is ever committed, and what
    it meant to do after commit is dropped. Nested in an open unit it runs under a savepoint that
    is rolled back, so the caller's own work is kept; outside any unit it is the edge, and ends by
    rolling back the session's open transaction."""
    session = db.session
    if session.info.get(_ACTIVE):
        marks = _marks()
        savepoint = session.begin_nested()
        try:
            return work()
        finally:
            if savepoint.is_active:
                savepoint.rollback()
            _drop_since(marks)
    session.info[_ACTIVE] = True
    _reset_callbacks()
    try:
        return work()
    finally:
        session.rollback()
        session.info.pop(_ACTIVE, None)
        _clear_callbacks()


def after_commit(callback: Callable[[], object]) -> None:
    """Run ``callback`` once the open unit of work has committed (right now when none is open);
    dropped when the work it follows is rolled back. E.g. enqueueing a job that reads what the
    unit writes."""
    if not active():
        callback()
        return
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def before_commit(callback: Callable[[], object]) -> None:
    """Run ``callback`` as the last work of the open unit, right before its commit (right now when
    none is open); dropped when the work it follows is rolled back. For writes that take a lock
    every transaction of a tenant shares (the audit chain's head): taken last, held only until
    the commit that follows."""
    if not active():
        callback()
        return
    db.session.info.setdefault(_BEFORE_COMMIT, []).append(callback)


def with_commit(statement: Executable, params: dict[str, Any]) -> None:
    """Send ``statement`` with the commit of the open unit, after every :func:`before_commit` callback
    (right now when no unit is open): on PostgreSQL in the same round trip as the COMMIT (see
    :func:`_commit`), so a lock it takes is held for that round trip only. Its
    answer is not read (so no ``RETURNING``, which a Core insert adds for its primary key): if it
    fails, the commit fails, and a lost race is run again like any other."""
    if not active():
        db.session.execute(statement, params)
        return
    db.session.info.setdefault(_WITH_COMMIT, []).append((statement, params))


def send_with_commit_now() -> None:
    """Send what waits for the commit (:func:`with_commit`) now, in order: for a before-commit
    callback that must find it done (it reads what those statements write)."""
    riders: list[tuple[Executable, dict[str, Any]]] = db.session.info.get(_WITH_COMMIT, [])
    while riders:
        statement, params = riders.pop(0)
        db.session.execute(statement, params)


def _commit() -> None:
    """Commit, with what waits for the commit (see :func:`with_commit`) sent last, in order.

    On PostgreSQL they go in psycopg's pipeline mode: the driver sends them and the COMMIT together
    and reads their answers together, in one round trip. Sent on its own and followed by the
    COMMIT, the audit append held the tenant's chain head for two: its own, then the commit's once
    its answer was back in Python (which in a threaded server may first wait for its turn at the
    interpreter). The statements go through the session like any other (SQLAlchemy's events see
    them); a failing one fails the COMMIT, raised as SQLAlchemy raises a driver's error so that a
    lost race is recognised. Elsewhere (SQLite, a driver without pipelines) they run one by one.
    """
    session = db.session
    driver = _pipelining_driver() if session.info.get(_WITH_COMMIT) else None
    if driver is None:
        send_with_commit_now()
        session.commit()
        return
    import psycopg

    session.flush()  # the ORM reads the answers of its own writes: they go before the pipeline
    try:
        # Out of pipeline mode again before SQLAlchemy hands the connection back to the pool.
        with driver.pipeline():
            send_with_commit_now()
            driver.commit()
    except psycopg.Error as exc:
        raise DBAPIError.instance(None, None, exc, psycopg.Error) from exc
    session.commit()  # SQLAlchemy's side: the driver has no transaction open any more and sends nothing


def _pipelining_driver() -> Any:
    """The psycopg connection under the session's transaction when it can pipeline, else None."""
    driver = db.session.connection().connection.driver_connection
    if not type(driver).__module__.startswith("psycopg"):
        return None
    import psycopg

    return driver if isinstance(driver, psycopg.Connection) and psycopg.Pipeline.is_supported() else None


def _run_before_commit() -> None:
    pending: list[Callable[[], object]] = db.session.info.get(_BEFORE_COMMIT, [])
    while pending:
        pending.pop(0)()


#: What a unit keeps for its commit, dropped with the work it follows.
_PENDING = (_BEFORE_COMMIT, _WITH_COMMIT, _AFTER_COMMIT)


def _marks() -> tuple[int, ...]:
    info = db.session.info
    return tuple(len(info.setdefault(key, [])) for key in _PENDING)


def _drop_since(marks: tuple[int, ...]) -> None:
    for key, mark in zip(_PENDING, marks, strict=True):
        del db.session.info[key][mark:]


def _reset_callbacks() -> None:
    for key in _PENDING:
        db.session.info[key] = []


def _clear_callbacks() -> None:
    for key in _PENDING:
        db.session.info.pop(key, None)


def discard() -> None:
    """Throw away everything the current unit of work did so far (a refused form, a failed
    deploy): the edge then commits nothing of it. Outside a unit it ends the open (read)
    transaction."""
    db.session.rollback()
    if active():
        _reset_callbacks()


def end_read() -> None:
    """End a read-only transaction (before in-process jobs run) unless an edge's unit is open."""
    if not active():
        db.session.rollback()


__all__ = [
    "MAX_ATTEMPTS", "LostRace", "active", "after_commit", "before_commit", "discard", "end_read", "is_lost_race",
    "run_discarded", "run_in_transaction", "send_with_commit_now", "with_commit",
]
