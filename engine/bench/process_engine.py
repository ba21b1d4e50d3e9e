"""Engine benchmark: does a task completion get slower as an instance's history grows?

On the configured database, one instance is driven around a review loop (user task ->
script -> exclusive gateway -> back) until SpiffWorkflow's own history would hold each
target number of completed tasks. At each size the instance is cloned (exact copies of its
stored state and ready task) and one completion per clone is timed through
``complete_task`` (load, validate, run, persist, project, commit). Beside it, two columns of
bare SpiffWorkflow doing the same step without a database:

- the stock baseline: deserialize the whole unpruned JSON with its spec, run the task and the
  engine steps, serialize the whole JSON;
- SpiffWorkflow on GEE's pruned state: load the stored (pruned, spec-less) state on the cached
  spec, run the task and the engine steps, prune, dump.

The three are timed interleaved (one of each per sample, the order rotating), so a slow moment
of a shared machine falls on all of them alike.

Everything is created under a throwaway tenant and deleted at the end.
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select

from engine.audit.trail import AuditEvent, AuditHead
from engine.base import unit_of_work
from engine.base.context import Context
from engine.base.db import db
from engine.base.settings import PROJECT_ROOT
from engine.process.definition.pinned import pinned_content
from engine.process.definition.specs import SERIALIZER, build_spec, load_spec, serialize_spec
from engine.process.instances import state
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
#: The three columns, timed one after the other in each sample, starting one further each time.
ORDER = ("ours", "stock", "pruned")


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
    #: Bare SpiffWorkflow on GEE's stored (pruned, spec-less) state: load, step, prune, dump.
    pruned_median_ms: float
    pruned_p95_ms: float
    #: The stock engine did not reach the next user task (see _Baseline: never, since its depth
    #: limit is lifted; reported so that a figure of a stalled run cannot pass unnoticed).
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
        tenant_id=task.tenant_id, instance_id=copy.id, process_model_id=task.process_model_id,
        task_uuid=task.task_uuid, element_id=task.element_id,
        name=task.name, lane=task.lane, role=task.role, potential_owners=task.potential_owners, state="ready",
        form_key=task.form_key,
    ))
    unit_of_work.run_in_transaction(db.session.flush)
    return copy.id


def _unbounded(workflow: BpmnWorkflow) -> BpmnWorkflow:
    """Let ``workflow`` find its ready tasks at any depth of its task tree.

    SpiffWorkflow 3.2 walks the tree with ``BpmnTaskIterator(max_depth=1000)``, and an unpruned
    loop nests every round below the previous one: past ~1000 completed tasks ``do_engine_steps``
    no longer sees the script task, runs nothing and the instance stalls before its next user
    task, so a stock baseline timed there does less work than at smaller sizes. Lifted here, the
    baseline does the same step at every size.
    """

    def iterator(first_task: Any = None, **kwargs: Any) -> BpmnTaskIterator:
        return BpmnTaskIterator(first_task or workflow.task_tree, max_depth=sys.maxsize, **kwargs)

    workflow.get_tasks_iterator = iterator
    return workflow


def _advance(workflow: BpmnWorkflow) -> bool:
    """Complete the review once; False when the engine did not reach the next review."""
    ready = [t for t in workflow.tasks.values() if t.state == TaskState.READY and t.task_spec.manual]
    if not ready:
        return False
    ready[0].data.update(ANSWER)
    ready[0].run()
    workflow.do_engine_steps()
    return any(t.state == TaskState.READY and t.task_spec.manual for t in workflow.tasks.values())


class _Baseline:
    """The same loop in bare SpiffWorkflow, stored the stock way (whole JSON, spec, history)."""

    def __init__(self, version: ProcessVersion):
        self.spec, self.subprocess_specs = load_spec(version.spec_json)
        self.engine = script_engine_for(None)
        self.workflow = _unbounded(BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=self.engine))
        self.workflow.task_tree.data.update({"rounds": 0})
        self.workflow.do_engine_steps()

    def history(self) -> int:
        return sum(1 for t in self.workflow.tasks.values() if t.state == TaskState.COMPLETED)

    def advance(self) -> bool:
        return _advance(self.workflow)

    def timed_cycle(self, stored: str) -> tuple[float, bool]:
        """Stock: the whole JSON with spec and history in, one step, the whole JSON out."""
        began = time.perf_counter()
        workflow = _unbounded(SERIALIZER.deserialize_json(stored))
        workflow.script_engine = self.engine
        advanced = _advance(workflow)
        SERIALIZER.serialize_json(workflow)
        return time.perf_counter() - began, advanced

    def timed_pruned_cycle(self, stored: str) -> tuple[float, bool]:
        """GEE's state: spec-less pruned JSON on the cached spec in, one step, prune, dump."""
        began = time.perf_counter()
        advanced = _pruned_cycle(stored, self.spec, self.subprocess_specs, self.engine)
        return time.perf_counter() - began, advanced


