"""Rows of the signature module: credentials, signature requests (circuits) and their steps."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.base.clock import as_utc, utcnow
from engine.base.db import db


class SigningCredential(db.Model):  # type: ignore[name-defined]
    """A signer's X.509 certificate and private key.

    A person's credential (``user_id`` set, ``tenant_id`` NULL: the certificate is personal and
    serves in every municipality the person works for) has its key encrypted twice: with the
    person's own password (PKCS#8) and then with a key derived from ``GEE_KEY_ENCRYPTION_KEY``.
    A tenant's seal (``user_id`` NULL, ``tenant_id`` set; Ley 40/2015 art. 42.a, used for
    automated actions such as signing an ENI index) is encrypted with the derived key only.
    """

    __tablename__ = "signing_credentials"
    __table_args__ = (UniqueConstraint("user_id"), UniqueConstraint("tenant_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"))
    certificate_pem: Mapped[str] = mapped_column(Text)
    #: Issuer certificates that came in the PKCS#12, PEM, for the signature's chain.
    chain_pem: Mapped[str] = mapped_column(Text, default="")
    encrypted_key: Mapped[bytes] = mapped_column(LargeBinary)
    subject: Mapped[str] = mapped_column(String(400))
    serial: Mapped[str] = mapped_column(String(80))
    not_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "user_id": self.user_id, "tenant_id": self.tenant_id, "subject": self.subject,
                "serial": self.serial, "not_after": as_utc(self.not_after)}


class RequestState(StrEnum):
    PENDING = "pending"
    SIGNED = "signed"
    RETURNED = "returned"


class SignatureRequest(db.Model):  # type: ignore[name-defined]
    """A document or a decree proposal to be signed by an ordered list of signers."""

    __tablename__ = "signature_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    expedient_id: Mapped[int | None] = mapped_column(ForeignKey("expedients.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    decree_id: Mapped[int | None] = mapped_column(ForeignKey("decrees.id"))
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(10), default=RequestState.PENDING.value)
    #: The CSV the signed result will carry; printed in every stamp, so drawn up front.
    csv: Mapped[str] = mapped_column(String(23), unique=True)
    #: SHA-256 (content store) of the PDF as signed so far; NULL before the first signature.
    working_sha256: Mapped[str | None] = mapped_column(String(64))
    #: The signed document once every step is done.
    result_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    #: A process "sign" task this request stands for; completed with the last signature.
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id"))
    return_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    steps: Mapped[list[SignatureStep]] = relationship(
        back_populates="request", order_by="SignatureStep.position", cascade="all, delete-orphan"
    )

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "state": self.state, "document_id": self.document_id,
                "decree_id": self.decree_id, "expedient_id": self.expedient_id, "csv": self.csv,
                "result_document_id": self.result_document_id, "return_reason": self.return_reason,
                "steps": [step.summary() for step in self.steps]}


class SignatureStep(db.Model):  # type: ignore[name-defined]
    """One signer's turn: a named user, or whoever holds a role in the tenant."""

    __tablename__ = "signature_steps"
    __table_args__ = (UniqueConstraint("request_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("signature_requests.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str | None] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(10), default=RequestState.PENDING.value)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str | None] = mapped_column(String(400))
    reason: Mapped[str | None] = mapped_column(Text)

    request: Mapped[SignatureRequest] = relationship(back_populates="steps")

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "position": self.position, "role": self.role, "user_id": self.user_id,
                "state": self.state, "signed_at": as_utc(self.signed_at), "signer": self.signer_name,
                "reason": self.reason}
