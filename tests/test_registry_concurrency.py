"""Fifty counter entries at once on PostgreSQL: all accepted, in temporal order, numbers gapless."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.base.clock import as_utc
from engine.base.db import db
from engine.registry.entries import RegistryEntry, register_incoming
from tests.conftest import ctx_for, make_tenant, make_user
from tests.services import at_once, postgres_app

PARALLEL = 50


def test_parallel_counter_entries_are_all_accepted_in_order_with_gapless_numbers() -> None:
    with postgres_app(pool_size=10) as app:
        with app.app_context():
            tenant = make_tenant("ajt-registre", dir3="L01250009")
            ctx = ctx_for(make_user("anna", tenant, ("tramitador",)), tenant)
            db.session.commit()

        def file(i: int) -> Any:
            def call() -> int:
                entry = register_incoming(ctx, subject=f"Instància {i}", channel="in_person",
                                          sender=f"Persona {i}")
                db.session.commit()
                return entry.seq
            return call

        results = at_once(app, [file(i) for i in range(PARALLEL)])

        assert all(isinstance(r, int) for r in results), [r for r in results if not isinstance(r, int)]
        with app.app_context():
            rows = db.session.execute(
                select(RegistryEntry.seq, RegistryEntry.presented_at).order_by(RegistryEntry.seq)
            ).all()
        assert [row.seq for row in rows] == list(range(1, PARALLEL + 1))
        moments = [as_utc(row.presented_at) for row in rows]
        assert moments == sorted(moments)  # type: ignore[type-var]
