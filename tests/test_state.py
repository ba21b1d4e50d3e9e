"""Pruned, spec-less state behaves exactly like SpiffWorkflow's full serialization.

Each scenario is driven twice with the same decisions: once stored the stock way (whole
JSON with spec and history, restored by SpiffWorkflow) and once stored pruned by
engine.process.instances.state; after every step both must offer the same tasks with the same data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.process.definition.specs import SERIALIZER, build_spec, load_spec, serialize_spec
from engine.process.instances import state
from engine.process.sandbox.script_engine import script_engine_for
from tests.engine_helpers import fixture_xml

ENGINE = script_engine_for(None)
Act = Callable[[BpmnWorkflow, int], None]


def _specs(fixture: str) -> tuple[Any, Any]:
    spec, subprocess_specs = build_spec(fixture_xml(fixture), {}, fixture)
    return load_spec(serialize_spec(spec, subprocess_specs))


def _stock_roundtrip(workflow: BpmnWorkflow) -> BpmnWorkflow:
    restored = SERIALIZER.deserialize_json(SERIALIZER.serialize_json(workflow))
    restored.script_engine = ENGINE
    return restored


def _pruned_roundtrip(workflow: BpmnWorkflow) -> BpmnWorkflow:
    state.prune(workflow)
    return state.load(state.dump(workflow), workflow.spec, workflow.subprocess_specs, ENGINE)


def _ready(workflow: BpmnWorkflow) -> list[Task]:
    tasks = [t for t in state.all_tasks(workflow) if t.state == TaskState.READY and t.task_spec.manual]
    return sorted(tasks, key=lambda t: (t.task_spec.bpmn_id, json.dumps(t.data, sort_keys=True, default=str)))


def _observe(workflow: BpmnWorkflow) -> dict[str, Any]:
    waiting = sorted(t.task_spec.bpmn_id or t.task_spec.name for t in state.all_tasks(workflow)
                     if t.state == TaskState.WAITING and t.task_spec.bpmn_id)
    return {
        "ready": [(t.task_spec.bpmn_id, t.data) for t in _ready(workflow)],
        "waiting": waiting,
        "completed": workflow.completed,
        "data": workflow.data if workflow.completed else None,
    }


def _drive(fixture: str, start: dict[str, Any], act: Act, roundtrip: Callable[[BpmnWorkflow], BpmnWorkflow],
           max_steps: int = 200) -> tuple[list[dict[str, Any]], BpmnWorkflow]:
    spec, subprocess_specs = _specs(fixture)
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=ENGINE)
    workflow.task_tree.data.update(start)
    workflow.do_engine_steps()
    trace = []
    for step in range(max_steps):
        workflow = roundtrip(workflow)
        trace.append(_observe(workflow))
        if workflow.completed:
            break
        act(workflow, step)
        workflow.do_engine_steps()
    return trace, workflow


def _complete(workflow: BpmnWorkflow, bpmn_id: str, **data: Any) -> None:
    task = next(t for t in _ready(workflow) if t.task_spec.bpmn_id == bpmn_id)
    task.data.update(data)
    task.run()


def _same_behaviour(fixture: str, start: dict[str, Any], act: Act) -> list[dict[str, Any]]:
    stock, _ = _drive(fixture, start, act, _stock_roundtrip)
    pruned, _ = _drive(fixture, start, act, _pruned_roundtrip)
    assert pruned == stock
    assert stock[-1]["completed"], "the scenario must run to the end"
    return pruned


def test_loop_with_exclusive_gateway() -> None:
    def act(workflow: BpmnWorkflow, step: int) -> None:
        _complete(workflow, "review", approved=step == 24, note=f"round {step}")

    trace = _same_behaviour("exec_loop", {"rounds": 0}, act)
    assert trace[-1]["data"]["rounds"] == 25 and trace[-1]["data"]["note"] == "round 24"


def test_loop_history_does_not_grow_the_state() -> None:
    spec, subprocess_specs = _specs("exec_loop")
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=ENGINE)
    workflow.task_tree.data.update({"rounds": 0})
    workflow.do_engine_steps()
    sizes = []
    for _ in range(40):
        workflow = _pruned_roundtrip(workflow)
        sizes.append(len(workflow.tasks))
        _complete(workflow, "review", approved=False)
        workflow.do_engine_steps()
    assert max(sizes[5:]) == sizes[5], sizes  # bounded by what is running, not by rounds done
    assert workflow.last_task.data["rounds"] == 40


@pytest.mark.parametrize("order", [("task_b", "task_c", "task_a"), ("task_a", "task_b", "task_c")])
def test_parallel_gateway_join_waits_for_every_branch(order: tuple[str, ...]) -> None:
    def act(workflow: BpmnWorkflow, step: int) -> None:
        if step < 3:
            _complete(workflow, order[step], **{order[step][-1]: f"report {order[step]}"})
        else:
            _complete(workflow, "final")

    trace = _same_behaviour("exec_parallel", {}, act)
    assert [sorted(r[0] for r in s["ready"]) for s in trace[:4]] == [
        ["task_a", "task_b", "task_c"],
        sorted({"task_a", "task_b", "task_c"} - {order[0]}),
        sorted({"task_a", "task_b", "task_c"} - set(order[:2])),
        ["final"],
    ]
    assert trace[-1]["data"]["summary"] == ["report task_a", "report task_b", "report task_c"]


def _fire_deadline(workflow: BpmnWorkflow) -> None:
    deadline = next(t for t in state.all_tasks(workflow)
                    if t.task_spec.bpmn_id == "deadline" and t.state == TaskState.WAITING)
    deadline._set_internal_data(event_fired=True)
    workflow.refresh_timers()


def test_boundary_timer_on_a_user_task_fires() -> None:
    def act(workflow: BpmnWorkflow, step: int) -> None:
        if step == 0:
            _fire_deadline(workflow)
        else:
            _complete(workflow, "expired", late=True)

    trace = _same_behaviour("exec_timer", {}, act)
    assert [s["ready"][0][0] for s in trace[:2]] == ["answer", "expired"]
    assert trace[0]["waiting"] == ["deadline"]


def test_boundary_timer_cancelled_when_the_task_is_done_first() -> None:
    def act(workflow: BpmnWorkflow, step: int) -> None:
        _complete(workflow, "answer", answered=True)

    trace = _same_behaviour("exec_timer", {}, act)
    assert trace[-1]["data"] == {"answered": True}


def test_subprocess_call_activity_and_multi_instance() -> None:
    def act(workflow: BpmnWorkflow, step: int) -> None:
        task = _ready(workflow)[0]
        if task.task_spec.bpmn_id == "sign":
            task.data["signature"] = f"signed {task.data['item']}"
        else:
            task.data[f"done_{task.task_spec.bpmn_id}"] = step
        task.run()

    trace = _same_behaviour("exec_nested", {"items": ["A-1", "B-2", "C-3"]}, act)
    assert [s["ready"][0][0] for s in trace[:3]] == ["sub_task", "c_report", "sign"]
    final = trace[-1]["data"]
    assert final["signed"] == ["signed A-1", "signed B-2", "signed C-3"] and final["report_stamped"] is True


def test_pruning_drops_finished_subprocesses() -> None:
    spec, subprocess_specs = _specs("exec_nested")
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=ENGINE)
    workflow.task_tree.data.update({"items": ["A-1"]})
    workflow.do_engine_steps()
    _complete(workflow, "sub_task")
    workflow.do_engine_steps()
    _complete(workflow, "c_report")
    workflow.do_engine_steps()
    assert len(workflow.subprocesses) == 2  # SpiffWorkflow keeps both finished subprocesses

    workflow = _pruned_roundtrip(workflow)

    assert workflow.subprocesses == {}
    assert [t.task_spec.bpmn_id for t in _ready(workflow)] == ["sign"]
