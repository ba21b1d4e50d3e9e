"""A row looked up by its id is found through the primary key, even for a tenant that the
database's statistics do not know yet (one onboarded, or grown, since the last ANALYZE).

PostgreSQL's planner reckons such a tenant has no rows; given ``tenant_id = :t`` it walked the
tenant's index and checked every row of the tenant, so each completion of a busy new tenant got
slower with every expedient until the statistics caught up. What a clerk would notice is time,
which tests do not measure: these read the plan the database chose for the statements sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text

from engine.base.context import Context
from engine.base.db import db, is_postgresql
from engine.process.instances import tasks as instances
from engine.process.models import HumanTask
from engine.tenancy.scoping import get_owned
from tests.conftest import ctx_for, make_tenant, make_user
from tests.engine_helpers import make_version

#: Indexes that lead with the tenant: walking one of them checks every row of the tenant.
TENANT_LED = ("ix_human_tasks_inbox", "ix_human_tasks_visible", "ix_process_instances_tenant_id")


def _copies(tenant_id: int, instance_id: int, count: int) -> None:
    """``count`` more instances of the tenant like ``instance_id``, each with a completed task."""
    db.session.execute(text(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
        "INSERT INTO process_instances (tenant_id, process_version_id, status, state_json, version, created_at, "
        "updated_at) SELECT tenant_id, process_version_id, status, state_json, version, created_at, updated_at "
        "FROM process_instances, n WHERE id = :instance_id"
    ), {"count": count, "instance_id": instance_id})  # fmt: skip
    db.session.execute(text(
        "INSERT INTO human_tasks (tenant_id, instance_id, task_uuid, element_id, name, potential_owners, state, "
        "created_at) SELECT :tenant_id, p.id, 'copy-' || p.id, 'review', 'Review', '[]', 'completed', created_at "
        "FROM process_instances p WHERE p.tenant_id = :tenant_id AND p.id <> :instance_id"
    ), {"tenant_id": tenant_id, "instance_id": instance_id})  # fmt: skip


def _tenant_with_instances(code: str, clerk: str, count: int) -> tuple[Context, dict[str, Any]]:
    """A tenant whose clerk started the review loop once, and ``count`` more instances like it."""
    tenant = make_tenant(code, f"Ajuntament {code}")
    ctx = ctx_for(make_user(clerk, tenant, ("tramitador",)), tenant)
    make_version(tenant.id, "exec_loop")
    started = instances.start_instance(ctx, "exec_loop", data={"rounds": 0})
    _copies(tenant.id, started["instance_id"], count)
    db.session.commit()
    return ctx, started


@pytest.fixture
def new_tenant_task(client) -> dict[str, Any]:
    """A province whose statistics know one busy tenant; then a second tenant, unknown to them,
    with 300 instances and one task ready for its clerk."""
    _tenant_with_instances("ajt-antic", "antic", 2000)
    db.session.execute(text("ANALYZE process_instances, human_tasks" if is_postgresql() else "ANALYZE"))
    ctx, started = _tenant_with_instances("ajt-nou", "nova", 300)
    return {"ctx": ctx, "task_id": started["ready_tasks"][0]["id"]}


@contextmanager
def sent_statements() -> Iterator[list[tuple[str, Any]]]:
    sent: list[tuple[str, Any]] = []

    def on_statement(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", on_statement)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", on_statement)


def plan_of(statement: str, parameters: Any) -> str:
    """The plan's lines (SQLite: the detail column of EXPLAIN QUERY PLAN)."""
    explain = "EXPLAIN" if is_postgresql() else "EXPLAIN QUERY PLAN"
    rows = db.session.connection().exec_driver_sql(f"{explain} {statement}", parameters).all()
    return "\n".join(str(row[-1]) for row in rows)


def assert_found_by_primary_key(plan: str, table: str = "human_tasks") -> None:
    assert (f"pk_{table}" if is_postgresql() else f"SEARCH {table} USING INTEGER PRIMARY KEY") in plan, plan
    assert not any(index in plan for index in TENANT_LED), plan


def test_the_task_lock_of_a_completion_uses_the_primary_key(new_tenant_task):
    ctx, task_id = new_tenant_task["ctx"], new_tenant_task["task_id"]
    with sent_statements() as sent:
        answer = instances.complete_task(ctx, task_id, {"approved": False})
    assert [t["element_id"] for t in answer["ready_tasks"]] == ["review"]  # the loop went round
    lock = [(sql, params) for sql, params in sent if "FROM process_instances JOIN human_tasks" in sql]
    assert len(lock) == 1, sent
    db.session.rollback()
    plan = plan_of(*lock[0])
    assert_found_by_primary_key(plan)
    assert_found_by_primary_key(plan, "process_instances")


def test_a_row_of_the_tenant_is_found_by_its_id(new_tenant_task):
    ctx, task_id = new_tenant_task["ctx"], new_tenant_task["task_id"]
    with sent_statements() as sent:
        assert get_owned(HumanTask, ctx, task_id).id == task_id
    (lookup,) = sent
    assert_found_by_primary_key(plan_of(*lookup))
