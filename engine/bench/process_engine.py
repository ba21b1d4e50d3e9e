"""Engine benchmark: does a task completion get slower as an instance's history grows?

On the configured database, one instance is driven around a review loop (user task ->
script -> exclusive gateway -> back) until SpiffWorkflow's own history would hold each
target number of completed tasks. At each size the instance is cloned (exact copies of its
stored state and ready task) and one completion per clone is timed through
``complete_task`` (load, validate, run, persist, project, commit). Beside it, the bare
SpiffWorkflow baseline for the same history: deserialize the whole unpruned JSON with its
spec, run the task and the engine steps, serialize the whole JSON.

Everything is created under a throwaway tenant and deleted at the end.
"""

from __future__ import annotations

import hashlib
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select

from engine.audit.trail import AuditEvent, AuditHead
from engine.base import unit_of_work
from engine.base.context import Context
from engine.base.db import db
from engine.base.settings import PROJECT_ROOT
from engine.process.definition.specs import SERIALIZER, build_spec, load_spec, serialize_spec
from engine.process.instances import tasks as instances
from engine.process.models import (
    CompletedStep,
    HumanTask,
    IdempotencyKey,
    Incident,
    ProcessInstance,
    ProcessModel,
    ProcessVersion,
    Timer,
)
from engine.process.sandbox.script_engine import script_engine_for
from engine.tenancy.models import Membership, Tenant, User
from engine.tenancy.tokens import ApiToken

LOOP_BPMN = PROJECT_ROOT / "tests" / "fixtures" / "bpmn" / "exec_loop.bpmn"
PROCESS_ID = "exec_loop"
FORM = {"type": "object", "required": ["approved"], "properties": {"approved": {"type": "boolean"}}}
ANSWER = {"approved": False}
NO_LOGIN = "!"


@dataclass
class SizeResult:
    history: int
    ours_median_ms: float
    ours_p95_ms: float
    state_bytes: int
    baseline_median_ms: float
    baseline_p95_ms: float
    baseline_bytes: int
    ratio: float
    #: The stock engine did not reach the next user task (its depth limit), see _Baseline.
    baseline_stalls: bool


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _ms(values: list[float]) -> tuple[float, float]:
    return round(statistics.median(values) * 1000, 2), round(p95(values) * 1000, 2)


@contextmanager
def bench_tenant(*, api_user: bool = False) -> Iterator[tuple[Context, ProcessVersion]]:
    """A throwaway tenant with a clerk and the review loop deployed, deleted afterwards with
    everything made in it. The clerk has an unusable password hash: it can never log in; it
    is active only for ``api_user`` (an API token acts only as an active user)."""
    code = f"bench-{uuid.uuid4().hex[:8]}"
    tenant = Tenant(code=code, name="Benchmark", dir3="L0BENCH00")
    db.session.add(tenant)
    db.session.flush()
    user = User(username=code, full_name="Benchmark", password_hash=NO_LOGIN, active=api_user)
    db.session.add(user)
    db.session.flush()
    db.session.add(Membership(tenant_id=tenant.id, user_id=user.id, role="tramitador"))
    xml = LOOP_BPMN.read_text(encoding="utf-8")
    spec, subprocess_specs = build_spec(xml, {}, PROCESS_ID)
    model = ProcessModel(tenant_id=tenant.id, key=PROCESS_ID, name="Benchmark loop")
    db.session.add(model)
    db.session.flush()
    version = ProcessVersion(
        model_id=model.id, number=1, content_hash=hashlib.sha256(xml.encode()).hexdigest(), bpmn_xml=xml,
        dmn_files={}, forms={"review.schema.json": FORM}, templates={},
        spec_json=serialize_spec(spec, subprocess_specs), lanes={},
    )
    db.session.add(version)
    unit_of_work.run_in_transaction(db.session.flush)
    ctx = Context(tenant_id=tenant.id, user_id=user.id, username=code, roles=frozenset({"tramitador"}))
    try:
        yield ctx, version
    finally:
        unit_of_work.discard()
        _delete_tenant(tenant.id, user.id, model.id)


def _delete_tenant(tenant_id: int, user_id: int, model_id: int) -> None:
    for table in (IdempotencyKey, CompletedStep, Timer, Incident, HumanTask, ProcessInstance, AuditEvent, ApiToken):
        db.session.execute(delete(table).where(table.tenant_id == tenant_id))
    db.session.execute(delete(AuditHead).where(AuditHead.tenant_id == tenant_id))
    db.session.execute(delete(ProcessVersion).where(ProcessVersion.model_id == model_id))
    db.session.execute(delete(ProcessModel).where(ProcessModel.id == model_id))
    db.session.execute(delete(Membership).where(Membership.tenant_id == tenant_id))
    db.session.execute(delete(User).where(User.id == user_id))
    db.session.execute(delete(Tenant).where(Tenant.id == tenant_id))
    unit_of_work.run_in_transaction(db.session.flush)


def _ready_row(instance_id: int) -> HumanTask:
    return db.session.execute(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "ready")
    ).scalar_one()


