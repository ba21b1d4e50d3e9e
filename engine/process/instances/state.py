"""Persisting a running workflow: SpiffWorkflow's serialization, without the spec and without
finished history.

Why: the stock serialization embeds the spec and keeps every task that ever ran, so a long
procedure (loops of esmenes, repeated reviews) gets slower at every step. Here

- the spec lives once per process version and is restored from the in-memory cache, and
- :func:`prune` drops finished tasks that nothing can look at any more, so the stored state
  is proportional to what is *running*, not to what *ran*. Finished elements are logged as
  CompletedStep rows instead (see :mod:`engine.process.instances.projection`).

Pruning works on live objects before serialization because 3.2 stores task data as a delta
against the parent task: re-parenting objects keeps every task's materialized data intact.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

#: Finished ancestors kept above every live task. Boundary events look at their
#: BoundaryEventSplit (parent), boundary joins at the split two levels up, joins at the
#: parent of each arriving token; three levels leave a margin.
KEEP_ANCESTORS = 3
STATE_FORMAT = "gee-pruned-1"
_GONE = TaskState.COMPLETED | TaskState.CANCELLED


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Like SpiffWorkflow's converter, but the spec is given, not stored."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(
        self,
        dct: dict[str, Any],
        spec: BpmnProcessSpec,
        subprocess_specs: dict[str, BpmnProcessSpec],
        script_engine: Any = None,
    ) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.get("bpmn_events", []))
        return workflow


_local = threading.local()


def _serializer() -> BpmnWorkflowSerializer:
    """One serializer per thread: SpiffWorkflow's registry toggles a flag while encoding."""
    serializer: BpmnWorkflowSerializer | None = getattr(_local, "serializer", None)
    if serializer is None:
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = _SpeclessWorkflowConverter
        serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
        _local.serializer = serializer
    return serializer


def dump(workflow: BpmnWorkflow) -> str:
    """The workflow as JSON without its spec (call :func:`prune` first to drop history)."""
    serializer = _serializer()
    registry = serializer.registry
    registry._encoder_mode = True
    try:
        dct = registry.convert(workflow)
        dct["format"] = STATE_FORMAT
        return json.dumps(dct, cls=serializer._encoder_cls, separators=(",", ":"))
    finally:
        registry._encoder_mode = False


def load(
    state_json: str,
    spec: BpmnProcessSpec,
    subprocess_specs: dict[str, BpmnProcessSpec],
    script_engine: Any = None,
) -> BpmnWorkflow:
    """Rebuild a workflow saved by :func:`dump` on already restored (cached) spec objects."""
    dct = json.loads(state_json)
    dct.pop("format", None)
    workflow: BpmnWorkflow = _serializer().registry.restore(
        dct, spec=spec, subprocess_specs=subprocess_specs, script_engine=script_engine
    )
    return workflow


def workflows(workflow: BpmnWorkflow) -> list[Any]:
    """The top workflow and all its (call activity / subprocess) workflows."""
    return [workflow, *workflow.subprocesses.values()]


def all_tasks(workflow: BpmnWorkflow) -> Iterator[Task]:
    for wf in workflows(workflow):
        yield from wf.tasks.values()


def is_finished(task: Task) -> bool:
    """Completed or cancelled: nothing will run it again. ERROR tasks stay (they wait for an admin)."""
    return bool(task.state & _GONE)


def prune(workflow: BpmnWorkflow) -> int:
    """Drop finished tasks (and finished subprocesses) no later step can look at.

    Returns how many tasks were dropped. The workflow stays consistent and runnable.
    """
    dropped = _drop_finished_subprocesses(workflow)
    for wf in workflows(workflow):
        dropped += _prune_tree(wf)
    return dropped


def _drop_finished_subprocesses(workflow: BpmnWorkflow) -> int:
    dropped = 0
    changed = True
    while changed:
        changed = False
        for task_id, sub in list(workflow.subprocesses.items()):
            owner = workflow.get_task_from_id(task_id)
            if owner is None or is_finished(owner):
                dropped += len(sub.tasks)
                del workflow.subprocesses[task_id]
                changed = True
    return dropped


def _keep_with_ancestors(task: Task | None, keep: set[UUID], levels: int) -> None:
    while task is not None and levels >= 0:
        keep.add(task.id)
        task = task.parent
        levels -= 1


def _pending_join_tokens(wf: Any) -> list[Task]:
    """Finished tasks of a join that has not fired yet since they arrived.

    A parallel/inclusive join cancels earlier arrivals and counts them (their parent is
    the completed input) until it fires; they must survive until then.
    """
    by_spec: dict[str, list[Task]] = {}
    for task in wf.tasks.values():
        if isinstance(task.task_spec, UnstructuredJoin):
            by_spec.setdefault(task.task_spec.name, []).append(task)
    pending: list[Task] = []
    for tasks in by_spec.values():
        if not any(t.state == TaskState.WAITING for t in tasks):
            continue
        fired = [t.last_state_change for t in tasks if t.state == TaskState.COMPLETED]
        last_fired = max(fired, default=float("-inf"))
        pending.extend(t for t in tasks if is_finished(t) and t.last_state_change > last_fired)
    return pending


def _prune_tree(wf: Any) -> int:
    tasks: dict[UUID, Task] = wf.tasks
    root = wf.task_tree
    keep: set[UUID] = {root.id}
    if wf.last_task is not None and wf.last_task.id in tasks:
        keep.add(wf.last_task.id)
    for task in tasks.values():
        if not is_finished(task):
            _keep_with_ancestors(task, keep, KEEP_ANCESTORS)
    for task in _pending_join_tokens(wf):
        _keep_with_ancestors(task, keep, KEEP_ANCESTORS)
    if len(keep) == len(tasks):
        return 0
    # Every kept task adopts its nearest kept descendants, in the original order, so
    # ancestry among kept tasks (is_descendant_of, find_ancestor) is unchanged.
    for task_id in keep:
        task = tasks[task_id]
        children = _nearest_kept(task, tasks, keep)
        task._children = children
        for child_id in children:
            tasks[child_id]._parent = task_id
    wf.tasks = {task_id: task for task_id, task in tasks.items() if task_id in keep}
    return len(tasks) - len(wf.tasks)


def _nearest_kept(task: Task, tasks: dict[UUID, Task], keep: set[UUID]) -> list[UUID]:
    found: list[UUID] = []
    stack = list(reversed(task._children))
    while stack:
        child_id = stack.pop()
        if child_id in keep:
            found.append(child_id)
            continue
        child = tasks.get(child_id)
        if child is not None:
            stack.extend(reversed(child._children))
    return found


__all__ = ["all_tasks", "dump", "is_finished", "load", "prune", "workflows"]
