"""Import every model module so the metadata (create_all, Alembic) sees all tables."""

from engine.audit.trail import AuditEvent, AuditHead
from engine.base.numbering import Counter
from engine.bodies.models import (
    AgendaItem,
    Attendance,
    Body,
    BodyMember,
    BodySession,
    ConvocationNotice,
    Proposal,
)
from engine.control.weekly_digest import TermDigest
from engine.decrees.book import Decree
from engine.documents.documents import Document
from engine.eni.models import EniImportedDocument, EniImportedExpedient, MigrationRun
from engine.expedients.expedients import Expedient, ExpedientReopening
from engine.expedients.figures import ExpedientMonth, ExpedientStates, ResolutionDays
from engine.inbox.overdue_escalation import TaskEscalation
from engine.noticeboard.models import Allegation, Edict
from engine.notifications.notifications import Notification, NotificationEvidence
from engine.onboarding.models import TenantImport
from engine.powers.models import Power, PowerExpedient
from engine.process.instances.messages import AwaitedMessage
from engine.process.models import (
    CompletedStep,
    HumanTask,
    IdempotencyKey,
    Incident,
    ProcessInstance,
    ProcessModel,
    ProcessVersion,
    Timer,
)
from engine.registry.entries import RegistryAttachment, RegistryEntry
from engine.signatures.models import SignatureRequest, SignatureStep, SigningCredential
from engine.tenancy.models import Membership, Tenant, User
from engine.tenancy.password_links import PasswordLink
from engine.tenancy.tokens import ApiToken
from engine.tenancy.units import Unit, UnitMember
from engine.transparency.models import Publication
from engine.webhooks.models import Webhook, WebhookDelivery
from engine.worker.failed_jobs import FailedJobRecord
from engine.worker.integrity import IntegrityCheck

__all__ = [
    "AgendaItem",
    "Allegation",
    "ApiToken",
    "Attendance",
    "AuditEvent",
    "AuditHead",
    "AwaitedMessage",
    "Body",
    "BodyMember",
    "BodySession",
    "CompletedStep",
    "ConvocationNotice",
    "Counter",
    "Decree",
    "Document",
    "Edict",
    "EniImportedDocument",
    "EniImportedExpedient",
    "Expedient",
    "ExpedientMonth",
    "ExpedientReopening",
    "ExpedientStates",
    "FailedJobRecord",
    "HumanTask",
    "IdempotencyKey",
    "Incident",
    "IntegrityCheck",
    "Membership",
    "MigrationRun",
    "Notification",
    "NotificationEvidence",
    "PasswordLink",
    "Power",
    "PowerExpedient",
    "ProcessInstance",
    "ProcessModel",
    "ProcessVersion",
    "Proposal",
    "Publication",
    "RegistryAttachment",
    "RegistryEntry",
    "ResolutionDays",
    "SignatureRequest",
    "SignatureStep",
    "SigningCredential",
    "TaskEscalation",
    "Tenant",
    "TenantImport",
    "TermDigest",
    "Timer",
    "Unit",
    "UnitMember",
    "User",
    "Webhook",
    "WebhookDelivery",
]
