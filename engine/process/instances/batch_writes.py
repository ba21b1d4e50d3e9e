"""Writes a batch of instances shares: made once, set-based, at the end of the batch.

Firing a batch of due timers advances hundreds of instances in one unit of work. What each
instance would write row by row — its new state, its timers marked fired, its completed steps,
its audit events — is staged here instead and written at the end in a few statements (the
states in one UPDATE, the timers in one UPDATE, the steps in one INSERT, the audit
events chained in one INSERT per tenant), and the pending Timer rows of the whole batch are read
in one query instead of one per instance.

The batch holds its instances' row locks (``lock_for_runs``), so a state needs no
compare-and-swap. Each instance runs inside :meth:`BatchWrites.instance`: what it staged joins
the batch only when it succeeds. Outside a batch (every other caller) :func:`current` is None
and the callers write as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from engine.audit.trail import Entry, record_batch
from engine.base.bulk_rows import insert_rows, update_rows
from engine.base.clock import utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.process.models import CompletedStep, ProcessInstance, Timer

_KEY = "gee_batch_writes"
_instances = ProcessInstance.__table__


@dataclass
class _Staged:
    states: list[dict[str, Any]] = field(default_factory=list)
    fired_timers: list[int] = field(default_factory=list)
    completed_steps: list[dict[str, Any]] = field(default_factory=list)
    audit: list[tuple[Context, list[Entry]]] = field(default_factory=list)

    def extend(self, other: _Staged) -> None:
        self.states.extend(other.states)
        self.fired_timers.extend(other.fired_timers)
        self.completed_steps.extend(other.completed_steps)
        self.audit.extend(other.audit)


@dataclass
class BatchWrites:
    #: Pending Timer rows of the batch's instances, by instance id (read once for all).
    pending_timers: dict[int, list[Timer]] = field(default_factory=dict)
    done: _Staged = field(default_factory=_Staged)
    staging: _Staged | None = None

    def load_pending_timers(self, instance_ids: Iterable[int]) -> None:
        ids = list(instance_ids)
        self.pending_timers = {instance_id: [] for instance_id in ids}
        for row in db.session.execute(
                select(Timer).where(Timer.instance_id.in_(ids), Timer.state == "pending")).scalars():
            self.pending_timers[row.instance_id].append(row)

    @contextmanager
    def instance(self) -> Iterator[None]:
        """Stage one instance's writes; they join the batch only if it succeeds."""
        self.staging = _Staged()
        try:
            yield
            self.done.extend(self.staging)
        finally:
            self.staging = None

    def _stage(self) -> _Staged:
        if self.staging is None:
            raise RuntimeError("batch writes are staged per instance: use BatchWrites.instance()")
        return self.staging

    def state_written(self, instance: ProcessInstance, values: dict[str, Any]) -> None:
        """The instance's new state columns (``state_json``, ``version``, ``status``, ``updated_at``
        and, when it completed now, ``completed_at``)."""
        self._stage().states.append({"completed_at": instance.completed_at, **values, "id": instance.id})

    def timer_fired(self, timer_id: int) -> None:
        self._stage().fired_timers.append(timer_id)

    def steps_completed(self, rows: list[dict[str, Any]]) -> None:
        self._stage().completed_steps.extend(rows)

    def audit(self, ctx: Context, entries: list[Entry]) -> None:
        self._stage().audit.append((ctx, entries))

    def write(self) -> None:
        """The batch's staged writes, set-based (the audit appends themselves wait for the commit)."""
        done, self.done = self.done, _Staged()
        update_rows(_instances, "id", done.states)
        if done.fired_timers:
            db.session.execute(update(Timer).where(Timer.id.in_(done.fired_timers))
                               .values(state="fired", fired_at=utcnow())
                               .execution_options(synchronize_session=False))
        insert_rows(CompletedStep.__table__, done.completed_steps)
        by_actor: dict[Context, list[Entry]] = {}
        for ctx, entries in done.audit:
            by_actor.setdefault(ctx, []).extend(entries)
        # every batch takes the tenants' chain heads in the same order: two batches cannot deadlock
        for ctx in sorted(by_actor, key=lambda ctx: ctx.tenant_id):
            record_batch(ctx, by_actor[ctx])


def current() -> BatchWrites | None:
    """The batch open on this session, if any."""
    batch: BatchWrites | None = db.session.info.get(_KEY)
    return batch


@contextmanager
def batch() -> Iterator[BatchWrites]:
    """Open a batch on this session; its staged writes are made when the block ends without error."""
    writes = BatchWrites()
    db.session.info[_KEY] = writes
    try:
        yield writes
        writes.write()
    finally:
        db.session.info.pop(_KEY, None)


__all__ = ["BatchWrites", "batch", "current"]
