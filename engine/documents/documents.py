"""Electronic documents (NTI de Documento Electrónico): content plus ENI metadata.

A document row never changes its content: a new version is a new row pointing at the one it
replaces (``previous_version_id``, at most one successor each). Content lives in the
content-addressed store; the row keeps SHA-256 (the store address) and SHA-512 (what ENI
exchanges use), both checked on every read. Documents of a closed expedient (E02/E03) are
frozen: nothing is added to or changed in it until an audited reopening.

Only ids travel in workflow task data; the bytes are read back through :func:`read_content`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    exists,
    false,
    select,
)
from sqlalchemy.orm import Mapped, aliased, mapped_column

from engine.audit import record
from engine.base.clock import as_utc, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.base.settings import current_settings
from engine.documents.store import (
    ContentIntegrityError,
    content_store,
    safe_file_name,
    sniff_content_type,
)
from engine.documents.verification_codes import REGULATION, new_csv, normalize_csv, regulation_of
from engine.expedients.expedients import Expedient, ensure_open
from engine.tenancy.models import Tenant
from engine.tenancy.scoping import get_owned, scoped

#: ENI TipoDocumental (NTI de Documento Electrónico, anexo I).
TIPOS_DOCUMENTALES: dict[str, str] = {
    "TD01": "Resolución",
    "TD02": "Acuerdo",
    "TD03": "Contrato",
    "TD04": "Convenio",
    "TD05": "Declaración",
    "TD06": "Comunicación",
    "TD07": "Notificación",
    "TD08": "Publicación",
    "TD09": "Acuse de recibo",
    "TD10": "Acta",
    "TD11": "Certificado",
    "TD12": "Diligencia",
    "TD13": "Informe",
    "TD14": "Solicitud",
    "TD15": "Denuncia",
    "TD16": "Alegación",
    "TD17": "Recursos",
    "TD18": "Comunicación ciudadano",
    "TD19": "Factura",
    "TD20": "Otros incautados",
    # TD51-TD69: the further types the official ENI schema (MetadatosDocumentoEni.xsd) lists.
    **{f"TD{n}": f"Tipo documental TD{n}" for n in range(51, 70)},
    "TD99": "Otros",
}

#: The same types in the reader's language, for whoever does not read ENI codes (the public verification
#: page); TD51-TD69 have no name of their own.
TIPO_LABELS: dict[str, Any] = {
    "TD01": _l("Resolution"), "TD02": _l("Agreement"), "TD03": _l("Contract"), "TD04": _l("Cooperation agreement"),
    "TD05": _l("Declaration"), "TD06": _l("Communication"), "TD07": _l("Notification"), "TD08": _l("Publication"),
    "TD09": _l("Acknowledgement of receipt"), "TD10": _l("Minutes"), "TD11": _l("Certificate"),
    "TD12": _l("Official record (diligence)"), "TD13": _l("Report"), "TD14": _l("Application"),
    "TD15": _l("Complaint"), "TD16": _l("Allegation"), "TD17": _l("Appeal"), "TD18": _l("Communication from a citizen"),
    "TD19": _l("Invoice"), "TD20": _l("Other (seized documents)"), "TD99": _l("Other"),
}


def tipo_label(code: str) -> str:
    """A document's ENI type in words and its code, "Resolution (TD01)"; the code alone when it has no name."""
    label = TIPO_LABELS.get(code)
    return f"{label} ({code})" if label is not None else code


class EstadoElaboracion(StrEnum):
    ORIGINAL = "EE01"
    COPY_FORMAT_CHANGE = "EE02"
    COPY_PARTIAL = "EE03"
    COPY_OF_PAPER = "EE04"
    OTHER = "EE99"


#: Authentic copies name the document they copy (IdentificadorDocumentoOrigen).
COPY_STATES = frozenset({EstadoElaboracion.COPY_FORMAT_CHANGE, EstadoElaboracion.COPY_PARTIAL,
                         EstadoElaboracion.COPY_OF_PAPER})

