"""What a task page shows beside the form, and what the form starts with.

A clerk working a task should not have to open the expedient in another tab: the page shows what
was asked (the incoming registry entries with their text, and what the citizen filled in on the
e-office), the documents with their signatures, the reports issued so far and the deadlines
running. The form is prefilled with what GEE already knows: the process data of the same name,
the registry entry's effective date for ``data_entrada``, the interested party's NIF and name,
the documents presented with the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.base.clock import local_date
from engine.base.context import Context
from engine.base.db import db
from engine.documents.documents import Document, list_documents
from engine.expedients.parties import ExpedientParty, Party, PartyRole
from engine.inbox.inbox import TaskView
from engine.process.definition.task_labels import labels_of
from engine.process.instances.messages import AwaitedMessage
from engine.process.instances.tasks import show_instance
from engine.process.models import ProcessInstance, Timer
from engine.registry.entries import Direction, RegistryAttachment, RegistryEntry

#: Tipus documental of a report (informe) in the NTI list.
REPORT_TYPE = "TD13"
#: Where a filing keeps what the citizen filled in (see engine/citizens/filing.py).
FILED_KEY = "sollicitud"


@dataclass(frozen=True)
class Deadline:
    label: str
    due_at: datetime


@dataclass
class TaskContext:
    requests: list[RegistryEntry] = field(default_factory=list)
    #: What the citizen filled in on the e-office's start form, by field.
    filed: dict[str, Any] = field(default_factory=dict)
    documents: list[Document] = field(default_factory=list)
    reports: list[Document] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    #: The form's initial values when nothing has been typed yet.
    prefill: dict[str, Any] = field(default_factory=dict)


def _interessat(ctx: Context, expedient_id: int) -> Party | None:
    link = db.session.execute(
        select(ExpedientParty).where(ExpedientParty.tenant_id == ctx.tenant_id,
                                     ExpedientParty.expedient_id == expedient_id,
                                     ExpedientParty.role == PartyRole.INTERESSAT.value)
        .order_by(ExpedientParty.id).limit(1)
    ).scalar_one_or_none()  # fmt: skip
    return link.party if link is not None else None


def _incoming(ctx: Context, expedient_id: int) -> list[RegistryEntry]:
    return list(db.session.execute(
        select(RegistryEntry).where(RegistryEntry.tenant_id == ctx.tenant_id,
                                    RegistryEntry.expedient_id == expedient_id,
                                    RegistryEntry.direction == Direction.INCOMING.value)
        .order_by(RegistryEntry.id)
    ).scalars())  # fmt: skip


def prefill(schema: dict[str, Any] | None, data: dict[str, Any], *, party: Party | None = None,
            first_entry: RegistryEntry | None = None, presented: list[int] | None = None) -> dict[str, Any]:
    """Initial values of a form from what is known; only fields of the form, never a guess."""
    props = (schema or {}).get("properties") or {}
    known: dict[str, Any] = {}
    if first_entry is not None:
        known["data_entrada"] = local_date(first_entry.effective_at).isoformat()
        known["data_presentacio"] = local_date(first_entry.presented_at).isoformat()
    if party is not None:
        known.update(nif=party.nif, nom=party.name)
    for key, prop in props.items():
        if not isinstance(prop, dict):
            continue
        if data.get(key) not in (None, "", []):
            known[key] = data[key]
        elif prop.get("type") == "array" and (prop.get("items") or {}).get("format") == "document" and presented:
            known[key] = list(presented)
    return {k: v for k, v in known.items() if k in props}


def task_context(ctx: Context, view: TaskView) -> TaskContext:
    """The context of a task of this tenant (``view`` comes from :func:`engine.inbox.inbox.task_view`)."""
    out = TaskContext()
    instance = db.session.get(ProcessInstance, view.task.instance_id)
    if instance is None or instance.tenant_id != ctx.tenant_id:
        return out
    data: dict[str, Any] = show_instance(ctx, instance.id).get("data") or {}
    filed = data.get(FILED_KEY)
    out.filed = dict(filed) if isinstance(filed, dict) else {}
    party = None
    if view.expedient is not None:
        out.requests = _incoming(ctx, view.expedient.id)
        out.documents = list_documents(ctx, view.expedient.id)
        out.reports = [d for d in out.documents if d.tipo_documental == REPORT_TYPE]
        party = _interessat(ctx, view.expedient.id)
    presented = data.get("documents_presentats")
    if not isinstance(presented, list) and out.requests:
        presented = list(db.session.execute(
            select(RegistryAttachment.document_id).where(RegistryAttachment.entry_id == out.requests[0].id)
        ).scalars())  # fmt: skip
    out.prefill = prefill(view.schema, data, party=party, first_entry=out.requests[0] if out.requests else None,
                          presented=[int(i) for i in presented or [] if isinstance(i, int)])
    out.deadlines = _deadlines(ctx, view, instance)
    return out


def _deadlines(ctx: Context, view: TaskView, instance: ProcessInstance) -> list[Deadline]:
    names = labels_of(instance.process_version, ctx.locale)
    found = []
    if view.task.due_at is not None:
        found.append(Deadline(view.task_name, view.task.due_at))
    for timer in db.session.execute(
        select(Timer).where(Timer.tenant_id == ctx.tenant_id, Timer.instance_id == instance.id,
                            Timer.state == "pending")
    ).scalars():  # fmt: skip
        found.append(Deadline(names.get(timer.element_id, timer.element_id), timer.due_at))
    for awaited in db.session.execute(
        select(AwaitedMessage).where(AwaitedMessage.tenant_id == ctx.tenant_id,
                                     AwaitedMessage.instance_id == instance.id,
                                     AwaitedMessage.state == "waiting", AwaitedMessage.due_at.is_not(None))
    ).scalars():  # fmt: skip
        assert awaited.due_at is not None
        found.append(Deadline(names.get(awaited.element_id, awaited.name), awaited.due_at))
    return sorted(found, key=lambda d: d.due_at)
