"""Append-only, hash-chained audit trail per tenant."""

from engine.audit.trail import AuditEvent, record, verify_chain

__all__ = ["AuditEvent", "record", "verify_chain"]
