"""Run every path: test-run a version again and again, each time taking one other choice where
the procedure branches (another value of a form's enum or boolean field, a returned signature, a
rejected or expired notification, an unanswered requeriment), and list the distinct paths that
reach an end.

Gateways usually decide on those choices, so trying each of them tries each outgoing flow. The
search is breadth-first from the designer's plan and bounded by ``max_runs`` runs; every run is
thrown away like a single test-run.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from engine.base.context import Context
from engine.process.models import ProcessVersion
from engine.simulation.report import Report
from engine.simulation.runner import Plan, simulate

#: Runs of one "run every path" before it stops looking.
MAX_RUNS = 12


@dataclass
class PathsReport:
    """What every-path found: the distinct paths that reach an end (with the plan of each), and the
    distinct ways runs stopped before one."""

    runs: int = 0
    ends: list[tuple[Plan, Report]] = field(default_factory=list)
    stops: list[tuple[Plan, Report]] = field(default_factory=list)
    #: True when choices were left untried because of ``max_runs``.
    truncated: bool = False


def run_every_path(ctx: Context, version: ProcessVersion, plan: Plan | None = None,
                   max_runs: int = MAX_RUNS) -> PathsReport:  # fmt: skip
    """Try each choice of each branching point once (breadth-first), at most ``max_runs`` runs."""
    found = PathsReport()
    queue: deque[Plan] = deque([plan or Plan()])
    seen_plans = {_key(queue[0])}
    seen_paths: set[tuple[str, ...]] = set()
    seen_stops: set[tuple[str, str | None, str | None]] = set()
    while queue:
        if found.runs >= max_runs:
            found.truncated = True
            break
        current = queue.popleft()
        report = simulate(ctx, version, current)
        found.runs += 1
        if report.reached_end and report.path() not in seen_paths:
            seen_paths.add(report.path())
            found.ends.append((current, report))
        elif not report.reached_end and (report.outcome, report.stopped_at, report.message) not in seen_stops:
            seen_stops.add((report.outcome, report.stopped_at, report.message))
            found.stops.append((current, report))
        for child in _variations(current, report):
            if _key(child) not in seen_plans:
                seen_plans.add(_key(child))
                queue.append(child)
    return found


def _variations(plan: Plan, report: Report) -> list[Plan]:
    """``plan`` with one more choice, for each alternative the run met and the plan did not fix."""
    children = []
    for action in report.actions:
        for name, values in action.alternatives.items():
            for value in values:
                if name == "outcome":
                    if action.element_id in plan.outcomes:
                        continue
                    children.append(replace(plan, outcomes={**plan.outcomes, action.element_id: value}))
                elif name not in plan.task_data.get(action.element_id, {}):
                    data = {**plan.task_data.get(action.element_id, {}), name: value}
                    children.append(replace(plan, task_data={**plan.task_data, action.element_id: data}))
    return children


def _key(plan: Plan) -> str:
    return json.dumps([plan.start_data, plan.task_data, plan.outcomes], sort_keys=True, default=str)


def describe(plan: Plan) -> dict[str, Any]:
    """The choices of a plan, for the report: element id -> what was chosen there."""
    chosen: dict[str, Any] = {key: dict(data) for key, data in plan.task_data.items()}
    for key, outcome in plan.outcomes.items():
        chosen.setdefault(key, {})["outcome"] = outcome
    return chosen


__all__ = ["MAX_RUNS", "PathsReport", "describe", "run_every_path"]
