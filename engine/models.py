"""Import every model module so the metadata (create_all, Alembic) sees all tables."""

from engine.audit.trail import AuditEvent, AuditHead
from engine.records.decrees import Decree
from engine.records.documents import Document
from engine.records.expedients import Expedient, ExpedientReopening
from engine.records.numbering import Counter
from engine.records.registry import RegistryAttachment, RegistryEntry
from engine.runtime.models import (
    CompletedStep,
    HumanTask,
    IdempotencyKey,
    Incident,
    ProcessInstance,
    ProcessModel,
    ProcessVersion,
    Timer,
)
from engine.tenancy.models import Membership, Tenant, User

__all__ = [
    "AuditEvent",
    "AuditHead",
    "CompletedStep",
    "Counter",
    "Decree",
    "Document",
    "Expedient",
    "ExpedientReopening",
    "HumanTask",
    "IdempotencyKey",
    "Incident",
    "Membership",
    "ProcessInstance",
    "ProcessModel",
    "ProcessVersion",
    "RegistryAttachment",
    "RegistryEntry",
    "Tenant",
    "Timer",
    "User",
]
