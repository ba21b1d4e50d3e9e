"""Statements sent with the commit (issue #18): the audit append goes, on PostgreSQL, in the COMMIT's
own round trip, so the tenant's chain head that every audited transaction locks is held for that one
round trip. What goes with the commit is still part of the unit: if it loses a race, the whole unit
runs again, and nothing of the run that lost is kept."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event, select, text

from engine import audit
from engine.base.context import Context
from engine.base.db import db, is_postgresql
from engine.base.unit_of_work import run_in_transaction, with_commit
from engine.process.models import IdempotencyKey
from engine.tenancy.models import Tenant
from tests.conftest import ctx_for, make_tenant, make_user
from tests.services import at_once, postgres_app

#: Sent with the commit, a statement's answer is not read: no RETURNING (which a Core insert adds).
_INSERT_KEY = text("INSERT INTO idempotency_keys (tenant_id, user_id, key, response, created_at) "
                   "VALUES (:tenant_id, :user_id, :key, :response, CURRENT_TIMESTAMP)")


def _key(ctx: Context, key: str) -> dict[str, Any]:
    return {"tenant_id": ctx.tenant_id, "user_id": ctx.user_id, "key": key, "response": {}}


def test_the_audit_append_is_sent_with_the_commit(tenant: Tenant):
    ctx = ctx_for(make_user("anna", tenant, ("tramitador",)), tenant)
    db.session.commit()
    seen: list[tuple[str, bool]] = []

    def watch(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        driver = conn.connection.driver_connection
        seen.append((statement, getattr(driver, "_pipeline", None) is not None))

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        run_in_transaction(lambda: audit.record(ctx, "expedient.viewed", "expedient", 7))
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)

    appends = [in_pipeline for statement, in_pipeline in seen if "INSERT INTO audit_events" in statement]
    if is_postgresql():  # one statement, pipelined with the COMMIT (it starts the tenant's chain itself)
        assert appends == [True]
    else:  # right before the commit (SQLite creates the chain's head first: the append is tried again)
        assert appends and not any(appends)
    assert audit.verify_chain(tenant.id) is None
    assert db.session.execute(select(audit.AuditEvent.action)).scalars().all() == ["expedient.viewed"]


def test_a_statement_sent_with_the_commit_that_loses_a_race_runs_the_unit_again(tenant: Tenant, caplog):
    ctx = ctx_for(make_user("anna", tenant, ("tramitador",)), tenant)
    db.session.add(IdempotencyKey(**_key(ctx, "taken")))  # another request's, committed meanwhile
    db.session.commit()
    runs: list[int] = []

    def work() -> None:
        runs.append(len(runs) + 1)
        db.session.add(IdempotencyKey(**_key(ctx, f"run-{len(runs)}")))
        if len(runs) == 1:  # the first run's last statement finds the key taken: a lost race
            with_commit(_INSERT_KEY, {**_key(ctx, "taken"), "response": "{}"})

    transactions_log = logging.getLogger("gee.transactions")
    transactions_log.addHandler(caplog.handler)
    try:
        run_in_transaction(work)
    finally:
        transactions_log.removeHandler(caplog.handler)

    assert runs == [1, 2]
    lost = [r.getMessage() for r in caplog.records if "lost a race" in r.getMessage()]
    assert len(lost) == 1 and "unique" in lost[0].lower()  # the key taken, nothing else
    kept = db.session.execute(select(IdempotencyKey.key).order_by(IdempotencyKey.key)).scalars().all()
    assert kept == ["run-2", "taken"]  # nothing of the run that lost


def test_two_first_events_of_a_tenant_at_once_both_land_in_one_chain():
    with postgres_app(pool_size=4) as app:
        with app.app_context():
            tenant = make_tenant("ajt-cadena", dir3="L01250010")
            users = [make_user(name, tenant, ("tramitador",)) for name in ("anna", "bernat")]
            db.session.commit()
            ctxs = [ctx_for(user, tenant) for user in users]
            tenant_id = tenant.id
        results = at_once(app, [
            lambda ctx=ctx: run_in_transaction(lambda: audit.record(ctx, "expedient.viewed", "expedient", ctx.user_id))
            for ctx in ctxs
        ])  # neither finds the tenant's chain started

        assert not [r for r in results if isinstance(r, Exception)]
        with app.app_context():
            seqs = db.session.execute(select(audit.AuditEvent.seq).where(audit.AuditEvent.tenant_id == tenant_id)
                                      .order_by(audit.AuditEvent.seq)).scalars().all()  # fmt: skip
            assert seqs == [1, 2]
            assert audit.verify_chain(tenant_id) is None
