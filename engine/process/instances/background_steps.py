"""Long automatic work after a task completion, and document generation, as worker jobs.

``complete_task`` already runs the engine steps that need no human in the same transaction.
When a procedure's automatic steps are long (service calls, heavy scripts), the web layer calls
:func:`continue_in_background`: the instance is advanced by :func:`run_engine_steps` in a worker
(deduplicated per instance) and the response says "in progress" (``{"status": "in_progress"}``);
in embedded mode (no Redis) the steps run at once and the answer is ``{"status": "done"}``.
"""

from __future__ import annotations

from typing import Any

from engine.base.context import Context
from engine.base.jobs import enqueue
from engine.process.instances import tasks as instances


def run_engine_steps(tenant_id: int, instance_id: int) -> dict[str, Any]:
    """Job: run the instance's automatic steps until it waits again (idempotent when it waits).

    Same transaction discipline as every instance service: the instance row locked, the
    state written back with a version compare-and-swap, a lost race retried.
    """
    ctx = Context.system(tenant_id, "engine-steps")

    def work() -> dict[str, Any]:
        instance = instances._lock_instance(ctx, instance_id)
        if instance.status not in ("completed", "cancelled"):
            run = instances._open(ctx, instance)
            run.advance()
            run.save()
        return instances._summary(instance)

    return instances._in_transaction(work)


def continue_in_background(ctx: Context, instance_id: int) -> dict[str, Any]:
    job_id = enqueue(run_engine_steps, ctx.tenant_id, instance_id, job_id=f"steps-{instance_id}")
    return {"instance_id": instance_id, "status": "in_progress" if job_id else "done", "job_id": job_id}


__all__ = ["continue_in_background", "run_engine_steps"]
