"""Everything an expedient's page shows, read in one place: parties, documents, registry
entries, decrees, notifications, tasks, the history from the audit trail, and the diagram of
its procedure with what is done and what is pending (from the projection rows only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import select

from engine.audit.trail import AuditEvent
from engine.context import Context
from engine.db import db
from engine.records.decrees import Decree
from engine.records.documents import Document, list_documents
from engine.records.expedients import CLOSERS as EXPEDIENT_CLOSERS
from engine.records.expedients import REOPENERS, Expedient, get_expedient, parties_of
from engine.records.notifications import Notification, list_notifications
from engine.records.parties import ExpedientParty
from engine.records.registry import RegistryEntry
from engine.runtime.models import CompletedStep, HumanTask, ProcessInstance, ProcessModel
from engine.tenancy.scoping import scoped

HISTORY_LIMIT = 500


@dataclass(frozen=True)
class Dossier:
    expedient: Expedient
    procedure: ProcessModel | None
    parties: list[ExpedientParty]
    documents: list[Document]
    registry_entries: list[RegistryEntry]
    decrees: list[Decree]
    notifications: list[Notification]
    tasks: list[HumanTask]
    instances: list[ProcessInstance]
    history: list[AuditEvent]
    may_close: bool
    may_reopen: bool


def _rows(stmt: Any) -> list[Any]:
    return list(db.session.execute(stmt).scalars())


def dossier(ctx: Context, expedient_id: object) -> Dossier:
    """The expedient of this tenant and what belongs to it; another tenant's is not found."""
    expedient = get_expedient(ctx, expedient_id)  # type: ignore[arg-type]
    eid = expedient.id
    return Dossier(
        expedient=expedient,
        procedure=db.session.get(ProcessModel, expedient.process_model_id) if expedient.process_model_id else None,
        parties=parties_of(ctx, eid),
        documents=list_documents(ctx, eid),
        registry_entries=_rows(scoped(RegistryEntry, ctx).where(RegistryEntry.expedient_id == eid)
                               .order_by(RegistryEntry.presented_at)),
        decrees=_rows(scoped(Decree, ctx).where(Decree.expedient_id == eid).order_by(Decree.id)),
        notifications=list_notifications(ctx, eid),
        tasks=_rows(scoped(HumanTask, ctx).where(HumanTask.expedient_id == eid).order_by(HumanTask.id)),
        instances=_rows(scoped(ProcessInstance, ctx).where(ProcessInstance.expedient_id == eid)
                        .order_by(ProcessInstance.id)),
        history=_rows(scoped(AuditEvent, ctx).where(AuditEvent.expedient_id == eid)
                      .order_by(AuditEvent.seq.desc()).limit(HISTORY_LIMIT)),
        may_close=expedient.is_open and any(ctx.has_role(r) for r in EXPEDIENT_CLOSERS),
        may_reopen=not expedient.is_open and any(ctx.has_role(r) for r in REOPENERS),
    )


@dataclass(frozen=True)
class Diagram:
    """The BPMN of the instance's pinned version and the elements to highlight."""

    instance_id: int
    bpmn_xml: str
    completed: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"instance_id": self.instance_id, "xml": self.bpmn_xml, "completed": self.completed,
                "current": self.current}


def diagram(ctx: Context, expedient_id: object) -> Diagram | None:
    """The diagram of the expedient's latest process instance, or None when it has none."""
    expedient = get_expedient(ctx, expedient_id)  # type: ignore[arg-type]
    instance = db.session.execute(
        scoped(ProcessInstance, ctx).where(ProcessInstance.expedient_id == expedient.id)
        .order_by(ProcessInstance.id.desc())
    ).scalars().first()
    if instance is None:
        return None
    instance = cast(ProcessInstance, instance)
    completed = db.session.execute(
        select(CompletedStep.element_id).where(CompletedStep.instance_id == instance.id).order_by(CompletedStep.id)
    ).scalars()
    current = db.session.execute(
        select(HumanTask.element_id).where(HumanTask.instance_id == instance.id, HumanTask.state == "ready")
        .order_by(HumanTask.id)
    ).scalars()
    return Diagram(instance.id, instance.process_version.bpmn_xml, list(dict.fromkeys(completed)),
                   list(dict.fromkeys(current)))


def recent_expedients(ctx: Context, limit: int = 50) -> list[Expedient]:
    """The tenant's expedients, newest first (the list page without a search)."""
    stmt = scoped(Expedient, ctx).order_by(Expedient.year.desc(), Expedient.seq.desc()).limit(limit)
    return _rows(stmt)