def _clone(instance_id: int) -> int:
    """An exact copy of an instance's stored state and its ready task."""
    source = db.session.get(ProcessInstance, instance_id)
    assert source is not None
    task = _ready_row(instance_id)
    copy = ProcessInstance(
        tenant_id=source.tenant_id, process_version_id=source.process_version_id, status=source.status,
        state_json=source.state_json, version=1, started_by=source.started_by,
    )
    db.session.add(copy)
    db.session.flush()
    db.session.add(HumanTask(
        tenant_id=task.tenant_id, instance_id=copy.id, task_uuid=task.task_uuid, element_id=task.element_id,
        name=task.name, lane=task.lane, role=task.role, potential_owners=task.potential_owners, state="ready",
        form_key=task.form_key,
    ))
    unit_of_work.run_in_transaction(db.session.flush)
    return copy.id


class _Baseline:
    """The same loop in bare SpiffWorkflow, stored the stock way (whole JSON, spec, history).

    SpiffWorkflow 3.2 walks the task tree with a depth limit of 1000, and an unpruned loop
    nests every round below the previous one: past ~1000 completed tasks its engine steps
    no longer see the next task and the instance stalls. ``advance`` reports that.
    """

    def __init__(self, version: ProcessVersion):
        spec, subprocess_specs = load_spec(version.spec_json)
        self.engine = script_engine_for(None)
        self.workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=self.engine)
        self.workflow.task_tree.data.update({"rounds": 0})
        self.workflow.do_engine_steps()

    def history(self) -> int:
        return sum(1 for t in self.workflow.tasks.values() if t.state == TaskState.COMPLETED)

    def advance(self, workflow: BpmnWorkflow | None = None) -> bool:
        """Complete the review once; False when the engine did not reach the next review."""
        workflow = workflow or self.workflow
        ready = [t for t in workflow.tasks.values() if t.state == TaskState.READY and t.task_spec.manual]
        if not ready:
            return False
        ready[0].data.update(ANSWER)
        ready[0].run()
        workflow.do_engine_steps()
        return any(t.state == TaskState.READY and t.task_spec.manual for t in workflow.tasks.values())

    def timed_cycle(self, stored: str) -> tuple[float, bool]:
        began = time.perf_counter()
        workflow = SERIALIZER.deserialize_json(stored)
        workflow.script_engine = self.engine
        advanced = self.advance(workflow)
        SERIALIZER.serialize_json(workflow)
        return time.perf_counter() - began, advanced


def run_engine_bench(
    sizes: list[int], samples: int = 15, progress: Callable[[str], None] | None = None
) -> list[SizeResult]:
    say = progress or (lambda _msg: None)
    results = []
    with bench_tenant() as (ctx, version):
        started = instances.start_instance(ctx, version, data={"rounds": 0})
        instance_id = started["instance_id"]
        baseline = _Baseline(version)
        for size in sorted(sizes):
            while baseline.history() < size:
                if not baseline.advance():
                    break
                instances.complete_task(ctx, _ready_row(instance_id).id, ANSWER)
            stored = SERIALIZER.serialize_json(baseline.workflow)
            clones = [_clone(instance_id) for _ in range(samples)]
            ours = []
            for clone_id in clones:
                task_id = _ready_row(clone_id).id
                began = time.perf_counter()
                instances.complete_task(ctx, task_id, ANSWER)
                ours.append(time.perf_counter() - began)
            cycles = [baseline.timed_cycle(stored) for _ in range(samples)]
            theirs = [duration for duration, _ in cycles]
            state_bytes = len(db.session.get(ProcessInstance, instance_id).state_json)  # type: ignore[union-attr]
            ours_median, ours_p95 = _ms(ours)
            base_median, base_p95 = _ms(theirs)
            result = SizeResult(
                history=baseline.history(), ours_median_ms=ours_median, ours_p95_ms=ours_p95,
                state_bytes=state_bytes, baseline_median_ms=base_median, baseline_p95_ms=base_p95,
                baseline_bytes=len(stored), ratio=round(ours_median / base_median, 2),
                baseline_stalls=not all(ok for _, ok in cycles),
            )
            say(
                f"history {result.history:>5} tasks: ours median {ours_median:7.2f} ms p95 {ours_p95:7.2f} ms "
                f"state {state_bytes:>8} B | SpiffWorkflow whole JSON median {base_median:7.2f} ms "
                f"p95 {base_p95:7.2f} ms state {len(stored):>9} B | ratio {result.ratio}"
                + (" | SpiffWorkflow alone STALLS here (no next task)" if result.baseline_stalls else "")
            )
            results.append(result)
    return results


def summary(results: list[SizeResult], dialect: str) -> dict[str, Any]:
    first, last = results[0], results[-1]
    return {
        "bench": "engine",
        "database": dialect,
        "sizes": [asdict(r) for r in results],
        "growth_ours": round(last.ours_median_ms / first.ours_median_ms, 2),
        "growth_baseline": round(last.baseline_median_ms / first.baseline_median_ms, 2),
        "ratio_at_largest": last.ratio,
    }


__all__ = ["SizeResult", "bench_tenant", "p95", "run_engine_bench", "summary"]
