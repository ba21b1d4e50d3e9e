"""Rows of the BPMN runtime: catalogue (models and immutable versions), instances, human
tasks, timers, incidents and the log of completed elements."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.base.clock import utcnow
from engine.base.db import db

#: Status of a :class:`ProcessVersion`.
DRAFT = "draft"
PUBLISHED = "published"


class ProcessModel(db.Model):  # type: ignore[name-defined]
    """A procedure in a catalogue, identified by its BPMN process id (``key``).

    ``tenant_id`` is NULL for shared models that the provincial service publishes to all.
    """

    __tablename__ = "process_models"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    key: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    #: SIA code or <organ>_PRO_<id> classification used for ENI metadata.
    classification: Mapped[str | None] = mapped_column(String(60))
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    #: For a tenant model adopted from a shared one.
    adopted_from_id: Mapped[int | None] = mapped_column(ForeignKey("process_models.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    versions: Mapped[list[ProcessVersion]] = relationship(
        back_populates="model", order_by="ProcessVersion.number", foreign_keys="ProcessVersion.model_id"
    )

    @property
    def shared(self) -> bool:
        return self.tenant_id is None


class ProcessVersion(db.Model):  # type: ignore[name-defined]
    """An immutable, content-addressed version of a process model.

    Everything an instance needs is stored here (BPMN, DMN, forms, templates, serialized
    spec), so editing files under ``forms/`` later never changes a running instance.
    """

    __tablename__ = "process_versions"
    __table_args__ = (
        UniqueConstraint("model_id", "number"),
        UniqueConstraint("model_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_models.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    #: {"file.dmn": "<xml…>"}
    dmn_files: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: {"form-name.json": {JSON Schema…}}
    forms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: {"template-name.html": "<jinja source>"}
    templates: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: SpiffWorkflow serializer output of the spec and its subprocess specs.
    spec_json: Mapped[str] = mapped_column(Text)
    #: Lane name -> role, as validated at deploy.
    lanes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: Called process key -> id of the ProcessVersion pinned in ``spec_json`` (call activities).
    called_versions: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(80))
    #: ``draft`` (uploaded to be previewed and test-run: never started, never in the catalogue
    #: nor the e-office) or ``published`` (the latest published version is the current one).
    status: Mapped[str] = mapped_column(String(20), default=PUBLISHED, server_default=PUBLISHED)

    model: Mapped[ProcessModel] = relationship(back_populates="versions", foreign_keys=[model_id])

    @property
    def is_draft(self) -> bool:
        return self.status == DRAFT


class ProcessInstance(db.Model):  # type: ignore[name-defined]
    """One running (or finished) procedure for one expedient.

    ``state_json`` holds the pruned SpiffWorkflow serialization (no spec, no finished
    history); ``version`` is bumped on every save and compared on write (optimistic lock).
    """

    __tablename__ = "process_instances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"), index=True)
    expedient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: running | waiting | completed | incident | cancelled
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    state_json: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    started_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    process_version: Mapped[ProcessVersion] = relationship()


class HumanTask(db.Model):  # type: ignore[name-defined]
    """Projection of a user/manual task; inbox, counters and dashboards read only these rows."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_uuid"),
        Index("ix_human_tasks_inbox", "tenant_id", "state", "role", "due_at"),
        # The inbox's order (due date, none last; then oldest) read straight from the index.
        Index("ix_human_tasks_inbox_order", "tenant_id", "state", "due_at", "created_at", "id"),
        # Who may see an open task and its procedure, from the index alone: the inbox's count and
        # its procedure filter (engine.inbox.inbox.open_tasks) read no other table.
        Index("ix_human_tasks_visible", "tenant_id", "state", "process_model_id", "assignee_id", "role", "unit"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No index of their own: the indexes above lead with the tenant, the unique one with the instance.
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"))
    expedient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: The procedure of the task's instance (its version's model), copied so that the inbox filters
    #: and lists procedures without joining instances and versions.
    process_model_id: Mapped[int | None] = mapped_column(ForeignKey("process_models.id"))
    task_uuid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(20))
    #: The code of the administrative unit the task is for (``gee:unit``): offered to its members.
    unit: Mapped[str | None] = mapped_column(String(40))
    #: Roles whose holders may take the task.
    potential_owners: Mapped[list[str]] = mapped_column(JSON, default=list)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: ready | completed | cancelled
    state: Mapped[str] = mapped_column(String(20), default="ready")
    form_key: Mapped[str | None] = mapped_column(String(200))
    draft_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Timer(db.Model):  # type: ignore[name-defined]
    """A due timer event of an instance; the worker's sweeper reads the (state, due_at) index."""

    __tablename__ = "timers"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_uuid"),
        Index("ix_timers_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    task_uuid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: pending | fired | cancelled
    state: Mapped[str] = mapped_column(String(20), default="pending")
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Incident(db.Model):  # type: ignore[name-defined]
    """A failed script/service task; the instance waits until an admin retries or skips it."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    task_uuid: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(200))
    line: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    #: ``message`` in each language (ca/es/en) when it is one of GEE's own; see :meth:`message_in`.
    messages: Mapped[dict[str, str] | None] = mapped_column(JSON)
    #: open | retried | skipped
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    resolution_reason: Mapped[str | None] = mapped_column(Text)

    def message_in(self, locale: str | None) -> str:
        """What failed, in the reader's language when the message is GEE's own."""
        return (self.messages or {}).get(str(locale or "")) or self.message


class CompletedStep(db.Model):  # type: ignore[name-defined]
    """Append-only log of finished BPMN elements (diagram highlighting, history, metrics).

    The live workflow state drops finished tasks; this table keeps them.
    """

    __tablename__ = "completed_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    element_type: Mapped[str] = mapped_column(String(60))
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IdempotencyKey(db.Model):  # type: ignore[name-defined]
    """Remembers the answer to a client-keyed request so a retried submit is harmless."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    user_id: Mapped[int | None] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(100))
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

