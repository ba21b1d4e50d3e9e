"""Concurrent completions on PostgreSQL, each thread with its own session."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict
from engine.process.instances import tasks as instances
from engine.process.models import CompletedStep, HumanTask
from tests.conftest import ctx_for, make_tenant, make_user
from tests.engine_helpers import make_version
from tests.services import at_once, postgres_app


def _setup(app: Flask, fixture: str, start: dict[str, Any]) -> tuple[dict[str, Context], int]:
    with app.app_context():
        tenant = make_tenant("ajt-concurrencia", dir3="L01250009")
        users = {
            "anna": make_user("anna", tenant, ("tramitador",), full_name="Anna Puig"),
            "bernat": make_user("bernat", tenant, ("tramitador",), full_name="Bernat Soler"),
            "teresa": make_user("teresa", tenant, ("tecnic",), full_name="Teresa Vila"),
            "sandra": make_user("sandra", tenant, ("secretari",), full_name="Sandra Roig"),
        }
        db.session.commit()
        ctxs = {name: ctx_for(user, tenant) for name, user in users.items()}
        make_version(tenant.id, fixture)
        started = instances.start_instance(ctxs["anna"], fixture, data=start)
        return ctxs, started["instance_id"]


def _ready(instance_id: int) -> dict[str, HumanTask]:
    rows = db.session.execute(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "ready")
    ).scalars()
    return {row.element_id: row for row in rows}


def test_same_task_twice_at_once_one_wins_one_conflicts() -> None:
    with postgres_app(pool_size=6) as app:
        ctxs, instance_id = _setup(app, "exec_loop", {"rounds": 0})
        with app.app_context():
            task_id = _ready(instance_id)["review"].id

        results = at_once(app, [
            lambda: instances.complete_task(ctxs["anna"], task_id, {"approved": False}),
            lambda: instances.complete_task(ctxs["bernat"], task_id, {"approved": False}),
        ])

        winners = [r for r in results if isinstance(r, dict)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert isinstance(losers[0], Conflict)
        with app.app_context():
            winner = "Anna Puig" if results[0] is winners[0] else "Bernat Soler"
            assert str(losers[0]) == f"This task was already completed by {winner}."
            shown = instances.show_instance(ctxs["anna"], instance_id)
            assert shown["data"]["rounds"] == 1  # the loop step ran once
            steps = db.session.execute(
                select(CompletedStep.element_id).where(CompletedStep.element_id == "count")
            ).scalars().all()
            assert steps == ["count"]


def test_two_branches_of_one_instance_at_once_both_apply() -> None:
    with postgres_app(pool_size=6) as app:
        ctxs, instance_id = _setup(app, "exec_parallel", {})
        with app.app_context():
            ready = _ready(instance_id)
            b_id, c_id = ready["task_b"].id, ready["task_c"].id

        results = at_once(app, [
            lambda: instances.complete_task(ctxs["teresa"], b_id, {"b": "favorable"}),
            lambda: instances.complete_task(ctxs["sandra"], c_id, {"c": "conforme"}),
        ])

        assert all(isinstance(r, dict) for r in results), results
        with app.app_context():
            assert set(_ready(instance_id)) == {"task_a"}
            instances.complete_task(ctxs["anna"], _ready(instance_id)["task_a"].id, {"a": "complet"})
            assert set(_ready(instance_id)) == {"final"}
            data = instances.show_instance(ctxs["anna"], instance_id)["data"]
            assert data["summary"] == ["complet", "favorable", "conforme"]


def test_same_submit_twice_at_once_applies_once() -> None:
    with postgres_app(pool_size=6) as app:
        ctxs, instance_id = _setup(app, "exec_loop", {"rounds": 0})
        with app.app_context():
            task_id = _ready(instance_id)["review"].id

        results = at_once(app, [
            lambda: instances.complete_task(ctxs["anna"], task_id, {"approved": False}, idem_key="k-1"),
            lambda: instances.complete_task(ctxs["anna"], task_id, {"approved": False}, idem_key="k-1"),
        ])

        assert results[0] == results[1] and isinstance(results[0], dict), results
        with app.app_context():
            assert instances.show_instance(ctxs["anna"], instance_id)["data"]["rounds"] == 1
