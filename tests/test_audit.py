"""The audit chain: every edit or deletion of an event is found by ``gee audit verify``."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from engine.audit.trail import verify_chain
from engine.base.db import db
from engine.expedients.expedients import open_expedient
from engine.expedients.parties import find_or_create_party
from tests.conftest import ctx_for, make_tenant, make_user
from webapp.cli import main


@pytest.fixture
def tenant():
    tenant = make_tenant("ajt-auditat", dir3="L01250011")
    user = make_user("clerk", tenant, ("tramitador",))
    db.session.commit()
    ctx = ctx_for(user, tenant)
    party = find_or_create_party(ctx, "12345678Z", "Maria Puig")  # event 1
    for subject in ("Primer", "Segon", "Tercer"):  # events 2-3, 4-5, 6-7 (opened + party added)
        open_expedient(ctx, subject, party_ids=[party.id])
    db.session.commit()
    return tenant


def verify(app, *args: str):
    return app.test_cli_runner().invoke(main, ["audit", "verify", *args])


def sql(statement: str, **params: object) -> None:
    db.session.execute(text(statement), params)
    db.session.commit()


def test_an_untouched_chain_is_intact(app, tenant):
    assert verify_chain(tenant.id) is None
    result = verify(app)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "audit chain intact (7 events)"
    assert "no TSA configured" in result.stdout  # checkpoints carry no timestamp: said, not hidden
    assert verify(app, "--tenant", "ajt-auditat").exit_code == 0


def test_an_edited_after_is_found_at_its_event(app, tenant):
    value = json.dumps({"subject": "Un altre assumpte"})
    cast = "CAST(:value AS JSON)" if db.engine.dialect.name == "postgresql" else ":value"
    sql(f'UPDATE audit_events SET "after" = {cast} WHERE tenant_id = :t AND seq = 4', value=value, t=tenant.id)
    problem = verify_chain(tenant.id)
    assert (problem.seq, problem.reason) == (4, "content was edited after it was written")
    result = verify(app, "--tenant", "ajt-auditat")
    assert result.exit_code == 1 and result.stdout == ""
    assert "ajt-auditat" in result.stderr and "#4" in result.stderr and "edited" in result.stderr


def test_an_edited_actor_is_found(app, tenant):
    sql("UPDATE audit_events SET actor = 'someone-else' WHERE tenant_id = :t AND seq = 2", t=tenant.id)
    assert verify_chain(tenant.id).seq == 2


def test_a_deleted_middle_event_is_found(app, tenant):
    sql("DELETE FROM audit_events WHERE tenant_id = :t AND seq = 3", t=tenant.id)
    problem = verify_chain(tenant.id)
    assert problem.seq == 3 and "deleted" in problem.reason
    result = verify(app)
    assert result.exit_code == 1 and "#3" in result.stderr and "deleted" in result.stderr


def test_a_deleted_last_event_is_found(app, tenant):
    sql("DELETE FROM audit_events WHERE tenant_id = :t AND seq = 7", t=tenant.id)
    problem = verify_chain(tenant.id)
    assert problem.seq == 7 and "deleted" in problem.reason
    assert verify(app).exit_code == 1


def test_a_rewritten_chain_tail_is_found(app, tenant):
    # Deleting the last event AND winding the head back is caught by the hash the head keeps.
    sql("DELETE FROM audit_events WHERE tenant_id = :t AND seq = 7", t=tenant.id)
    sql("UPDATE audit_heads SET seq = 6 WHERE tenant_id = :t", t=tenant.id)
    problem = verify_chain(tenant.id)
    assert problem is not None and problem.seq == 7


def test_other_tenants_chains_are_checked_too(app, tenant):
    other = make_tenant("ajt-altre", dir3="L01250012")
    user = make_user("altre", other, ("tramitador",))
    db.session.commit()
    open_expedient(ctx_for(user, other), "Altre")
    db.session.commit()
    assert verify(app).stdout.splitlines()[0] == "audit chain intact (8 events)"
    sql("UPDATE audit_events SET action = 'x' WHERE tenant_id = :t AND seq = 1", t=other.id)
    result = verify(app)
    assert result.exit_code == 1 and "ajt-altre" in result.stderr
    assert verify(app, "--tenant", "ajt-auditat").exit_code == 0


def test_unknown_tenant(app, tenant):
    result = verify(app, "--tenant", "no-such")
    assert result.exit_code == 1 and "no-such" in result.stderr


def test_a_deleted_chain_head_is_found(app, tenant):
    sql("DELETE FROM audit_heads WHERE tenant_id = :t", t=tenant.id)
    assert verify_chain(tenant.id).reason == "the chain head is missing"
