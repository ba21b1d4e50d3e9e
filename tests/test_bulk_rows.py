"""Batches write many rows in one statement (PostgreSQL: arrays unnest()'d; SQLite: executemany):
what is read back is what was written, NULLs, JSON and accents included."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from engine.audit.trail import AuditEvent
from engine.base.bulk_rows import insert_rows, update_rows
from engine.base.db import db
from engine.tenancy.models import Tenant

AT = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


def _event(tenant: Tenant, seq: int, **values: object) -> dict[str, object]:
    return {"tenant_id": tenant.id, "seq": seq, "at": AT, "actor": "timer-sweeper", "actor_id": None,
            "action": "timer.fired", "object_type": "process_instance", "object_id": str(seq),
            "expedient_id": None, "before": None, "after": None, "prev_hash": "0" * 64, "hash": f"{seq:064d}",
            "note": None, **values}  # fmt: skip


def test_rows_written_at_once_read_back_as_written(tenant: Tenant) -> None:
    table = AuditEvent.__table__
    insert_rows(table, [
        _event(tenant, 1, after={"element_id": "espera", "nota": "Sol·licitud d'Àngels"}),
        _event(tenant, 2, expedient_id=7, before={"status": "waiting"}, note="d'ofici"),
        _event(tenant, 3),
    ])
    db.session.commit()
    rows = db.session.execute(select(AuditEvent).where(AuditEvent.tenant_id == tenant.id)
                              .order_by(AuditEvent.seq)).scalars().all()  # fmt: skip
    assert [(r.seq, r.expedient_id, r.before, r.after, r.note) for r in rows] == [
        (1, None, None, {"element_id": "espera", "nota": "Sol·licitud d'Àngels"}, None),
        (2, 7, {"status": "waiting"}, None, "d'ofici"),
        (3, None, None, None, None),
    ]
    update_rows(table, "id", [{"id": rows[0].id, "note": "revisat"}, {"id": rows[2].id, "note": None}])
    db.session.commit()
    notes = db.session.execute(select(AuditEvent.seq, AuditEvent.note).where(AuditEvent.tenant_id == tenant.id)
                               .order_by(AuditEvent.seq)).all()  # fmt: skip
    assert [tuple(row) for row in notes] == [(1, "revisat"), (2, "d'ofici"), (3, None)]


def test_no_rows_write_nothing(tenant: Tenant) -> None:
    insert_rows(AuditEvent.__table__, [])
    update_rows(AuditEvent.__table__, "id", [])
    assert db.session.execute(select(AuditEvent)).first() is None
