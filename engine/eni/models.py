"""What an imported ENI expedient brings that GEE's own rows do not hold: the original
identifiers, organs, interested parties and signatures, kept so a re-export preserves them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from engine.base.clock import utcnow
from engine.base.db import db
from engine.documents.documents import keeps_as_received


class EniImportedExpedient(db.Model):  # type: ignore[name-defined]
    __tablename__ = "eni_imported_expedients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    expedient_id: Mapped[int] = mapped_column(ForeignKey("expedients.id"), unique=True)
    identifier: Mapped[str] = mapped_column(String(52))
    organs: Mapped[list[str]] = mapped_column(JSON)
    classification: Mapped[str] = mapped_column(String(200))
    interested: Mapped[list[str]] = mapped_column(JSON)
    #: The index signatures (``enids:firma`` elements) exactly as received.
    index_signatures: Mapped[list[str]] = mapped_column(JSON)
    #: Whether the received index signature was intact (None: not an XML signature we can check).
    index_signature_intact: Mapped[bool | None] = mapped_column()
    #: valid, weak, untrusted, broken or unsupported (see :mod:`engine.eni.findings`).
    index_signature_finding: Mapped[str | None] = mapped_column(String(20))
    source_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class EniImportedDocument(db.Model):  # type: ignore[name-defined]
    __tablename__ = "eni_imported_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    identifier: Mapped[str] = mapped_column(String(52))
    organs: Mapped[list[str]] = mapped_column(JSON)
    format_name: Mapped[str] = mapped_column(String(40))
    incorporated_at: Mapped[str | None] = mapped_column(String(40))
    order_label: Mapped[str | None] = mapped_column(String(40))
    #: ``enids:firmas`` of the document exactly as received (or None).
    signatures_xml: Mapped[str | None] = mapped_column(Text)
    metadata_xml: Mapped[str] = mapped_column(Text)
    #: One finding per signature: {"type", "finding", "detail"} (see :mod:`engine.eni.findings`).
    signature_findings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    #: Set when the content is held elsewhere (a referenciaFichero GEE could not fetch): the
    #: stored file is only a marker, and the index's digest is kept as declared.
    content_reference: Mapped[str | None] = mapped_column(Text)
    #: The index's ValorHuella / FuncionResumen as declared, for content held elsewhere.
    declared_digest: Mapped[str | None] = mapped_column(Text)
    declared_function: Mapped[str | None] = mapped_column(String(200))
    #: ``enifile:contenido`` as received when it was not plain ValorBinario (DatosXML, inside a
    #: signature, a reference), written back as is on export.
    contenido_xml: Mapped[str | None] = mapped_column(Text)
    #: The folders and subexpedients of the sender's index the document was in, root first (see
    #: :mod:`engine.eni.index_tree`); None at the index's top level.
    index_path: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    def as_dict(self) -> dict[str, Any]:
        return {"identifier": self.identifier, "organs": self.organs, "format": self.format_name}


class MigrationRun(db.Model):  # type: ignore[name-defined]
    """A bulk migration started from the admin page: its source, options, progress and report.

    The uploaded zip is kept in the document store folder (``source_path``, relative to it) so any
    worker can read it and a re-run can use it again; ``done`` counts the expedients of the source
    already handled, in name order, and moves in the same transaction as their import, so a job
    that dies mid-way resumes at the first expedient not committed.
    """

    __tablename__ = "eni_migration_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    source_name: Mapped[str] = mapped_column(String(255))
    source_path: Mapped[str] = mapped_column(String(400))
    mapping_csv: Mapped[str | None] = mapped_column(Text)
    dry_run: Mapped[bool] = mapped_column(default=False)
    #: queued | running | finished | failed
    status: Mapped[str] = mapped_column(String(20), default="queued")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    checked: Mapped[int] = mapped_column(Integer, default=0)
    #: The CSV report as the run goes (same columns as ``gee migrate --report``).
    report_csv: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def finished(self) -> bool:
        return self.status in ("finished", "failed")

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)


@keeps_as_received
def imported_documents(document_ids: list[int]) -> set[int]:
    """The documents among ``document_ids`` that came in another body's ENI file (kept as received)."""
    found = db.session.execute(
        select(EniImportedDocument.document_id).where(EniImportedDocument.document_id.in_(document_ids))
    ).scalars()
    return set(found)