#: ENI TipoFirma: TF01 CSV, TF02/TF03 XAdES detached/enveloped, TF04/TF05 CAdES, TF06 PAdES.
SIGNATURE_TYPES = ("TF01", "TF02", "TF03", "TF04", "TF05", "TF06")


class Document(db.Model):  # type: ignore[name-defined]
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("previous_version_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    expedient_id: Mapped[int | None] = mapped_column(ForeignKey("expedients.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    file_name: Mapped[str] = mapped_column(String(160))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    sha512: Mapped[str] = mapped_column(String(128))
    # -- ENI metadata ---------------------------------------------------------------------
    #: Identificador "ES_<organ>_<AAAA>_<id>", set in the transaction that stores the row.
    eni_id: Mapped[str | None] = mapped_column(String(52), unique=True)
    organ: Mapped[str] = mapped_column(String(21))
    captured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: OrigenCiudadanoAdministracion: False = citizen, True = administration.
    from_administration: Mapped[bool] = mapped_column(Boolean)
    estado_elaboracion: Mapped[str] = mapped_column(String(4))
    #: IdentificadorDocumentoOrigen, for authentic copies (EE02-EE04).
    origin_document_eni_id: Mapped[str | None] = mapped_column(String(52))
    tipo_documental: Mapped[str] = mapped_column(String(4))
    author: Mapped[str | None] = mapped_column(String(200))
    # -- versions, signatures, issue ------------------------------------------------------
    version: Mapped[int] = mapped_column(Integer, default=1)
    previous_version_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    #: [{"type": "TF01".."TF06", "signer": str, "signed_at": ISO str, ...}]
    signatures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: A signed PDF whose signatures a job is still checking (:mod:`engine.documents.signature_verification`).
    verification_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)
    issued: Mapped[bool] = mapped_column(Boolean, default=False)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    csv: Mapped[str | None] = mapped_column(String(23), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def meta(self) -> dict[str, Any]:
        """What an audit event, a JSON answer or a verification page shows (never the bytes)."""
        return {
            "id": self.id,
            "expedient_id": self.expedient_id,
            "title": self.title,
            "file_name": self.file_name,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "sha512": self.sha512,
            "eni_id": self.eni_id,
            "organ": self.organ,
            "captured_at": as_utc(self.captured_at),
            "from_administration": self.from_administration,
            "estado_elaboracion": self.estado_elaboracion,
            "origin_document_eni_id": self.origin_document_eni_id,
            "tipo_documental": self.tipo_documental,
            "author": self.author,
            "version": self.version,
            "previous_version_id": self.previous_version_id,
            "signatures": list(self.signatures or []),
            "signature_verification": "pending" if self.verification_pending else "done",
            "issued": self.issued,
            "issued_at": as_utc(self.issued_at),
            "csv": self.csv,
        }


# -- checks ---------------------------------------------------------------------------------


def _writable_expedient(ctx: Context, expedient_id: int | None) -> Expedient | None:
    """The expedient a change goes into, refused when it is closed."""
    if expedient_id is None:
        return None
    expedient = get_owned(Expedient, ctx, expedient_id)
    ensure_open(expedient)
    return expedient


#: What keeps documents as received, each answering which of the ids given it keeps; the ENI import
#: registers its own (:mod:`engine.eni.models`), so this module need not know the formats documents come in.
_RECEIVED_KEEPERS: list[Callable[[list[int]], set[int]]] = []


def keeps_as_received(keeper: Callable[[list[int]], set[int]]) -> Callable[[list[int]], set[int]]:
    """Register ``keeper`` (a decorator) among the places documents are kept as received."""
    _RECEIVED_KEEPERS.append(keeper)
    return keeper


def kept_as_received(document_ids: Iterable[int]) -> set[int]:
    """The documents among ``document_ids`` that came from another body (another body's ENI file):
    evidence of what the sender had, kept as received (viewed, downloaded, their signatures checked,
    exported in our index), never issued with our CSV, versioned or signed here."""
    ids = list(document_ids)
    return set().union(*(keeper(ids) for keeper in _RECEIVED_KEEPERS)) if ids else set()


def ensure_changeable(doc: Document) -> None:
    """Refuse to issue, version or sign a document kept as received (see :func:`kept_as_received`)."""
    if kept_as_received([doc.id]):
        raise Conflict(_l("This document was imported from another body's ENI file: it is kept as the sender "
                          "had it and cannot be issued, versioned or signed here."))


def _check_size(content: bytes) -> None:
    limit = current_settings().max_upload_bytes
    if len(content) > limit:
        raise ValidationFailed(
            _l(
                "The file is too large (%(size)s MB); the limit is %(limit)s MB.",
                size=f"{len(content) / 1048576:.1f}",
                limit=f"{limit / 1048576:.0f}",
            ),
            field="file",
        )


def _check_eni(tipo_documental: str, estado: str, origin_document_eni_id: str | None) -> None:
    if tipo_documental not in TIPOS_DOCUMENTALES:
        raise ValidationFailed(
            _l("Unknown document type %(value)s (TD01-TD20, TD51-TD69 or TD99).", value=tipo_documental),
            field="tipo_documental",
        )
    if estado not in EstadoElaboracion.__members__.values():
        raise ValidationFailed(
            _l("Unknown elaboration state %(value)s (EE01-EE04 or EE99).", value=estado),
            field="estado_elaboracion",
        )
    if estado in COPY_STATES and not origin_document_eni_id:
        raise ValidationFailed(
            _l("An authentic copy must name the identifier of the document it copies."),
            field="origin_document_eni_id",
        )
    if estado not in COPY_STATES and origin_document_eni_id:
        raise ValidationFailed(
            _l("Only authentic copies (EE02-EE04) name an origin document."),
            field="origin_document_eni_id",
        )


def _require_text(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(_l("This field is required."), field=field)
    return value


# -- services -------------------------------------------------------------------------------


def store_document(
    ctx: Context,
    expedient_id: int | None,
    filename: str,
    content: bytes,
    *,
    title: str,
    tipo_documental: str,
    from_administration: bool,
    estado_elaboracion: str = EstadoElaboracion.ORIGINAL,
    origin_document_eni_id: str | None = None,
    author: str | None = None,
    captured_at: datetime | None = None,
    csv: str | None = None,
) -> Document:
    """Keep a new document (version 1), optionally in an expedient.

    ``csv`` is for documents that print their own verification code (receipts, decrees):
    the caller draws it with :func:`engine.documents.verification_codes.new_csv` before rendering, and
    the document is stored already issued.
    """
    _check_size(content)
    _check_eni(tipo_documental, estado_elaboracion, origin_document_eni_id)
    title = _require_text(title, "title")
    expedient = _writable_expedient(ctx, expedient_id)
    doc = _new_row(
        ctx,
        expedient,
        filename,
        content,
        title=title,
        tipo_documental=tipo_documental,
        from_administration=from_administration,
        estado_elaboracion=str(estado_elaboracion),
        origin_document_eni_id=origin_document_eni_id,
        author=author,
        captured_at=captured_at or utcnow(),
    )
    if csv is not None:
        _issue(doc, csv)
    record(ctx, "document.stored", "document", doc.id, expedient_id=doc.expedient_id, after=doc.meta())
    return doc


def new_version(
    ctx: Context,
    document_id: int,
    content: bytes,
    *,
    filename: str | None = None,
    title: str | None = None,
    author: str | None = None,
    csv: str | None = None,
    keep_identity: bool = False,
) -> Document:
    """A new version of an administration document: a new row; the previous one stays as it was.
    A document the interested party presented has none (refused: it is kept as presented).

    ``csv``, as in :func:`store_document`, issues the new version with a code drawn beforehand
    (a PDF signed with stamps that print it). ``keep_identity`` (a signature added to the same
    document): the new version takes over the previous one's ENI identifier and CSV, so the
    code printed and notified finds the signed version; the previous row keeps its content and
    its record of that CSV in ``signatures``, and is no longer issued.
    """
    _check_size(content)
    previous = get_owned(Document, ctx, document_id, for_update=True)
    ensure_changeable(previous)
    expedient = _writable_expedient(ctx, previous.expedient_id)
    if not previous.from_administration:
        # What the interested party presented stays as presented (its content and its origin,
        # OrigenCiudadanoAdministracion): a change by the administration is a document of its own.
        raise Conflict(_l("Documents presented by the interested party are kept as presented: they have no new "
                          "versions. Add the administration's own document instead."))
    successor = db.session.execute(
        select(Document.id).where(Document.previous_version_id == previous.id)
    ).scalar_one_or_none()
    if successor is not None:
        raise Conflict(_l("This is not the latest version of the document; change the latest one."))
    doc = _new_row(
        ctx,
        expedient,
        filename or previous.file_name,
        content,
        title=_require_text(title, "title") if title is not None else previous.title,
        tipo_documental=previous.tipo_documental,
        from_administration=previous.from_administration,
        estado_elaboracion=previous.estado_elaboracion,
        origin_document_eni_id=previous.origin_document_eni_id,
        author=author if author is not None else previous.author,
        captured_at=utcnow(),
        version=previous.version + 1,
        previous_version_id=previous.id,
    )
    if keep_identity:
        eni_id, previous_csv = previous.eni_id, previous.csv
        # the code now names the new version: the old one is no longer issued (the citizen's
        # folder and the verification page show only the current, signed version)
        previous.eni_id, previous.csv, previous.issued = None, None, False
        db.session.flush()  # both are unique: free them before the new version takes them
        doc.eni_id = eni_id
        csv = csv or previous_csv
    if csv is not None:
        _issue(doc, csv)
    record(ctx, "document.new_version", "document", doc.id, expedient_id=doc.expedient_id,
           before={"id": previous.id, "version": previous.version, "sha256": previous.sha256},
           after=doc.meta())
    return doc


def _new_row(
    ctx: Context, expedient: Expedient | None, filename: str, content: bytes, **fields: Any
) -> Document:
    content_type = sniff_content_type(content)
    digests = content_store().put(content)
    tenant = db.session.get(Tenant, ctx.tenant_id)
    if tenant is None:
        raise NotFound(_l("Not found."))
    doc = Document(
        tenant_id=ctx.tenant_id,
        expedient_id=expedient.id if expedient else None,
        file_name=safe_file_name(filename, content_type),
        content_type=content_type,
        size=len(content),
        sha256=digests.sha256,
        sha512=digests.sha512,
        organ=tenant.dir3,
        signatures=[],
        issued=False,
        created_by_id=ctx.user_id,
        **fields,
    )
    db.session.add(doc)
    db.session.flush()
    doc.eni_id = f"ES_{tenant.dir3}_{local_date(doc.captured_at).year}_{doc.id:012d}"
    db.session.flush()
    _verify_embedded_signatures(ctx, doc, content)
    return doc


def _verify_embedded_signatures(ctx: Context, doc: Document, content: bytes) -> None:
    """A signed PDF has its signatures checked by a job, and what was found is kept (ENI TF06).

    Imported here: that module's job reads :class:`Document` from this one."""
    from engine.documents.signature_verification import may_carry_signatures, verify_later

    if may_carry_signatures(doc.content_type, content):
        verify_later(ctx, doc)


def get_document(ctx: Context, document_id: int) -> Document:
    return get_owned(Document, ctx, document_id)


def read_content(ctx: Context, document_id: int) -> tuple[Document, bytes]:
    """The document and its bytes, after checking them against both stored digests."""
    doc = get_owned(Document, ctx, document_id)
    return doc, _verified_content(doc)


def _verified_content(doc: Document) -> bytes:
    content = content_store().get(doc.sha256)
    if len(content) != doc.size or hashlib.sha512(content).hexdigest() != doc.sha512:
        raise ContentIntegrityError(_l("The document's content was altered: it no longer matches its digest."))
    return content


def list_documents(ctx: Context, expedient_id: int, *, all_versions: bool = False) -> list[Document]:
    """The documents of an expedient in the order they were added; by default only latest versions."""
    get_owned(Expedient, ctx, expedient_id)
    stmt = scoped(Document, ctx).where(Document.expedient_id == expedient_id).order_by(Document.id)
    if not all_versions:
        newer = aliased(Document)
        stmt = stmt.where(~exists().where(newer.previous_version_id == Document.id))
    # scoped() is annotated Select[tuple[M]]; SQLAlchemy 2.1 would want Select[M].
    return cast(list[Document], list(db.session.execute(stmt).scalars()))


def issue_document(ctx: Context, document_id: int) -> Document:
    """Issue an administration document: give it a CSV (a TF01 signature) so anyone can verify it.

    Issuing twice returns the same code.
    """
    doc = get_owned(Document, ctx, document_id, for_update=True)
    if doc.issued:
        return doc
    ensure_changeable(doc)
    _writable_expedient(ctx, doc.expedient_id)
    if not doc.from_administration:
        raise ValidationFailed(
            _l("Only documents produced by the administration can be issued; make an authentic copy first.")
        )
    _issue(doc, new_csv())
    db.session.flush()
    record(ctx, "document.issued", "document", doc.id, expedient_id=doc.expedient_id,
           after={"csv": doc.csv, "issued_at": doc.issued_at})
    return doc


def _issue(doc: Document, csv: str) -> None:
    doc.issued = True
    doc.issued_at = utcnow()
    doc.csv = csv
    doc.signatures = [
        *(doc.signatures or []),
        {"type": "TF01", "csv": csv, "regulation": REGULATION, "signed_at": doc.issued_at.isoformat()},
    ]


def record_signature(
    ctx: Context,
    document_id: int,
    *,
    signature_type: str,
    signer: str,
    signed_at: datetime | None = None,
    reference: str | None = None,
) -> Document:
    """Note a signature on a document (type TF01-TF06, who, when, where the signature is kept)."""
    if signature_type not in SIGNATURE_TYPES:
        raise ValidationFailed(
            _l("Unknown signature type %(value)s (TF01-TF06).", value=signature_type), field="signature_type"
        )
    doc = get_owned(Document, ctx, document_id, for_update=True)
    _writable_expedient(ctx, doc.expedient_id)
    entry = {
        "type": signature_type,
        "signer": _require_text(signer, "signer"),
        "signed_at": (as_utc(signed_at) or utcnow()).isoformat(),
        "reference": reference,
    }
    doc.signatures = [*(doc.signatures or []), entry]
    db.session.flush()
    record(ctx, "document.signed", "document", doc.id, expedient_id=doc.expedient_id, after=entry)
    return doc


@dataclass(frozen=True)
class CsvVerification:
    """What the public verification page shows for a code."""

    document: Document
    tenant_name: str
    intact: bool
    #: The act under which the code was generated (the municipality's, else the law).
    regulation: str = REGULATION


def verify_by_csv(code: str) -> CsvVerification:
    """Find an issued document by its CSV, in any tenant, and check its content is intact.

    There is no tenant context: the code itself is the credential (Ley 40/2015, art. 42.b).
    """
    csv = normalize_csv(code)
    doc = None
    if csv is not None:
        doc = db.session.execute(
            select(Document).where(Document.csv == csv, Document.issued.is_(True))
        ).scalar_one_or_none()
    if doc is None:
        raise NotFound(_l("No document has this verification code."))
    tenant = db.session.get(Tenant, doc.tenant_id)
    try:
        _verified_content(doc)
        intact = True
    except ContentIntegrityError:
        intact = False
    return CsvVerification(document=doc, tenant_name=tenant.name if tenant else "", intact=intact,
                           regulation=regulation_of(tenant.csv_regulation if tenant else None))
