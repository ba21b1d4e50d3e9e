"""The timer branch of an event-based gateway (answer a requeriment OR 10 working days) is swept
like any other timer, so the desistiment branch fires on time without anything else happening."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.process.instances import tasks as instances
from engine.process.models import HumanTask, Timer
from tests.conftest import ctx_for, make_tenant, make_user
from tests.test_seu import esmena_version


def _ready(instance_id: int) -> dict[str, HumanTask]:
    rows = db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "ready")
    )
    return {row.element_id: row for row in rows}


def test_unanswered_requeriment_times_out_through_the_timer_table():
    tenant = make_tenant()
    clerk = ctx_for(make_user("clerk", tenant, ("tramitador",)), tenant)
    db.session.commit()
    instance_id = instances.start_instance(clerk, esmena_version(tenant.id), data={})["instance_id"]
    instances.complete_task(clerk, _ready(instance_id)["Task_revisar"].id, {"completa": False})
    instances.complete_task(clerk, _ready(instance_id)["Task_requerir"].id, {"documents_requerits": "DNI"})

    timer = db.session.scalars(select(Timer).where(Timer.instance_id == instance_id)).one()
    assert timer.state == "pending" and timer.element_id == "Gateway_espera"
    assert _ready(instance_id) == {}

    # Long after the term, the sweeper's call fires it once and the desistiment task appears.
    later = datetime(2099, 1, 1, tzinfo=UTC)
    assert instances.fire_timers(Context.system(tenant.id), instance_id, later) == 1
    assert instances.fire_timers(Context.system(tenant.id), instance_id, later) == 0
    assert set(_ready(instance_id)) == {"Task_desistiment"}
