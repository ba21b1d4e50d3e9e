"""Everything an expedient's page shows, read in one place: parties, documents (and which wait
for a signature), registry entries, decrees, notifications with their evidence, tasks, the
history from the audit trail, what the reader may do, and the diagram of its procedure with
what is done and what is pending (from the projection rows only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import select

from engine.audit.trail import AuditEvent
from engine.base.context import Context
from engine.base.db import db
from engine.decrees.book import Decree
from engine.documents.documents import Document, kept_as_received, list_documents
from engine.dossier.actions import NOTIFIERS, SIGNATURE_REQUESTERS
from engine.dossier.actors import actors_in_words
from engine.eni.access import ENI_ROLES
from engine.eni.index_tree import document_paths
from engine.eni.models import EniImportedExpedient
from engine.expedients.expedients import CLOSERS as EXPEDIENT_CLOSERS
from engine.expedients.expedients import REOPENERS, Expedient, get_expedient, parties_of
from engine.expedients.parties import ExpedientParty, Party
from engine.notifications.notifications import Notification, list_notifications
from engine.process.models import CompletedStep, HumanTask, ProcessInstance, ProcessModel
from engine.registry.entries import RegistryEntry
from engine.signatures.models import RequestState, SignatureRequest
from engine.tenancy.models import User
from engine.tenancy.scoping import get_owned, scoped

HISTORY_LIMIT = 500


@dataclass(frozen=True)
class NotificationRow:
    """A notification with whom and what it notifies (its evidence is ``notification.evidence``)."""

    notification: Notification
    party: Party
    document: Document


@dataclass(frozen=True)
class PendingSignature:
    """A document's signature request that is still open, and whose turn it is."""

    request: SignatureRequest
    #: The role code of the current step (alcalde, secretari…), or None when it names a person.
    role: str | None
    #: The person named by the current step, when it names one.
    person: str | None


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
    #: Expedients related to this one (an application and its call for grants), oldest first.
    related: list[Expedient] = field(default_factory=list)
    notification_rows: list[NotificationRow] = field(default_factory=list)
    #: Issued documents (with a CSV): the ones that can be notified.
    notifiable_documents: list[Document] = field(default_factory=list)
    #: document id -> its pending signature request.
    pending_signatures: dict[int, PendingSignature] = field(default_factory=dict)
    may_notify: bool = False
    may_request_signatures: bool = False
    may_export_eni: bool = False
    #: document id -> the folders and subexpedients of the sender's index it was in (ENI imports).
    folders: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    #: Each raw actor of the history -> who it is in words (see :mod:`engine.audit.actors`).
    actor_labels: dict[str, str] = field(default_factory=dict)
    #: What the sender's ENI file said of it, when the expedient came in as one (organs, classification,
    #: interested parties by NIF, the index signature's finding).
    eni_import: EniImportedExpedient | None = None
    #: Documents imported from another body's ENI file: kept as received, never issued, versioned or signed here.
    received: set[int] = field(default_factory=set)

    @property
    def generating(self) -> bool:
        """A procedure step is rendering its documents in a worker (the instance is "running")."""
        return any(instance.status == "running" for instance in self.instances)


def _rows(stmt: Any) -> list[Any]:
    return list(db.session.execute(stmt).scalars())


def dossier(ctx: Context, expedient_id: object) -> Dossier:
    """The expedient of this tenant and what belongs to it; another tenant's is not found."""
    expedient = get_expedient(ctx, expedient_id)  # type: ignore[arg-type]
    eid = expedient.id
    documents = list_documents(ctx, eid)
    notes = list_notifications(ctx, eid)
    parties = parties_of(ctx, eid)
    history = _rows(scoped(AuditEvent, ctx).where(AuditEvent.expedient_id == eid)
                    .order_by(AuditEvent.seq.desc()).limit(HISTORY_LIMIT))
    return Dossier(
        expedient=expedient,
        procedure=db.session.get(ProcessModel, expedient.process_model_id) if expedient.process_model_id else None,
        parties=parties,
        documents=documents,
        registry_entries=_rows(scoped(RegistryEntry, ctx).where(RegistryEntry.expedient_id == eid)
                               .order_by(RegistryEntry.presented_at)),
        decrees=_rows(scoped(Decree, ctx).where(Decree.expedient_id == eid).order_by(Decree.id)),
        notifications=notes,
        tasks=_rows(scoped(HumanTask, ctx).where(HumanTask.expedient_id == eid).order_by(HumanTask.id)),
        instances=_rows(scoped(ProcessInstance, ctx).where(ProcessInstance.expedient_id == eid)
                        .order_by(ProcessInstance.id)),
        history=history,
        may_close=expedient.is_open and any(ctx.has_role(r) for r in EXPEDIENT_CLOSERS),
        related=list(expedient.related),
        may_reopen=not expedient.is_open and any(ctx.has_role(r) for r in REOPENERS),
        notification_rows=[
            NotificationRow(n, get_owned(Party, ctx, n.party_id), get_owned(Document, ctx, n.document_id))
            for n in notes
        ],
        notifiable_documents=[doc for doc in documents if doc.issued],
        pending_signatures=_pending_signatures(ctx, eid),
        may_notify=expedient.is_open and any(ctx.has_role(r) for r in NOTIFIERS),
        may_request_signatures=expedient.is_open and any(ctx.has_role(r) for r in SIGNATURE_REQUESTERS),
        may_export_eni=any(ctx.has_role(r) for r in ENI_ROLES),
        folders=document_paths(ctx, [doc.id for doc in documents]),
        received=kept_as_received(doc.id for doc in documents),
        actor_labels=actors_in_words(ctx, history),
        eni_import=db.session.execute(scoped(EniImportedExpedient, ctx)
                                      .where(EniImportedExpedient.expedient_id == eid)).scalar_one_or_none(),
    )


def documents_being_generated(ctx: Context, expedient_id: object) -> bool:
    """Whether a procedure step of the expedient is still rendering documents in a worker."""
    expedient = get_expedient(ctx, expedient_id)  # type: ignore[arg-type]
    running = scoped(ProcessInstance, ctx).where(ProcessInstance.expedient_id == expedient.id,
                                                 ProcessInstance.status == "running")  # fmt: skip
    return db.session.execute(running.limit(1)).first() is not None


def _pending_signatures(ctx: Context, expedient_id: int) -> dict[int, PendingSignature]:
    requests = _rows(scoped(SignatureRequest, ctx).where(
        SignatureRequest.expedient_id == expedient_id, SignatureRequest.document_id.is_not(None),
        SignatureRequest.state == RequestState.PENDING.value,
    ))
    pending: dict[int, PendingSignature] = {}
    for request in requests:
        step = next(s for s in request.steps if s.state == RequestState.PENDING)
        person = db.session.get(User, step.user_id) if step.user_id is not None else None
        pending[request.document_id] = PendingSignature(request, step.role, person.full_name if person else None)
    return pending


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

