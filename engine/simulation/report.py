"""What a test-run tells the designer: the steps reached, what it did at each wait, what the
procedure would produce, and where and why it stopped."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from engine.base.clock import local_date
from engine.base.i18n import _l
from engine.documents.documents import tipo_label
from engine.tenancy.models import role_label

#: The BPMN element types a run goes through (SpiffWorkflow's names), as the designer knows them.
KIND_LABELS = {
    "StartEvent": _l("Start event"),
    "EndEvent": _l("End event"),
    "UserTask": _l("User task"),
    "ManualTask": _l("Manual task"),
    "ServiceTask": _l("Service task"),
    "ScriptTask": _l("Script task"),
    "BusinessRuleTask": _l("Business rule task"),
    "SendTask": _l("Send task"),
    "ReceiveTask": _l("Receive task"),
    "NoneTask": _l("Task"),
    "ExclusiveGateway": _l("Exclusive gateway"),
    "ParallelGateway": _l("Parallel gateway"),
    "InclusiveGateway": _l("Inclusive gateway"),
    "EventBasedGateway": _l("Event-based gateway"),
    "IntermediateCatchEvent": _l("Intermediate catch event"),
    "IntermediateThrowEvent": _l("Intermediate throw event"),
    "BoundaryEvent": _l("Boundary event"),
    "CallActivity": _l("Call activity"),
    "SubWorkflowTask": _l("Sub-process"),
    "TransactionSubprocess": _l("Sub-process"),
    "EventSubprocess": _l("Sub-process"),
}
NOTIFICATION_OUTCOME_LABELS = {
    "accessed": _l("The notification was opened."),
    "rejected": _l("The notification was rejected."),
    "expired": _l("The notification expired without being opened."),
}
PRODUCED_LABELS = {
    "document": _l("Document"),
    "decree": _l("Decree"),
    "notification": _l("Notification"),
    "registry": _l("Registry entry"),
}
CHANNEL_LABELS = {"electronic": _l("electronic"), "postal": _l("postal")}
NOTIFICATION_STATE_LABELS = {
    "pending": _l("pending"), "accessed": _l("accessed"), "rejected": _l("rejected"),
    "expired": _l("not accessed in 10 days: deemed rejected"),
}  # fmt: skip
DECREE_STATUS_LABELS = {"draft": _l("draft"), "signed": _l("signed"), "annulled": _l("annulled")}
DIRECTION_LABELS = {"E": _l("Incoming (entrada)"), "S": _l("Outgoing (sortida)")}


def _label(labels: dict[str, Any], code: object) -> str:
    return str(labels.get(str(code), code if code is not None else ""))


@dataclass(frozen=True)
class Step:
    """An element the run went through, in order."""

    element_id: str
    name: str
    kind: str  # the BPMN element type, e.g. UserTask, ExclusiveGateway, EndEvent

    @property
    def kind_label(self) -> str:
        """The element type in the reader's language."""
        return _label(KIND_LABELS, self.kind)


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

    @property
    def summary(self) -> str:
        """What was done, in the reader's language (a completed task's data is shown beside it)."""
        detail = self.detail
        if self.what == "complete":
            return str(_l("Completed with this data:"))
        if self.what == "sign":
            return str(_l("Signed by the %(role)s.", role=role_label(str(detail.get("role") or "tramitador"))))
        if self.what == "return":
            return str(_l("Returned for changes by the %(role)s.",
                          role=role_label(str(detail.get("role") or "tramitador"))))  # fmt: skip
        if self.what == "notification":
            return _label(NOTIFICATION_OUTCOME_LABELS, detail.get("notification_outcome"))
        if self.what == "answer":
            return str(_l("The answer (message %(message)s) arrived.", message=detail.get("message", "")))
        if self.what == "clock":
            return str(_l("Time moved on to %(date)s, when the timer was due.", date=_date(detail.get("now"))))
        return self.what


@dataclass(frozen=True)
class Produced:
    """A record the run made in its throwaway expedient (document, decree, notification, registry entry)."""

    kind: str  # document | decree | notification | registry
    title: str
    detail: str = ""
    #: The codes ``detail`` is made of (tipo, number, status, channel, state, direction), to word them.
    codes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def kind_label(self) -> str:
        return _label(PRODUCED_LABELS, self.kind)

    @property
    def detail_label(self) -> str:
        """``detail`` in the reader's language."""
        codes = self.codes
        if self.kind == "document" and codes.get("tipo"):
            return tipo_label(codes["tipo"])
        if self.kind == "decree" and (codes.get("number") or codes.get("status")):
            return codes.get("number") or _label(DECREE_STATUS_LABELS, codes.get("status"))
        if self.kind == "notification" and codes.get("channel"):
            channel = _label(CHANNEL_LABELS, codes["channel"])
            return f"{channel}, {_label(NOTIFICATION_STATE_LABELS, codes.get('state'))}"
        if self.kind == "registry" and codes.get("number"):
            return f"{_label(DIRECTION_LABELS, codes.get('direction'))} {codes['number']}"
        return self.detail


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


def _date(moment: object) -> str:
    """The local date of an ISO moment (the clock of a run), or the text as it is."""
    try:
        return local_date(datetime.fromisoformat(str(moment))).isoformat()
    except (TypeError, ValueError):
        return str(moment or "")


__all__ = ["KIND_LABELS", "Action", "Produced", "Report", "Step"]
