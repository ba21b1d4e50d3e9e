"""What a test-run tells the designer: the steps reached, what it did at each wait, what the
procedure would produce, and where and why it stopped."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Step:
    """An element the run went through, in order."""

    element_id: str
    name: str
    kind: str  # the BPMN element type, e.g. UserTask, ExclusiveGateway, EndEvent


@dataclass(frozen=True)
class Action:
    """What the simulator did where the procedure waited: a task completed with its data, a sign
    step signed or returned, a notification settled, a message answered, the clock moved."""

    element_id: str
    what: str  # complete | sign | return | notification | answer | clock
    detail: dict[str, Any] = field(default_factory=dict)
    #: Other choices the designer could make here (first visits only): for a task, form field ->
    #: its other values (enum values, the other boolean); else ``"outcome"`` -> the other outcomes.
    alternatives: dict[str, list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Produced:
    """A record the run made in its throwaway expedient (document, decree, notification, registry entry)."""

    kind: str  # document | decree | notification | registry
    title: str
    detail: str = ""


@dataclass
class Report:
    """One run of a version along one path."""

    outcome: str  # completed | incident | invalid (data or a choice refused) | waiting | step_limit
    steps: list[Step] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    produced: list[Produced] = field(default_factory=list)
    #: Where it stopped (an incident's element, or the task nobody could do) and why.
    stopped_at: str | None = None
    message: str | None = None
    #: The name of the element it stopped at, as the diagram shows it.
    stopped_name: str = ""

    @property
    def reached_end(self) -> bool:
        return self.outcome == "completed"

    def path(self) -> tuple[str, ...]:
        """The ids of the steps, the identity of a path."""
        return tuple(step.element_id for step in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "reached_end": self.reached_end}


__all__ = ["Action", "Produced", "Report", "Step"]
