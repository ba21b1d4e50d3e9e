"""Long automatic work after a task completion, and document generation, as worker jobs.

``complete_task`` already runs the engine steps that need no human in the same transaction
(from a web request with Redis it stops before a slow step and enqueues the same job itself).
When a procedure's automatic steps are long (service calls, heavy scripts), the web layer calls
:func:`continue_in_background`: the instance is advanced by :func:`run_engine_steps` in a worker
(deduplicated per instance) and the response says "in progress" (``{"status": "in_progress"}``);
in embedded mode (no Redis) the steps run at once and the answer is ``{"status": "done"}``.
"""

from __future__ import annotations

from typing import Any

from engine.base.context import Context
from engine.base.jobs import enqueue
from engine.process.instances.tasks import run_engine_steps, steps_job_id


def continue_in_background(ctx: Context, instance_id: int) -> dict[str, Any]:
    job_id = enqueue(run_engine_steps, ctx.tenant_id, instance_id, job_id=steps_job_id(instance_id))
    return {"instance_id": instance_id, "status": "in_progress" if job_id else "done", "job_id": job_id}


__all__ = ["continue_in_background", "run_engine_steps"]