def _pruned_cycle(stored: str, spec: Any, subprocess_specs: dict[str, Any], engine: Any) -> bool:
    """SpiffWorkflow's step on GEE's state: ``stored`` loaded on the kept spec, the review completed
    with what follows it, pruned and dumped; False when the next review was not reached."""
    workflow = state.load(stored, spec, subprocess_specs, engine)
    advanced = _advance(workflow)
    state.prune(workflow)
    state.dump(workflow)
    return advanced


def pruned_step_cpu_ms(version: ProcessVersion, stored: str, samples: int) -> float:
    """CPU milliseconds (this thread's clock) of SpiffWorkflow's step alone on GEE's state, the
    mean of ``samples``: the pruned state ``stored`` (a ready review of the loop) loaded on the
    kept spec, the review completed with what follows it, pruned and dumped."""
    spec, subprocess_specs = pinned_content(version).specs
    engine = script_engine_for(None)
    began = time.thread_time()
    for _ in range(samples):
        if not _pruned_cycle(stored, spec, subprocess_specs, engine):
            raise RuntimeError("the review loop did not reach its next review")
    return 1000 * (time.thread_time() - began) / samples


def _time_ours(ctx: Context, clone_id: int) -> float:
    task_id = _ready_row(clone_id).id
    began = time.perf_counter()
    instances.complete_task(ctx, task_id, ANSWER)
    return time.perf_counter() - began


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
            pruned = db.session.get(ProcessInstance, instance_id).state_json  # type: ignore[union-attr]
            clones = [_clone(instance_id) for _ in range(samples)]
            ours: list[float] = []
            advanced: list[tuple[float, bool]] = []
            on_pruned: list[float] = []
            for n, clone_id in enumerate(clones):
                for kind in ORDER[n % 3 :] + ORDER[: n % 3]:
                    if kind == "ours":
                        ours.append(_time_ours(ctx, clone_id))
                    elif kind == "stock":
                        advanced.append(baseline.timed_cycle(stored))
                    else:
                        on_pruned.append(baseline.timed_pruned_cycle(pruned)[0])
            theirs = [duration for duration, _ in advanced]
            state_bytes = len(db.session.get(ProcessInstance, instance_id).state_json)  # type: ignore[union-attr]
            ours_median, ours_p95 = _ms(ours)
            base_median, base_p95 = _ms(theirs)
            pruned_median, pruned_p95 = _ms(on_pruned)
            result = SizeResult(
                history=baseline.history(), ours_median_ms=ours_median, ours_p95_ms=ours_p95,
                state_bytes=state_bytes, baseline_median_ms=base_median, baseline_p95_ms=base_p95,
                baseline_bytes=len(stored), ratio=round(ours_median / base_median, 2),
                pruned_median_ms=pruned_median, pruned_p95_ms=pruned_p95,
                baseline_stalls=not all(ok for _, ok in advanced),
            )
            say(
                f"history {result.history:>5} tasks: ours median {ours_median:7.2f} ms p95 {ours_p95:7.2f} ms "
                f"state {state_bytes:>8} B | SpiffWorkflow whole JSON median {base_median:7.2f} ms "
                f"p95 {base_p95:7.2f} ms state {len(stored):>9} B | SpiffWorkflow on GEE's pruned state median "
                f"{pruned_median:7.2f} ms p95 {pruned_p95:7.2f} ms | ratio {result.ratio}"
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
        "growth_pruned": round(last.pruned_median_ms / first.pruned_median_ms, 2),
        "ratio_at_largest": last.ratio,
    }


__all__ = ["SizeResult", "bench_tenant", "p95", "pruned_step_cpu_ms", "run_engine_bench", "summary"]
