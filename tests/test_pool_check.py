"""A pooled PostgreSQL connection the server dropped (a restart, an administrator's
``pg_terminate_backend``) is replaced before a request uses it: the user gets the answer, not
an error. Checked without the ping round trip every request used to pay (engine.base.pool_check)."""

from __future__ import annotations

import time

import psycopg
from sqlalchemy import text

from engine.base.db import db
from engine.process.instances import tasks as instances
from engine.tenancy.tokens import create_token
from tests.conftest import ctx_for, make_tenant, make_user
from tests.engine_helpers import make_version
from tests.services import postgres_app


def _terminate(url: str, pid: int) -> None:
    """Drop one backend as an administrator would, and wait until it is gone."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(100):
            if admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone() == (0,):
                return
            time.sleep(0.02)


def test_a_completion_after_the_server_dropped_the_pooled_connection_succeeds() -> None:
    with postgres_app(pool_size=1) as app:
        with app.app_context():
            tenant = make_tenant("ajt-connexio", dir3="L01250010")
            ctx = ctx_for(make_user("anna", tenant, ("tramitador",)), tenant)
            secret = create_token(ctx, "script").secret
            db.session.commit()
            make_version(tenant.id, "exec_loop")
            task_id = instances.start_instance(ctx, "exec_loop", data={"rounds": 0})["ready_tasks"][0]["id"]
            pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            url = db.engine.url.render_as_string(hide_password=False)
            db.session.remove()  # the one pooled connection goes back to the pool
        _terminate(url, pid)

        response = app.test_client().post(
            f"/api/v1/tasks/{task_id}/complete",
            json={"data": {"approved": True}},
            headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"},
        )

        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == "completed"
        with app.app_context():
            assert db.session.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
            db.session.remove()
