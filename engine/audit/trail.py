"""Audit events: who did what, when, with the state before and after.

Each event stores the hash of the previous event of its tenant, so editing or deleting
any row breaks the chain from that point on; :func:`verify_chain` finds the first break.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from engine.audit.append import CHAIN_KEY, GENESIS_HASH, PendingRow, append_rows, append_rows_chained
from engine.base.clock import as_utc, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.i18n import _l
from engine.base.unit_of_work import before_commit, send_with_commit_now


class AuditEvent(db.Model):  # type: ignore[name-defined]
    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("tenant_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)  # the unique (tenant_id, seq) index leads with it
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(80))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(60))
    expedient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class AuditHead(db.Model):  # type: ignore[name-defined]
    """Last sequence number and hash of each tenant's chain; its row lock orders appends."""

    __tablename__ = "audit_heads"

    tenant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


def _digest(event: AuditEvent) -> str:
    at = as_utc(event.at)
    assert at is not None
    canonical = {
        "tenant_id": event.tenant_id,
        "seq": event.seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor": event.actor,
        "actor_id": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "expedient_id": event.expedient_id,
        "before": event.before,
        "after": event.after,
        "note": event.note,
        "prev_hash": event.prev_hash,
    }
    payload = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _ensure_head(tenant_id: int) -> None:
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    first = insert(AuditHead).values(tenant_id=tenant_id, seq=0, last_hash=GENESIS_HASH)
    db.session.execute(first.on_conflict_do_nothing())


def hold_chain(tenant_id: int) -> None:
    """Lock the tenant's chain head now, for a transaction that must take it before other locks.

    Every audited transaction locks the head when it appends its events, right before its
    commit, and keeps it until then; a transaction that also locks a counter row takes the
    head first, so all of them lock in the same order and cannot deadlock.
    """
    _ensure_head(tenant_id)
    db.session.execute(select(AuditHead.seq).where(AuditHead.tenant_id == tenant_id).with_for_update())


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str))


@dataclass(frozen=True)
class Entry:
    """One event to append, for :func:`record_many`."""

    action: str
    object_type: str
    object_id: object
    expedient_id: int | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    note: str | None = None


def record(
    ctx: Context,
    action: str,
    object_type: str,
    object_id: object,
    *,
    expedient_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
) -> None:
    """Append an event to the tenant's chain inside the caller's transaction (see :func:`record_many`)."""
    record_many(ctx, [Entry(action, object_type, object_id, expedient_id, before, after, note)])


def record_many(ctx: Context, entries: list[Entry]) -> None:
    """Append events, in order, to the tenant's chain as the last write of the caller's unit of work.

    Same chain as one :func:`record` per entry. The append waits for the commit and is one
    statement (:mod:`engine.audit.append`) sent, on PostgreSQL, in the COMMIT's own round trip
    (:func:`~engine.base.unit_of_work.with_commit`), so the tenant's chain head, which every
    audited transaction of the tenant locks, is held for that round trip only.
    """
    if not entries:
        return
    at = utcnow()
    rows = [_row(ctx, entry, at) for entry in entries]
    before_commit(lambda: append_rows(ctx.tenant_id, rows, _ensure_head))


def record_batch(ctx: Context, entries: list[Entry]) -> None:
    """Like :func:`record_many`, for hundreds of events at once (a batch of timers): chained in
    Python under the head's lock and inserted in one statement (see
    :func:`engine.audit.append.append_rows_chained`), the same chain the verifier checks."""
    if not entries:
        return
    at = utcnow()
    rows = [_row(ctx, entry, at) for entry in entries]

    def append() -> None:
        send_with_commit_now()  # the events recorded before these come first in the chain
        append_rows_chained(ctx.tenant_id, rows, _ensure_head, AuditEvent.__table__)

    before_commit(append)


def _row(ctx: Context, entry: Entry, at: datetime) -> PendingRow:
    values = {
        "tenant_id": ctx.tenant_id,
        "at": at,
        "actor": ctx.username,
        "actor_id": ctx.user_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": str(entry.object_id),
        "expedient_id": entry.expedient_id,
        "before": _jsonable(entry.before),
        "after": _jsonable(entry.after),
        "note": entry.note,
    }
    return PendingRow(values, _payload_before_chain(values))


def _payload_before_chain(values: dict[str, Any]) -> str:
    """The canonical text :func:`_digest` hashes, up to where the chain fields begin: the keys are
    sorted, so ``prev_hash``, ``seq`` and ``tenant_id`` close it, and SQL completes it with the head."""
    canonical = {**values, "at": values["at"].isoformat(timespec="microseconds"), "prev_hash": "", "seq": 0}
    payload = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return payload[: payload.rindex(CHAIN_KEY)]


@dataclass(frozen=True)
class ChainProblem:
    tenant_id: int
    seq: int
    reason: str

    def __str__(self) -> str:
        return str(_l("tenant %(tenant)s, event #%(seq)s: %(reason)s", tenant=self.tenant_id, seq=self.seq,
                      reason=self.reason))


def verify_chain(tenant_id: int) -> ChainProblem | None:
    """The first broken link of a tenant's chain, or None when it is intact.

    The head is read first and only events up to its sequence number are checked, so events
    appended while the check runs are left for the next run instead of looking like a break.
    """
    head = db.session.execute(select(AuditHead).where(AuditHead.tenant_id == tenant_id)).scalar_one_or_none()
    last_seq = head.seq if head is not None else 0
    expected_prev = GENESIS_HASH
    expected_seq = 1
    stmt = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
    if head is not None:
        stmt = stmt.where(AuditEvent.seq <= last_seq)
    for event in db.session.execute(stmt.order_by(AuditEvent.seq)).scalars():
        if head is None:
            return ChainProblem(tenant_id, event.seq, str(_l("the chain head is missing")))
        if event.seq != expected_seq:
            return ChainProblem(tenant_id, expected_seq, str(_l("event missing (deleted)")))
        if event.prev_hash != expected_prev:
            return ChainProblem(tenant_id, event.seq, str(_l("does not follow the previous event")))
        if _digest(event) != event.hash:
            return ChainProblem(tenant_id, event.seq, str(_l("content was edited after it was written")))
        expected_prev = event.hash
        expected_seq += 1
    if head is not None and (last_seq != expected_seq - 1 or head.last_hash != expected_prev):
        # The head keeps the last event's hash too: winding its counter back does not hide
        # events deleted at the end.
        return ChainProblem(tenant_id, expected_seq, str(_l("event missing at the end of the chain (deleted)")))
    return None
