"""What one API task completion asks of the database (issue #18): statements and commits,
counted with SQLAlchemy's event listeners (a count, not a timing).

The task is a plain user task without documents (``exec_loop``: review -> script -> gateway ->
review again). Issue #18 allows 8 statements and one commit; on PostgreSQL it takes 5: the token
check, the task lock (with the remembered answer of the idempotency key), the state written with
its task rows and completed steps, the answer remembered under the key, the audit append. SQLite,
which has no row locks and no data-modifying CTEs, needs 10 (the write lock taken before reading
the instance, the rows, the steps and the state one by one, the audit head in a statement of its
own). The audit chain head, which every audited transaction of the tenant locks, is taken by the
last statement, which PostgreSQL receives together with the COMMIT (one round trip).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.audit.trail import AuditEvent, verify_chain
from engine.base.clock import as_utc, utcnow
from engine.base.db import db, is_postgresql
from engine.base.statement_count import StatementCount, counting
from engine.process.instances import tasks as instances
from engine.tenancy.models import Tenant
from engine.tenancy.tokens import ApiToken, create_token
from tests.conftest import ctx_for, make_user
from tests.engine_helpers import make_version


def budget() -> int:
    return 5 if is_postgresql() else 10


@pytest.fixture
def waiting(client, tenant: Tenant) -> dict:
    """A token of a clerk and a started instance waiting on its review task."""
    user = make_user("anna", tenant, ("tramitador",))
    ctx = ctx_for(user, tenant)
    secret = create_token(ctx, "script").secret
    db.session.commit()
    make_version(tenant.id, "exec_loop")
    started = instances.start_instance(ctx, "exec_loop", data={"rounds": 0})
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # the token was used a moment ago
    found = {"task_id": started["ready_tasks"][0]["id"], "headers": headers, "tenant_id": tenant.id}
    db.session.remove()
    return found


def complete(client, waiting: dict, key: str = "submit-1") -> tuple[dict, StatementCount]:
    with counting(db.engine) as count:
        response = client.post(f"/api/v1/tasks/{waiting['task_id']}/complete", json={"data": {"approved": False}},
                               headers={**waiting["headers"], "Idempotency-Key": key})
    assert response.status_code == 200, response.get_json()
    return response.get_json(), count


def test_a_completion_fits_the_statement_budget_with_one_commit(client, waiting):
    answer, count = complete(client, waiting)

    assert len(count.statements) <= budget(), count.report()
    assert count.commits == 1, count.report()
    # what the user sees: the loop went round once and the review is ready again
    assert answer["status"] == "waiting" and answer["incidents"] == []
    assert [t["element_id"] for t in answer["ready_tasks"]] == ["review"]
    assert answer["ready_tasks"][0]["id"] != waiting["task_id"]
    # the chain head is locked by the last statement only, sent with the commit
    last = " ".join(count.statements[-1].split()).lower()
    assert "audit_heads" in last, count.report()
    assert not any("audit_heads" in s.lower() for s in count.statements[:-2]), count.report()
    actions = db.session.execute(
        select(AuditEvent.action).where(AuditEvent.tenant_id == waiting["tenant_id"]).order_by(AuditEvent.seq)
    ).scalars().all()
    assert actions[-1] == "task.completed"
    assert verify_chain(waiting["tenant_id"]) is None


def test_a_retry_with_the_same_key_reads_the_first_answer_in_two_statements(client, waiting):
    first, _count = complete(client, waiting)
    again, count = complete(client, waiting)

    assert again == first
    assert len(count.statements) <= (2 if is_postgresql() else 3), count.report()
    assert count.commits == 1


def test_a_due_last_use_stamp_rides_on_the_completion_commit(client, waiting):
    token = db.session.execute(select(ApiToken)).scalar_one()
    token.last_used_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    db.session.remove()

    _answer, count = complete(client, waiting)

    assert len(count.statements) <= budget() + 1, count.report()  # the stamp: one UPDATE, no commit of its own
    assert count.commits == 1, count.report()
    stamped = db.session.execute(select(ApiToken.last_used_at)).scalar_one()
    assert utcnow() - as_utc(stamped) < timedelta(minutes=1)
