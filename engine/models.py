"""Import every model module so the metadata (create_all, Alembic) sees all tables."""

from engine.audit.trail import AuditEvent, AuditHead
from engine.records.expedients import Expedient, ExpedientReopening
from engine.records.numbering import Counter
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
    "Expedient",
    "ExpedientReopening",
    "HumanTask",
    "IdempotencyKey",
    "Incident",
    "Membership",
    "ProcessInstance",
    "ProcessModel",
    "ProcessVersion",
    "Tenant",
    "Timer",
    "User",
]
