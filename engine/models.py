"""Import every model module so the metadata (create_all, Alembic) sees all tables."""

from engine.audit.trail import AuditEvent, AuditHead
from engine.eni.models import EniImportedDocument, EniImportedExpedient
from engine.records.decrees import Decree
from engine.records.documents import Document
from engine.records.expedients import Expedient, ExpedientReopening
from engine.records.notifications import Notification, NotificationEvidence
from engine.records.numbering import Counter
from engine.records.registry import RegistryAttachment, RegistryEntry
from engine.runtime.messages import AwaitedMessage
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
from engine.signatures.models import SignatureRequest, SignatureStep, SigningCredential
from engine.tenancy.models import Membership, Tenant, User
from engine.tenancy.tokens import ApiToken
from engine.worker.deadlines import TaskEscalation
from engine.worker.integrity import IntegrityCheck

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "AwaitedMessage",
    "CompletedStep",
    "Counter",
    "Decree",
    "Document",
    "EniImportedDocument",
    "EniImportedExpedient",
    "Expedient",
    "ExpedientReopening",
    "HumanTask",
    "IdempotencyKey",
    "Incident",
    "IntegrityCheck",
    "Membership",
    "Notification",
    "NotificationEvidence",
    "ProcessInstance",
    "ProcessModel",
    "ProcessVersion",
    "RegistryAttachment",
    "RegistryEntry",
    "SignatureRequest",
    "SignatureStep",
    "SigningCredential",
    "TaskEscalation",
    "Tenant",
    "Timer",
    "User",
]
